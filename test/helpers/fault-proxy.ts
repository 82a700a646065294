/**
 * A proxy in front of one Azurite service that answers some requests itself, as Azure Storage does when
 * it refuses them (a 403 with the service's XML error and `x-ms-error-code`), and forwards the rest
 * untouched. For the faults that Azurite cannot produce on its own: a firewall or a missing data role on
 * one service only.
 */
import { createServer, request as forward, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export interface FaultProxy {
  port: number;
  /** Requests answered by the proxy itself. */
  refused: number;
  close(): Promise<void>;
}

/**
 * `decide` says, for each request, whether to refuse it (a Refusal), to hold it unanswered ("hold": a
 * service that accepts a request and never answers), or to forward it (undefined).
 */
export async function startFaultProxy(
  targetPort: number,
  decide: (request: IncomingMessage) => Refusal | "hold" | undefined,
): Promise<FaultProxy> {
  const state = { refused: 0 };
  const server = createServer((req, res) => {
    const refusal = decide(req);
    if (refusal === "hold") {
      req.resume();
      return;
    }
    if (refusal) {
      state.refused += 1;
      req.resume();
      const body =
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${refusal.code}</Code>` +
        `<Message>${refusal.message}\nRequestId:00000000-0000-0000-0000-000000000000\nTime:${new Date().toISOString()}</Message></Error>`;
      res.writeHead(refusal.status, {
        "content-type": "application/xml",
        "x-ms-error-code": refusal.code,
        "x-ms-request-id": "00000000-0000-0000-0000-000000000000",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const upstream = forward(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Azure Storage's answer to a request its network rules or role assignments do not allow. */
export const AUTHORIZATION_FAILURE: Refusal = {
  status: 403,
  code: "AuthorizationFailure",
  message: "This request is not authorized to perform this operation.",
};
