/**
 * A local Azure Resource Manager that serves a tenant file over HTTPS, for the CLI's `--tenant`, the
 * demo, the tests and the benchmark. It behaves like ARM where the audit depends on it: bearer tokens,
 * api-version, nextLink paging, a read token bucket per subscription and principal (429 + Retry-After),
 * Resource Graph with $skipToken paging and a per-principal quota, and injected faults.
 *
 * This file wires the concerns together and speaks HTTP; each concern has its own module: the tenant's index
 * (tenant-index.ts), the resource types served (resource-types.ts: a new type is a registration there), what
 * the identity may read (access.ts), faults (faults.ts), throttling and quota (throttle.ts), ARM's GET paths
 * (arm-routes.ts) and Resource Graph (resource-graph.ts, arg-query.ts).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { sameId } from "../model/arm-ids.js";
import { Access } from "./access.js";
import { ArmRoutes, kindOf } from "./arm-routes.js";
import { generateCertificate } from "./certificate.js";
import { Faults } from "./faults.js";
import { ResourceGraph } from "./resource-graph.js";
import { TenantIndex } from "./tenant-index.js";
import type { TenantFile } from "./tenant-file.js";
import { GraphQuota, ReadThrottle } from "./throttle.js";
import { ArmError, emptyStats, type EmulatorStats, type ThrottleOptions } from "./types.js";

export type { EmulatorStats, RequestKind, ThrottleOptions } from "./types.js";

export interface EmulatorOptions {
  /** Items per page of ARM list responses (default 100). */
  pageSize?: number;
  /** Rows per Resource Graph page (default and maximum 1000). */
  argPageSize?: number;
  /** ARM's read throttling; `false` turns it off. Default: 250 burst, 25/s. */
  throttle?: ThrottleOptions | false;
  /** Resource Graph quota per principal; `false` turns it off. Default: 15 queries per 5 s. */
  argQuota?: { queries: number; windowSeconds: number } | false;
  /** Added to every ARM response (a network round trip and ARM's own time). */
  latencyMs?: number;
  /** Added to every Resource Graph response instead (its queries take longer than ARM's reads). */
  argLatencyMs?: number;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to give the SDK clients. */
  url: string;
  /** The emulator's certificate (PEM): trust it explicitly, e.g. `tlsOptions: { ca }`. */
  ca: string;
  stats(): EmulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

const ML_API_VERSION_HINT = "2025-12-01";

export async function startEmulator(
  tenant: TenantFile,
  options: EmulatorOptions = {},
): Promise<RunningEmulator> {
  let stats = emptyStats();
  let baseUrl = "";
  const counters = () => stats;
  const index = new TenantIndex(tenant);
  const faults = new Faults(tenant.faults, counters);
  const access = new Access(index, [...(tenant.denyAssignments ?? []), ...faults.denyAssignments()]);
  const routes = new ArmRoutes({
    index,
    access,
    absent: faults.absent(),
    pageSize: options.pageSize ?? 100,
    baseUrl: () => baseUrl,
  });
  const reads = new ReadThrottle(
    options.throttle === undefined ? { burst: 250, refillPerSecond: 25 } : options.throttle,
    counters,
  );
  const quota = new GraphQuota(
    options.argQuota === undefined ? { queries: 15, windowSeconds: 5 } : options.argQuota,
    counters,
  );
  const graph = new ResourceGraph(index, access, faults, quota, Math.min(options.argPageSize ?? 1000, 1000));

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ArmError(
        400,
        "InvalidRequestContent",
        "The request content was invalid and could not be deserialized.",
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const kind = kindOf(method, path);
    stats.total += 1;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    let headers: Record<string, string> = { "x-ms-request-id": crypto.randomUUID() };
    let status = 200;
    let body: unknown;
    try {
      const isGraph = method === "POST";
      const latency =
        (isGraph ? (options.argLatencyMs ?? options.latencyMs ?? 0) : (options.latencyMs ?? 0)) +
        faults.latency(path);
      if (latency > 0) await sleep(latency);
      const auth = req.headers.authorization ?? "";
      const principal = auth.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!principal) {
        stats.unauthorized += 1;
        throw new ArmError(
          401,
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
          {
            "WWW-Authenticate":
              'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
          },
        );
      }
      if (!url.searchParams.get("api-version")) {
        throw new ArmError(
          400,
          "MissingApiVersionParameter",
          `The api-version query parameter (?api-version=) is required for all requests (e.g. ${ML_API_VERSION_HINT}).`,
        );
      }
      if (method === "POST" && sameId(path, "/providers/Microsoft.ResourceGraph/resources")) {
        faults.apply(path);
        const result = graph.query(await readBody(req), principal);
        headers = { ...headers, ...result.headers };
        body = result.body;
      } else if (method === "GET") {
        faults.apply(path, { apiVersion: url.searchParams.get("api-version") });
        headers = { ...headers, ...reads.take(principal, path) };
        body = routes.get(path, url);
      } else {
        throw new ArmError(405, "MethodNotAllowed", `The emulator is read-only: ${method} is not served.`);
      }
    } catch (error) {
      const armError =
        error instanceof ArmError
          ? error
          : new ArmError(500, "InternalServerError", (error as Error).message ?? String(error));
      status = armError.status;
      if (armError.code === "NoRegisteredProviderFound") stats.refusedApiVersions += 1;
      headers = { ...headers, ...armError.headers };
      body = { error: { code: armError.code, message: armError.message } };
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  const { key, cert } = await generateCertificate();
  const server: Server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  server.on("secureConnection", () => (stats.connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    ca: cert,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
