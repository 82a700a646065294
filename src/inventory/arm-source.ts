/**
 * The `arm` source: per subscription list workspaces, per workspace online endpoints, per endpoint
 * deployments, each through the Azure ML SDK client's pipeline (its credential, retries and throttling) at
 * api-version 2025-12-01, keeping the raw JSON because the SDK's models drop `managedNetwork`.
 */
import { TYPES, sameId, subscriptionOf } from "../arm-ids.js";
import type { ScopeFailure, ScopeType, SubscriptionInfo } from "../snapshot.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";
import { ML_API_VERSION } from "./connection.js";
import { responseFailure } from "./failures.js";
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
): Promise<unknown[] | undefined> {
  try {
    const listed = await collector.listRaw(subscriptionId, path, ML_API_VERSION);
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
  const before = collector.failures.length;
  await readSubscription(collector, subscriptionId);
  const refused = collector.failures
    .slice(before)
    .some((f) => f.scopeType === "subscription" && sameId(f.scope, `/subscriptions/${subscriptionId}`));
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

async function readSubscription(collector: Collector, subscriptionId: string): Promise<void> {
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
