/**
 * The `arg` source: Azure Resource Graph reads every workspace, online endpoint and deployment of up
 * to `batchSize` subscriptions in one paged query (1,000 rows a page). A batch that fails is split
 * until the subscription at fault is isolated, so one unreadable subscription costs only itself.
 * What Resource Graph lacks is read from ARM for that resource only.
 */
import type { FullOperationResponse } from "@azure/core-client";
import { TYPES, isWithin, parseResourceId, sameId, subscriptionOf } from "../model/arm-ids.js";
import type { ArmResource, SubscriptionInfo } from "../model/snapshot.js";
import { FOUNDRY_KINDS } from "../model/foundry.js";
import {
  readAccountChildren,
  readEndpointChildren,
  readFoundryWhole,
  readSubscriptionWhole,
  readWorkspaceChildren,
} from "./arm-source.js";
import { READ_API_VERSIONS, SUBSCRIPTION_READ, type Collector } from "./collector.js";
import { COMPLETED_TYPES, lacking, rowsOf } from "./arg-needs.js";
import { proveReadable, type ReadProof } from "./proof.js";
import { QuotaGate } from "./quota-gate.js";

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

const quoted = (values: readonly string[]) => values.map((v) => `'${v.toLowerCase()}'`).join(", ");
const ML_TYPES = [TYPES.workspace, TYPES.onlineEndpoint, TYPES.onlineDeployment];
const FOUNDRY_TYPES = [TYPES.foundryAccount, TYPES.foundryProject];
const COLUMNS = "id, name, type, location, kind, sku, tags, properties, subscriptionId";
/**
 * The ML resources, and the Foundry and Azure OpenAI accounts with their projects, in one query: the other kinds
 * of Cognitive Services account are not audited, so Resource Graph leaves them out rather than paging them in.
 * Managed networks are proxy resources Resource Graph does not index: they are read from ARM.
 */
export const ML_QUERY =
  `resources | where type in~ (${quoted([...ML_TYPES, ...FOUNDRY_TYPES])})` +
  ` | where type !~ '${TYPES.foundryAccount.toLowerCase()}' or isempty(kind) or kind in~ (${quoted(FOUNDRY_KINDS)})` +
  ` | project ${COLUMNS} | order by id asc`;

const isFoundryRow = (type: unknown) =>
  typeof type === "string" && FOUNDRY_TYPES.some((t) => sameId(t, type));

/** Resource Graph allows under 300 subscriptions per request. */
export const DEFAULT_BATCH_SIZE = 200;

/**
 * One batch of subscriptions in one paged query. Rows come ordered by id, so a subscription's rows are whole
 * once a row of the next one arrives: it is finished (completed from ARM, settled and handed on) while the
 * next pages are read, and a batch holds about a page and the subscriptions being finished, not all its rows.
 * A query that fails is split until the subscription at fault is isolated; what was finished stays finished.
 */
async function readBatch(
  collector: Collector,
  gate: QuotaGate,
  batch: string[],
  finish: (subscriptionId: string) => Promise<void>,
  foundryUntrusted: ReadonlySet<string>,
): Promise<void> {
  const left = new Map(batch.map((id) => [id.toLowerCase(), id]));
  const finishing: Promise<void>[] = [];
  const close = (key: string) => {
    const id = left.get(key);
    if (id === undefined) return;
    left.delete(key);
    collector.subscriptionDone();
    finishing.push(finish(id));
  };
  const late = new Set<string>();
  const inBatch = new Set(left.keys());
  // The same subscriptions on every page: a skip token belongs to its query.
  const subscriptions = [...batch];
  try {
    let skipToken: string | undefined;
    let current: string | undefined;
    do {
      await gate.wait();
      let answered: FullOperationResponse | undefined;
      const page = await collector.clients
        .resourceGraph()
        .resources(
          {
            subscriptions,
            query: ML_QUERY,
            options: { resultFormat: "objectArray", ...(skipToken ? { skipToken } : {}) },
          },
          { onResponse: (response) => (answered = response) },
        )
        .finally(() => gate.done(answered));
      for (const row of page.data as { id?: unknown; type?: unknown }[]) {
        const key = typeof row.id === "string" ? subscriptionOf(row.id)?.toLowerCase() : undefined;
        if (key === undefined) continue;
        if (key !== current) {
          if (current !== undefined) close(current);
          current = key;
        }
        if (left.has(key)) {
          // Where Cognitive Services reads are not proven, Resource Graph may have left accounts out: ARM lists them.
          if (!(foundryUntrusted.has(key) && isFoundryRow(row.type))) collector.addRow(row);
        } else if (inBatch.has(key) && !late.has(key)) {
          // Judged already on rows that were not all of its rows: what it holds is unknown.
          late.add(key);
          collector.failures.push({
            scope: `/subscriptions/${key}`,
            scopeType: "subscription",
            operation: SUBSCRIPTION_READ,
            message: "Resource Graph returned its rows out of order, after the subscription was judged",
          });
        }
      }
      skipToken = page.skipToken;
    } while (skipToken);
    for (const key of [...left.keys()]) close(key);
  } catch (error) {
    const rest = [...left.values()];
    if (rest.length === 1) {
      const id = rest[0] as string;
      collector.fail(error, `/subscriptions/${id}`, "subscription", SUBSCRIPTION_READ);
      left.delete(id.toLowerCase());
      collector.subscriptionDone();
      finishing.push(collector.settle(id));
    } else if (rest.length > 1) {
      const half = Math.ceil(rest.length / 2);
      await readBatch(collector, gate, rest.slice(0, half), finish, foundryUntrusted);
      await readBatch(collector, gate, rest.slice(half), finish, foundryUntrusted);
    }
  }
  await Promise.all(finishing);
}

