import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local stand-in for a Teams Workflows webhook: answers each POST with the next scripted status
 * (the last one repeats), or holds it unanswered (`hang`), and keeps what it received.
 */
export async function startReceiver(
  script: { status: number; headers?: Record<string, string>; delayMs?: number; hang?: boolean }[],
  options: { onReceive?: (received: Received) => void } = {},
) {
  const received: Received[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const entry = { headers: req.headers, body };
      received.push(entry);
      const step = script[Math.min(next, script.length - 1)] ?? { status: 202 };
      next += 1;
      options.onReceive?.(entry);
      if (step.hang) return; // accepted, never answered
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(step.status, step.headers ?? {});
        res.end();
      };
      if (step.delayMs) setTimeout(answer, step.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    /** The secret part is the `sig` parameter, as in a real Workflows URL. */
    url: `http://127.0.0.1:${port}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET-SIG-d41d8cd98f`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
