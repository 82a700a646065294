/**
 * The `findings` table as every reader sees it: a row's change counts once the run that made it committed
 * (src/sinks/row-state.ts); rows no committed run has written do not exist.
 */
import { TableClient } from "@azure/data-tables";
import { changedBy, effectiveState, withState } from "../../src/sinks/row-state.js";
import { AuditStorage } from "../../src/sinks/storage.js";

export async function findingRows(connectionString: string): Promise<Map<string, Record<string, unknown>>> {
  const table = TableClient.fromConnectionString(connectionString, "findings", {
    allowInsecureConnection: true,
  });
  const ledger = new AuditStorage(connectionString, { maxTries: 2, retryDelayInMs: 20 }).ledger();
  const all = new Map<string, Record<string, unknown>>();
  try {
    for await (const page of table.listEntities<Record<string, unknown>>().byPage()) {
      await ledger.learn(page.map((row) => changedBy(row)));
      for (const row of page) {
        const state = effectiveState(row, ledger.committed);
        if (state.status !== "") all.set(row.rowKey ?? "", withState(row, state));
      }
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return all;
    throw error;
  }
  return all;
}
