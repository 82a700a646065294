/**
 * The `arg` source: Azure Resource Graph reads every workspace, online endpoint and deployment of up
 * to `batchSize` subscriptions in one paged query (1,000 rows a page). A batch that fails is split
 * until the subscription at fault is isolated, so one unreadable subscription costs only itself.
 * What Resource Graph lacks is read from ARM for that resource only.
 */
import type { FullOperationResponse } from "@azure/core-client";
import { setTimeout as sleep } from "node:timers/promises";
import { TYPES, isWithin, parseResourceId, sameId, sameValue, subscriptionOf } from "../arm-ids.js";
import type { ArmResource, SubscriptionInfo } from "../snapshot.js";
import { readEndpointChildren, readSubscriptionWhole, readWorkspaceChildren } from "./arm-source.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";
import { ML_API_VERSION } from "./connection.js";
import { proveReadable } from "./proof.js";

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

/** What the rules need of each type; a Resource Graph row without it is completed from ARM. */
function missingProperties(resource: ArmResource): boolean {
  const properties = resource.properties ?? {};
  const lacks = (name: string) => !(name in properties);
  if (sameId(resource.type, TYPES.workspace)) {
    // A project has no network settings of its own: its hub's apply.
    if (sameValue(resource.kind, "Project")) return false;
    // `networkAcls` is not asked for: ARM leaves it out of workspaces that never set it, so its absence
    // here would cost a read of every public workspace on every run and tell nothing.
    return lacks("managedNetwork") || lacks("publicNetworkAccess");
  }
  if (sameId(resource.type, TYPES.onlineEndpoint)) return lacks("publicNetworkAccess");
  if (sameId(resource.type, TYPES.onlineDeployment))
    return lacks("egressPublicNetworkAccess") || lacks("endpointComputeType");
  return false;
}

/** The ARM list that returns a resource with its siblings: the subscription's workspaces, or the parent's children. */
function listPathOf(resource: ArmResource): string {
  if (sameId(resource.type, TYPES.workspace))
    return `/subscriptions/${subscriptionOf(resource.id) ?? ""}/providers/${TYPES.workspace}`;
  return resource.id.slice(0, resource.id.lastIndexOf("/"));
}

/**
 * Completes from ARM the rows that lack a property the rules need: one list of the parent where two or more
 * siblings lack something (fewer requests than a GET each), a GET otherwise. What ARM no longer has is gone.
 */
async function completeFromArm(collector: Collector, trusted: Set<string>): Promise<void> {
  const operation = "read from ARM what Resource Graph does not carry";
  // Workspaces, then endpoints, then deployments: what a parent's read settles (gone, or unreadable)
  // is not asked again of its children.
  for (const type of [TYPES.workspace, TYPES.onlineEndpoint, TYPES.onlineDeployment]) {
    const groups = new Map<string, ArmResource[]>();
    for (const resource of collector.ofType(type)) {
      // Only Resource Graph's rows: what ARM lists returned is ARM's own answer already.
      if (!trusted.has(subscriptionOf(resource.id)?.toLowerCase() ?? "") || !missingProperties(resource))
        continue;
      if (collector.failures.some((f) => isWithin(resource.id, f.scope))) continue;
      const key = listPathOf(resource).toLowerCase();
      groups.set(key, [...(groups.get(key) ?? []), resource]);
    }
    await Promise.all(
      [...groups.values()].map(async (resources) => {
        const first = resources[0] as ArmResource;
        if (resources.length === 1) {
          await collector.confirm(first.id, operation);
          return;
        }
        const subscriptionId = subscriptionOf(first.id) ?? "";
        const listed = await collector
          .listRaw(subscriptionId, listPathOf(first), ML_API_VERSION)
          .catch(() => undefined);
        if (!listed || !("items" in listed)) {
          // The list failed: a GET each says, per resource, what can be read.
          await Promise.all(resources.map((r) => collector.confirm(r.id, operation)));
          return;
        }
        const returned = new Set<string>();
        for (const item of listed.items) {
          const added = collector.add(item);
          if (added) returned.add(added.id.toLowerCase());
        }
        for (const r of resources) if (!returned.has(r.id.toLowerCase())) collector.remove(r.id);
      }),
    );
  }
}