/** The ARM list that returns a resource with its siblings: the subscription's workspaces or accounts, or the parent's children. */
function listPathOf(resource: ArmResource): string {
  if (sameId(resource.type, TYPES.workspace) || sameId(resource.type, TYPES.foundryAccount))
    return `/subscriptions/${subscriptionOf(resource.id) ?? ""}/providers/${resource.type}`;
  return resource.id.slice(0, resource.id.lastIndexOf("/"));
}

/**
 * Completes from ARM the rows that lack a property the rules need where it could change a verdict (arg-needs.ts):
 * one list of the parent where two or more siblings lack something (fewer requests than a GET each), a GET
 * otherwise. What ARM no longer has is gone. Rows are read as ARM returns them, whole.
 */
async function completeFromArm(collector: Collector, subscriptionId: string): Promise<void> {
  const operation = "read from ARM what Resource Graph does not carry";
  // Parents first: what a parent's read settles (gone, or unreadable) is not asked again of its children, and
  // what it returns (a workspace's) is what its children's needs are judged by.
  for (const type of COMPLETED_TYPES) {
    const rows = rowsOf(collector.held(subscriptionId));
    const groups = new Map<string, ArmResource[]>();
    for (const resource of collector.ofType(type, subscriptionId)) {
      if (!collector.fromGraph(resource.id) || lacking(resource, rows, collector.carried).length === 0)
        continue;
      if (collector.failures.some((f) => isWithin(resource.id, f.scope))) continue;
      const key = listPathOf(resource).toLowerCase();
      groups.set(key, [...(groups.get(key) ?? []), resource]);
    }
    const apiVersion = READ_API_VERSIONS[type] as string;
    await Promise.all(
      [...groups.values()].map(async (resources) => {
        const first = resources[0] as ArmResource;
        if (resources.length === 1) {
          await collector.confirm(first.id, operation);
          return;
        }
        // The list holds siblings that needed nothing (and, for accounts, kinds that are not audited).
        const returned = await collector.addListed(
          subscriptionId,
          listPathOf(first),
          apiVersion,
          new Set(resources.map((r) => r.id.toLowerCase())),
        );
        if (!returned) {
          // The list failed: a GET each says, per resource, what can be read.
          await Promise.all(resources.map((r) => collector.confirm(r.id, operation)));
          return;
        }
        for (const r of resources) if (!returned.has(r.id.toLowerCase())) collector.remove(r.id);
      }),
    );
  }
}

const ML_RESOURCE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.MachineLearningServices\/workspaces\/[^/]+(\/onlineEndpoints\/[^/]+(\/deployments\/[^/]+)?)?|Microsoft\.CognitiveServices\/accounts\/[^/]+)/i;

/**
 * Before a finding is resolved because Resource Graph no longer returns its resource, ARM is asked: 404
 * (it is gone) lets it resolve; found, it is judged from ARM's answer (with its children, which Resource
 * Graph lacks as well); refused or failed, it is unknown and its findings stay open.
 */
