/**
 * The `arm` source: per subscription list workspaces, per workspace online endpoints, per endpoint
 * deployments, each through the Azure ML SDK client's pipeline (its credential, retries and throttling) at
 * api-version 2025-12-01, keeping the raw JSON because the SDK's models drop `managedNetwork`.
 */
import { TYPES, isWithin, sameId, subscriptionOf, typeScope } from "../model/arm-ids.js";
import { FOUNDRY_API_VERSION, isAccountToKeep, isFoundryResource } from "../model/foundry.js";
import type { ScopeFailure, ScopeType, SubscriptionInfo } from "../model/snapshot.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";
import { ML_API_VERSION } from "./connection.js";
import { responseFailure } from "./failures.js";
import { normalizeResource } from "./normalize.js";
import { deniedScopes } from "./proof.js";

/**
 * Every item of every page of an ARM list, as the raw JSON ARM sent (the SDK's models drop `managedNetwork`),
 * through the subscription's ML client pipeline: its credential, retries and throttling. Each body is parsed
 * once; the SDK's typed list would deserialize it a second time for nothing. Undefined when the list failed
 * (the failure is recorded against `scope`).
 */
async function list(
  collector: Collector,
  subscriptionId: string,
  path: string,
  failure: { scope: string; scopeType: ScopeType; operation: string },
  apiVersion = ML_API_VERSION,
): Promise<unknown[] | undefined> {
  try {
    const listed = await collector.listRaw(subscriptionId, path, apiVersion);
    if ("items" in listed) return listed.items;
    collector.failures.push(
      responseFailure(listed.status, listed.body, failure.scope, failure.scopeType, failure.operation),
    );
  } catch (error) {
    collector.fail(error, failure.scope, failure.scopeType, failure.operation);
  }
  return undefined;
}

export async function readWithArm(collector: Collector, subscriptions: SubscriptionInfo[]): Promise<void> {
  // The zone index starts first, in the urgent lane: every settle that needs it waits on it.
  collector.dns.start();
  await Promise.all(
    subscriptions.map(async ({ subscriptionId }) => {
      await readSubscriptionWhole(collector, subscriptionId);
      collector.subscriptionDone();
      await collector.settle(subscriptionId);
    }),
  );
}

/**
 * A subscription through ARM lists, with what deny assignments keep from the identity: a list leaves out
 * what the identity may not read, so each denied scope is recorded as unread (and its findings unknown).
 */
export async function readSubscriptionWhole(
  collector: Collector,
  subscriptionId: string,
  known?: { denied: ScopeFailure[]; failure?: string },
): Promise<void> {
  const denies = known ?? (await deniedScopes(collector, subscriptionId));
  await recordDenies(collector, subscriptionId, denies, () => readSubscription(collector, subscriptionId));
}

/**
 * The Foundry and Azure OpenAI accounts of a subscription through ARM lists, for a subscription whose ML
 * resources Resource Graph showed whole but whose accounts it could not (the identity's reads of Cognitive
 * Services are not proven): the accounts' deny scopes are recorded as unread.
 */
export async function readFoundryWhole(
  collector: Collector,
  subscriptionId: string,
  known: { denied: ScopeFailure[]; failure?: string },
): Promise<void> {
  const foundryScope = typeScope(subscriptionId, TYPES.foundryAccount);
  await recordDenies(
    collector,
    subscriptionId,
    known,
    () => readFoundry(collector, subscriptionId),
    foundryScope,
  );
}

/** Runs `read`, then records what deny assignments hide from its lists — unless ARM refused `refusable` outright. */
async function recordDenies(
  collector: Collector,
  subscriptionId: string,
  denies: { denied: ScopeFailure[]; failure?: string },
  read: () => Promise<void>,
  refusable = `/subscriptions/${subscriptionId}`,
): Promise<void> {
  const before = collector.failures.length;
  await read();
  const refused = collector.failures.slice(before).some((f) => sameId(f.scope, refusable));
  // A subscription ARM refused outright is AUDIT001 already; what deny assignments hide matters only
  // where the lists answered.
  if (refused) return;
  collector.failures.push(...denies.denied);
  if (denies.failure)
    collector.failures.push({
      scope: `/subscriptions/${subscriptionId}`,
      scopeType: "subscription",
      operation: "read the deny assignments of the subscription",
      message: `${denies.failure}: what they may hide from the lists is unknown`,
    });
}