const ML_RESOURCE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+(\/onlineEndpoints\/[^/]+(\/deployments\/[^/]+)?)?/i;

/**
 * Before a finding is resolved because Resource Graph no longer returns its resource, ARM is asked: 404
 * (it is gone) lets it resolve; found, it is judged from ARM's answer (with its children, which Resource
 * Graph lacks as well); refused or failed, it is unknown and its findings stay open.
 */
async function confirmMissing(
  collector: Collector,
  previous: readonly string[],
  trusted: Set<string>,
): Promise<void> {
  const ids = new Map<string, string>();
  for (const id of previous) {
    const ml = ML_RESOURCE.exec(id)?.[0];
    if (ml && trusted.has(subscriptionOf(ml)?.toLowerCase() ?? "")) ids.set(ml.toLowerCase(), ml);
  }
  // Parents first: a workspace found brings its endpoints and deployments, a workspace gone takes them along.
  const byDepth = [...ids.values()].sort((a, b) => a.split("/").length - b.split("/").length);
  const levels = new Map<number, string[]>();
  for (const id of byDepth)
    levels.set(id.split("/").length, [...(levels.get(id.split("/").length) ?? []), id]);
  const gone: string[] = [];
  for (const level of levels.values()) {
    await Promise.all(
      level.map(async (id) => {
        if (collector.has(id) || gone.some((g) => isWithin(id, g))) return;
        if (collector.failures.some((f) => isWithin(id, f.scope))) return;
        const outcome = await collector.confirm(id, "confirm a resource Resource Graph no longer returns");
        if (outcome === "gone") gone.push(id);
        if (outcome !== "found") return;
        if (sameId(parseResourceId(id)?.type, TYPES.workspace)) await readWorkspaceChildren(collector, id);
        else if (sameId(parseResourceId(id)?.type, TYPES.onlineEndpoint))
          await readEndpointChildren(collector, id);
      }),
    );
  }
}

/**
 * Subscriptions per query: enough batches to read in parallel (Resource Graph pages one after another within
 * a query, at about 300 ms each), few enough to stay within its quota of 15 queries per 5 s.
 */
export function batchSizeFor(subscriptions: number): number {
  return Math.min(DEFAULT_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, Math.ceil(subscriptions / PARALLEL_BATCHES)));
}
const PARALLEL_BATCHES = 7;
/** Below this, a query per few subscriptions would only spend quota: a small tenant is one query. */
const MIN_BATCH_SIZE = 10;

export async function readWithArg(
  collector: Collector,
  subscriptions: SubscriptionInfo[],
  batchSize?: number,
  previous: readonly string[] = [],
): Promise<void> {
  const gate = new QuotaGate();
  // Resource Graph's rows are trusted only where the identity is shown to read every ML resource.
  const proofs = await Promise.all(
    subscriptions.map(async (s) => ({
      id: s.subscriptionId,
      proof: await proveReadable(collector, s.subscriptionId),
    })),
  );
  collector.armFallback = proofs
    .filter((p) => !p.proof.proven)
    .map((p) => ({ subscriptionId: p.id, reason: p.proof.reason ?? "" }));
  const ids = proofs.filter((p) => p.proof.proven).map((p) => p.id);
  const size = batchSize ?? batchSizeFor(ids.length);
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += size) batches.push(ids.slice(i, i + size));
  await Promise.all([
    ...batches.map((batch) => readBatch(collector, gate, batch)),
    ...proofs
      .filter((p) => !p.proof.proven)
      .map(async ({ id, proof }) => {
        await readSubscriptionWhole(collector, id, {
          denied: proof.denied,
          ...(proof.denyFailure ? { failure: proof.denyFailure } : {}),
        });
        collector.subscriptionDone();
      }),
  ]);

  const unread = new Set(
    collector.failures
      .filter((f) => f.scopeType === "subscription")
      .map((f) => subscriptionOf(f.scope)?.toLowerCase()),
  );
  const trusted = new Set(ids.map((id) => id.toLowerCase()).filter((id) => !unread.has(id)));
  await completeFromArm(collector, trusted);
  await confirmMissing(collector, previous, trusted);
  const read = subscriptions.map((s) => s.subscriptionId.toLowerCase()).filter((id) => !unread.has(id));
  await readDependencies(collector, gate, new Set(read));
}