async function confirmMissing(collector: Collector, ids: ReadonlyMap<string, string>): Promise<void> {
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
        const type = parseResourceId(id)?.type;
        if (sameId(type, TYPES.workspace)) await readWorkspaceChildren(collector, id);
        else if (sameId(type, TYPES.onlineEndpoint)) await readEndpointChildren(collector, id);
        else if (sameId(type, TYPES.foundryAccount)) await readAccountChildren(collector, id);
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

/** The ML resources (or their workspace and endpoint) that earlier findings name, per subscription. */
function previousBySubscription(previous: readonly string[]): Map<string, Map<string, string>> {
  const bySubscription = new Map<string, Map<string, string>>();
  for (const id of previous) {
    const ml = ML_RESOURCE.exec(id)?.[0];
    const key = ml ? subscriptionOf(ml)?.toLowerCase() : undefined;
    if (!ml || !key) continue;
    const ids = bySubscription.get(key) ?? new Map<string, string>();
    ids.set(ml.toLowerCase(), ml);
    bySubscription.set(key, ids);
  }
  return bySubscription;
}

export async function readWithArg(
  collector: Collector,
  subscriptions: SubscriptionInfo[],
  batchSize?: number,
  previous: readonly string[] = [],
): Promise<void> {
  const gate = new QuotaGate();
  const earlier = previousBySubscription(previous);
  // Resource Graph's rows are trusted only where the identity is shown to read every ML resource. The proofs
  // are served in subscription order, so the first batches query while later subscriptions are still proven.
  const proofs = new Map(
    subscriptions.map((s) => {
      // Caught here, not where it is awaited: a proof failing before its batch's turn must not go unhandled.
      const proof = proveReadable(collector, s.subscriptionId).catch((error: unknown): ReadProof => ({
        proven: false,
        reason: describe(error),
        denied: [],
        foundry: { proven: false, reason: describe(error), denied: [] },
        dns: { proven: false, reason: describe(error), denied: [] },
      }));
      return [s.subscriptionId, proof] as const;
    }),
  );
  // The private endpoint DNS index is the run's first query (its rows are needed at the first settle), in the
  // same quota as the ML queries; its rows are trusted where the proofs show the zones readable.
  collector.dns.start(gate, (subscriptionId) => proofs.get(subscriptionId));
  const size = batchSize ?? batchSizeFor(subscriptions.length);
  const batches: string[][] = [];
  for (let i = 0; i < subscriptions.length; i += size)
    batches.push(subscriptions.slice(i, i + size).map((s) => s.subscriptionId));

  /** Subscriptions whose ML resources Resource Graph shows whole but whose accounts it may not, and their proofs. */
  const foundryUntrusted = new Map<string, ReadProof>();
  const finish = async (subscriptionId: string) => {
    const unread = collector.failures.some(
      (f) => f.scopeType === "subscription" && sameId(f.scope, `/subscriptions/${subscriptionId}`),
    );
    const untrusted = foundryUntrusted.get(subscriptionId.toLowerCase());
    if (!unread && untrusted) {
      collector.armFallback.push({
        subscriptionId,
        reason: `Foundry and Azure OpenAI accounts: ${untrusted.foundry.reason ?? ""}`,
      });
      await readFoundryWhole(collector, subscriptionId, {
        denied: untrusted.foundry.denied,
        ...(untrusted.denyFailure ? { failure: untrusted.denyFailure } : {}),
      });
    }
    if (!unread) {
      await completeFromArm(collector, subscriptionId);
      await confirmMissing(collector, earlier.get(subscriptionId.toLowerCase()) ?? new Map());
    }
    await collector.settle(subscriptionId);
  };
  // A few batches at a time: Resource Graph's quota is per user, and each batch in flight holds its rows.
  const fallbacks: Promise<void>[] = [];
  /** A subscription not proven is read with ARM lists in the same run (what ARM refuses is AUDIT001). */
  const readUnproven = async (id: string, proof: ReadProof) => {
    collector.armFallback.push({ subscriptionId: id, reason: proof.reason ?? "" });
    await readSubscriptionWhole(collector, id, {
      denied: proof.denied,
      ...(proof.denyFailure ? { failure: proof.denyFailure } : {}),
    });
    collector.subscriptionDone();
    await collector.settle(id);
  };
  const queue = [...batches];
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const proven: string[] = [];
      for (const id of batch) {
        const proof = await (proofs.get(id) as Promise<ReadProof>);
        if (proof.proven) {
          proven.push(id);
          if (!proof.foundry.proven) foundryUntrusted.set(id.toLowerCase(), proof);
        } else fallbacks.push(readUnproven(id, proof));
      }
      if (proven.length > 0)
        await readBatch(collector, gate, proven, finish, new Set(foundryUntrusted.keys()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
  await Promise.all(fallbacks);
}
