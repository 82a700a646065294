import { request } from "node:https";
import type { ArmResource, Snapshot } from "../../src/model/snapshot.js";
import { runAudit, type AuditRequest } from "../../src/audit.js";
import {
  startEmulator,
  type EmulatorOptions,
  type EmulatorStats,
  type RunningEmulator,
} from "../../src/emulator/server.js";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import { EMULATOR_CREDENTIAL, type ArmConnection } from "../../src/inventory/connection.js";
import type { Source } from "../../src/inventory/index.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";

/** Retries as the SDK does them, with short waits for 5xx so tests do not idle (Retry-After is still honoured). */
export const FAST_RETRIES = { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 200 };

export async function auditThroughEmulator(
  tenant: TenantFile,
  source: Source,
  options: EmulatorOptions = {},
  request: Partial<AuditRequest> = {},
): Promise<{
  result: Awaited<ReturnType<typeof runAudit>>;
  /** Everything the run handed on, gathered as the archive would. */
  snapshot: Snapshot;
  stats: EmulatorStats;
  ms: number;
}> {
  const emulator = await startEmulator(tenant, options);
  try {
    const connection: ArmConnection = {
      endpoint: emulator.url,
      credential: EMULATOR_CREDENTIAL,
      ca: emulator.ca,
      retryOptions: FAST_RETRIES,
    };
    const started = performance.now();
    const resources: ArmResource[] = [];
    const result = await runAudit({
      connection,
      source,
      policy: DEFAULT_POLICY,
      previous: [],
      ...request,
      onInventory: (unit) => {
        resources.push(...unit);
        request.onInventory?.(unit);
      },
    });
    const snapshot: Snapshot = {
      ...result.inventory,
      resources: resources.sort((a, b) => a.id.toLowerCase().localeCompare(b.id.toLowerCase())),
    };
    return { result, snapshot, stats: emulator.stats(), ms: performance.now() - started };
  } finally {
    await emulator.close();
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One raw HTTPS request to the emulator, as a client that trusts its certificate sends it. */
export function call(
  emulator: RunningEmulator,
  path: string,
  options: { token?: string | null; method?: string; body?: unknown; ca?: string | null } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, emulator.url);
    const token = options.token === undefined ? "test-token" : options.token;
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        ...(options.ca === null ? {} : { ca: options.ca ?? emulator.ca }),
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          "content-type": "application/json",
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}
