/**
 * The `arg` source: Azure Resource Graph reads every workspace, online endpoint and deployment of up
 * to `batchSize` subscriptions in one paged query (1,000 rows a page). A batch that fails is split
 * until the subscription at fault is isolated, so one unreadable subscription costs only itself.
 * What Resource Graph lacks is read from ARM for that resource only.
 */
import type { FullOperationResponse } from "@azure/core-client";
import { setTimeout as sleep } from "node:timers/promises";
import { TYPES, sameValue, subscriptionOf } from "../arm-ids.js";
import type { SubscriptionInfo } from "../snapshot.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";

const ML_TYPES = [TYPES.workspace, TYPES.onlineEndpoint, TYPES.onlineDeployment].map(
  (t) => `'${t.toLowerCase()}'`,
);
const COLUMNS = "id, name, type, location, kind, sku, tags, properties, subscriptionId";
export const ML_QUERY = `resources | where type in~ (${ML_TYPES.join(", ")}) | project ${COLUMNS} | order by id asc`;

/** Resource Graph allows under 300 subscriptions per request. */
export const DEFAULT_BATCH_SIZE = 200;
const IDS_PER_QUERY = 100;

/** Spaces queries out when Resource Graph's per-user quota runs out, instead of drawing 429s. */
class QuotaGate {
  private resumeAt = 0;
  async wait(): Promise<void> {
    const delay = this.resumeAt - Date.now();
    if (delay > 0) await sleep(delay);
  }
  observe(response: FullOperationResponse): void {
    const remaining = Number(response.headers.get("x-ms-user-quota-remaining"));
    const resetsAfter = response.headers.get("x-ms-user-quota-resets-after"); // hh:mm:ss
    if (remaining > 0 || !resetsAfter) return;
    const [h = 0, m = 0, s = 0] = resetsAfter.split(":").map(Number);
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ((h * 60 + m) * 60 + s) * 1000);
  }
}

async function queryAll(
  collector: Collector,
  gate: QuotaGate,
  subscriptions: string[],
  query: string,
): Promise<unknown[]> {
  const rows: unknown[] = [];
  let skipToken: string | undefined;
  do {
    await gate.wait();
    const page = await collector.clients.resourceGraph().resources(
      {
        subscriptions,
        query,
        options: { resultFormat: "objectArray", ...(skipToken ? { skipToken } : {}) },
      },
      { onResponse: (response) => gate.observe(response) },
    );
    rows.push(...(page.data as unknown[]));
    skipToken = page.skipToken;
  } while (skipToken);
  return rows;
}

async function readBatch(collector: Collector, gate: QuotaGate, batch: string[]): Promise<void> {
  try {
    const rows = await queryAll(collector, gate, batch, ML_QUERY);
    for (const row of rows) collector.add(row);
    for (let i = 0; i < batch.length; i += 1) collector.subscriptionDone();
  } catch (error) {
    if (batch.length === 1) {
      collector.fail(error, `/subscriptions/${batch[0] as string}`, "subscription", SUBSCRIPTION_READ);
      collector.subscriptionDone();
      return;
    }
    const half = Math.ceil(batch.length / 2);
    await readBatch(collector, gate, batch.slice(0, half));
    await readBatch(collector, gate, batch.slice(half));
  }
}

/**
 * Storage accounts, registries and pending private endpoints by id, in one query per hundred ids; ARM
 * for what it does not return.
 */
async function readDependencies(collector: Collector, gate: QuotaGate, read: Set<string>): Promise<void> {
  // A private endpoint may sit in a subscription outside the audit (even another tenant) or one that could
  // not be read; naming it would fail the whole query, so such endpoints are left to the optional ARM read.
  const endpoints = collector
    .pendingPrivateEndpointIds()
    .filter((id) => read.has(subscriptionOf(id)?.toLowerCase() ?? ""));
  const all = [...collector.dependencyIds(), ...endpoints];
  for (let i = 0; i < all.length; i += IDS_PER_QUERY) {
    const chunk = all.slice(i, i + IDS_PER_QUERY);
    const subscriptions = [...new Set(chunk.map((id) => subscriptionOf(id) ?? "").filter(Boolean))];
    const quoted = chunk.map((id) => `'${id.replace(/'/g, "")}'`).join(", ");
    try {
      const rows = await queryAll(
        collector,
        gate,
        subscriptions,
        `resources | where id in~ (${quoted}) | project ${COLUMNS}`,
      );
      for (const row of rows) collector.add(row);
    } catch {
      // The ARM reads below say, per resource, what could not be read.
    }
  }
  await collector.readDependencies();
}

export async function readWithArg(
  collector: Collector,
  subscriptions: SubscriptionInfo[],
  batchSize = DEFAULT_BATCH_SIZE,
): Promise<void> {
  const gate = new QuotaGate();
  const ids = subscriptions.map((s) => s.subscriptionId);
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
  await Promise.all(batches.map((batch) => readBatch(collector, gate, batch)));

  // Whether Resource Graph carries `managedNetwork` is not documented: read a workspace from ARM when it is missing.
  await Promise.all(
    collector
      .ofType(TYPES.workspace)
      // A project has no managed network of its own (its hub's applies): nothing to read for it.
      .filter((w) => w.properties?.managedNetwork === undefined && !sameValue(w.kind, "Project"))
      .map((w) =>
        collector.getById(w.id, "read the workspace from ARM (managedNetwork is not in Resource Graph)"),
      ),
  );
  const unread = new Set(
    collector.failures
      .filter((f) => f.scopeType === "subscription")
      .map((f) => subscriptionOf(f.scope)?.toLowerCase()),
  );
  const read = ids.map((id) => id.toLowerCase()).filter((id) => !unread.has(id));
  await readDependencies(collector, gate, new Set(read));
}
