/**
 * The Functions host's HTTP front, for the dashboard tests: a real HTTP server that routes `/api/…` to the
 * app's handlers as the host does (route templates, the body only with a Content-Length), and refuses a
 * request without the function key (`authLevel: "function"`: the `code` parameter or `x-functions-key`).
 */
import { HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, type LogLine } from "./functions-host.js";

export type HttpFunction = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface Route {
  method: string;
  /** A route template of the host's: `audits/{runId}`. */
  route: string;
  handler: HttpFunction;
}

export interface HttpHost {
  url: string;
  /** Every request the host answered: method, path and query, and the status. */
  seen: { method: string; url: string; status: number }[];
  close(): Promise<void>;
}

function matcher(route: string): RegExp {
  const pattern = route.replace(/\{(\w+)\}/g, "(?<$1>[^/]+)");
  return new RegExp(`^/api/${pattern}$`);
}

export async function startHttpHost(routes: Route[], key: string, log: LogLine[] = []): Promise<HttpHost> {
  const table = routes.map((r) => ({ ...r, pattern: matcher(r.route) }));
  const seen: HttpHost["seen"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
          seen.push({ method: req.method ?? "", url: url.pathname + url.search, status });
          res.writeHead(status, headers).end(body);
        };
        if (url.searchParams.get("code") !== key && req.headers["x-functions-key"] !== key) {
          answer(401, "");
          return;
        }
        const route = table.find((r) => r.method === req.method && r.pattern.test(url.pathname));
        if (!route) {
          answer(404, "");
          return;
        }
        const params = route.pattern.exec(url.pathname)?.groups ?? {};
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const request = new HttpRequest({
          method: req.method ?? "GET",
          url: `http://${req.headers.host ?? "localhost"}${url.pathname}${url.search}`,
          headers,
          params,
          ...(body.length > 0 && headers["content-length"]
            ? { body: { string: body.toString("utf8") } }
            : {}),
        });
        const response = await route.handler(request, context(route.route, log));
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries((response.headers ?? {}) as Record<string, string>)) out[k] = v;
        const text =
          response.jsonBody !== undefined
            ? JSON.stringify(response.jsonBody)
            : typeof response.body === "string"
              ? response.body
              : "";
        answer(response.status ?? 200, text, out);
      })().catch((error: Error) => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", status: 500 });
        res.writeHead(500).end(error.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
