/**
 * A local Logs Ingestion endpoint: HTTPS on loopback, the path and api-version `LogsIngestionClient` calls
 * (`POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01`, a gzipped JSON array,
 * 204 when taken), with the limits the service holds to (1 MB a call before gzip) and scripted faults (429 with
 * `Retry-After`, 503). It checks each row against the declared tables, as a data collection rule's stream
 * declaration would. The demo sends to it (`--logs-endpoint local`), and so do the tests.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { TABLES, rowProblems, type Row } from "../sinks/log-analytics/schema.js";
import { generateCertificate } from "./certificate.js";

export const LOGS_API_VERSION = "2023-01-01";
/** The service's limit on one call's body, before compression. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const LOCAL_RULE_ID = "dcr-00000000000000000000000000000000";

export interface LogsFault {
  status: number;
  retryAfterSeconds?: number;
  /** Take the request and never answer it (a proxy or appliance that swallows calls). */
  hang?: boolean;
}

export interface LogsRequest {
  stream: string;
  status: number;
  rows: number;
  /** Bytes on the wire (gzipped) and after gunzip. */
  gzipBytes: number;
  jsonBytes: number;
}

export interface LogsReceiver {
  url: string;
  ruleId: string;
  ca: string;
  /** Rows taken, by stream. */
  rows: Record<string, Row[]>;
  requests: LogsRequest[];
  /** Rows that do not match their table (unknown column, wrong type): a real rule would drop them. */
  problems: string[];
  /** Answers the next requests with these, in order, before going back to 204. */
  fail(...faults: LogsFault[]): void;
  /** Answers every request with `fault` until `fail()` is called again or `recover()`. */
  down(fault: LogsFault): void;
  recover(): void;
  close(): Promise<void>;
}

export async function startLogsReceiver(options: { ruleId?: string } = {}): Promise<LogsReceiver> {
  const ruleId = options.ruleId ?? LOCAL_RULE_ID;
  const { key, cert } = await generateCertificate();
  const faults: LogsFault[] = [];
  let outage: LogsFault | undefined;
  const receiver: Omit<LogsReceiver, "url" | "close"> = {
    ruleId,
    ca: cert,
    rows: {},
    requests: [],
    problems: [],
    fail: (...next) => faults.push(...next),
    down: (fault) => (outage = fault),
    recover: () => (outage = undefined),
  };
  const streams = new Map(TABLES.map((t) => [t.stream, t]));
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body?: object, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...(body ? { "content-type": "application/json" } : {}), ...headers });
        res.end(body ? JSON.stringify(body) : undefined);
        return status;
      };
      const error = (status: number, code: string, message: string) =>
        answer(status, { error: { code, message } });
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      const match = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
      const stream = decodeURIComponent(match?.[2] ?? "");
      const raw = Buffer.concat(chunks);
      const record = (status: number, rows = 0, jsonBytes = 0) =>
        receiver.requests.push({ stream, status, rows, gzipBytes: raw.length, jsonBytes });
      if (req.method !== "POST" || !match) return record(error(404, "NotFound", "no such route"));
      if (url.searchParams.get("api-version") !== LOGS_API_VERSION)
        return record(error(400, "InvalidApiVersion", `api-version must be ${LOGS_API_VERSION}`));
      if (!/^Bearer .+/.test(req.headers.authorization ?? ""))
        return record(error(401, "InvalidToken", "a bearer token is required"));
      if (decodeURIComponent(match[1] ?? "") !== ruleId)
        return record(error(404, "InvalidDcrImmutableId", "no data collection rule with that immutable id"));
      const fault = faults.shift() ?? outage;
      if (fault?.hang) return record(0);
      if (fault)
        return record(
          answer(
            fault.status,
            {
              error: {
                code: fault.status === 429 ? "TooManyRequests" : "ServiceUnavailable",
                message: "try later",
              },
            },
            fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {},
          ),
        );
      const table = streams.get(stream);
      if (!table) return record(error(400, "InvalidStream", `the rule declares no stream ${stream}`));
      let json: Buffer;
      try {
        json = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
      } catch {
        return record(error(400, "InvalidContentEncoding", "the body is not gzip"));
      }
      if (json.length > MAX_BODY_BYTES)
        return record(error(413, "ContentLengthLimitExceeded", "a call may carry 1 MB"), 0, json.length);
      let rows: unknown;
      try {
        rows = JSON.parse(json.toString("utf8"));
      } catch {
        return record(error(400, "InvalidJson", "the body is not JSON"), 0, json.length);
      }
      if (!Array.isArray(rows))
        return record(error(400, "InvalidJson", "the body is not an array"), 0, json.length);
      for (const row of rows as Row[]) receiver.problems.push(...rowProblems(table, row));
      (receiver.rows[stream] ??= []).push(...(rows as Row[]));
      return record(answer(204), rows.length, json.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ...receiver,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
