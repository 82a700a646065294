import type { ArmResource, Snapshot } from "../../src/snapshot.js";
import { runAudit, type AuditRequest } from "../../src/audit.js";
import { startEmulator, type EmulatorOptions, type EmulatorStats } from "../../src/emulator/server.js";
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