/** The workspace's endpoints and their deployments, through ARM lists (a workspace Resource Graph lacked). */
export async function readWorkspaceChildren(collector: Collector, workspaceId: string): Promise<void> {
  const subscriptionId = subscriptionOf(workspaceId);
  if (!subscriptionId) return;
  const endpoints = await list(collector, subscriptionId, `${workspaceId}/onlineEndpoints`, {
    scope: workspaceId,
    scopeType: "workspace",
    operation: "list online endpoints",
  });
  await Promise.all((endpoints ?? []).map((raw) => readEndpointChildren(collector, collector.add(raw)?.id)));
}

export async function readEndpointChildren(
  collector: Collector,
  endpointId: string | undefined,
): Promise<void> {
  const subscriptionId = endpointId ? subscriptionOf(endpointId) : undefined;
  if (!endpointId || !subscriptionId) return;
  const deployments = await list(collector, subscriptionId, `${endpointId}/deployments`, {
    scope: endpointId,
    scopeType: "endpoint",
    operation: "list deployments",
  });
  for (const d of deployments ?? []) collector.add(d);
}

/** The projects of a Foundry resource (an Azure OpenAI account has none). */
export async function readAccountChildren(collector: Collector, accountId: string): Promise<void> {
  const subscriptionId = subscriptionOf(accountId);
  if (!subscriptionId) return;
  const projects = await list(
    collector,
    subscriptionId,
    `${accountId}/projects`,
    { scope: accountId, scopeType: "account", operation: "list Foundry projects" },
    FOUNDRY_API_VERSION,
  );
  for (const p of projects ?? []) collector.add(p);
}

/**
 * The subscription's Foundry and Azure OpenAI accounts (the list returns every Cognitive Services kind: the
 * others are not audited, and not kept), and the projects of each Foundry resource.
 */
async function readFoundry(collector: Collector, subscriptionId: string): Promise<void> {
  const accounts = await list(
    collector,
    subscriptionId,
    `/subscriptions/${subscriptionId}/providers/${TYPES.foundryAccount}`,
    {
      scope: typeScope(subscriptionId, TYPES.foundryAccount),
      scopeType: "resourceType",
      operation: "list Foundry and Azure OpenAI accounts",
    },
    FOUNDRY_API_VERSION,
  );
  await Promise.all(
    (accounts ?? []).map(async (raw) => {
      const listed = normalizeResource(raw);
      if (!listed || !isAccountToKeep(listed)) return;
      const account = collector.add(listed);
      if (account && isFoundryResource(account)) await readAccountChildren(collector, account.id);
    }),
  );
}

async function readSubscription(collector: Collector, subscriptionId: string): Promise<void> {
  const before = collector.failures.length;
  await Promise.all([readMl(collector, subscriptionId), readFoundry(collector, subscriptionId)]);
  // A subscription refused outright refuses its accounts' list too: one AUDIT001, on the subscription.
  const root = `/subscriptions/${subscriptionId}`;
  const added = collector.failures.slice(before);
  if (added.some((f) => f.scopeType === "subscription" && sameId(f.scope, root))) {
    const kept = added.filter((f) => f.scopeType !== "resourceType" || !isWithin(f.scope, root));
    collector.failures.splice(before, added.length, ...kept);
  }
}

async function readMl(collector: Collector, subscriptionId: string): Promise<void> {
  const workspaces = await list(
    collector,
    subscriptionId,
    `/subscriptions/${subscriptionId}/providers/${TYPES.workspace}`,
    { scope: `/subscriptions/${subscriptionId}`, scopeType: "subscription", operation: SUBSCRIPTION_READ },
  );
  await Promise.all(
    (workspaces ?? []).map(async (raw) => {
      const workspace = collector.add(raw);
      if (!workspace) return;
      await readWorkspaceChildren(collector, workspace.id);
      collector.report();
    }),
  );
}
