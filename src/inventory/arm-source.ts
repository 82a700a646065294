/**
 * The `arm` source: per subscription list workspaces, per workspace online endpoints, per endpoint
 * deployments, each through the Azure ML SDK client (its paging, retries and throttling) at
 * api-version 2025-12-01, keeping the raw JSON because the SDK's models drop `managedNetwork`.
 */
import type { FullOperationResponse, OperationOptions } from "@azure/core-client";
import { parseResourceId, sameId } from "../arm-ids.js";
import type { ScopeFailure, SubscriptionInfo } from "../snapshot.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";
import { deniedScopes } from "./proof.js";

/** Every item of every page of a list, as the raw JSON ARM sent. */
async function listRaw(
  list: (options: OperationOptions) => { byPage(): AsyncIterableIterator<unknown> },
): Promise<unknown[]> {
  const items: unknown[] = [];
  const onResponse = (response: FullOperationResponse): void => {
    if (response.status !== 200) return;
    const body = JSON.parse(response.bodyAsText ?? "{}") as { value?: unknown[] };
    items.push(...(body.value ?? []));
  };
  // The typed pages are only walked so that the SDK follows nextLink; the raw bodies are what we keep.
  for await (const _page of list({ onResponse }).byPage()) {
    /* consumed */
  }
  return items;
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
  const where = parseResourceId(workspaceId);
  if (!where?.resourceGroup || !where.names[0]) return;
  const ml = collector.clients.ml(where.subscriptionId);
  const run = <T>(task: () => Promise<T>) => collector.limiter.run(where.subscriptionId, task);
  const group = where.resourceGroup;
  const name = where.names[0];
  let endpoints: unknown[];
  try {
    endpoints = await run(() => listRaw((o) => ml.onlineEndpoints.list(group, name, o)));
  } catch (error) {
    collector.fail(error, workspaceId, "workspace", "list online endpoints");
    return;
  }
  await Promise.all(endpoints.map((raw) => readEndpointChildren(collector, collector.add(raw)?.id)));
}

export async function readEndpointChildren(
  collector: Collector,
  endpointId: string | undefined,
): Promise<void> {
  const where = endpointId ? parseResourceId(endpointId) : undefined;
  if (!endpointId || !where?.resourceGroup || !where.names[0] || !where.names[1]) return;
  const ml = collector.clients.ml(where.subscriptionId);
  const [group, workspace, endpoint] = [where.resourceGroup, where.names[0], where.names[1]];
  try {
    const deployments = await collector.limiter.run(where.subscriptionId, () =>
      listRaw((o) => ml.onlineDeployments.list(group, workspace, endpoint, o)),
    );
    for (const d of deployments) collector.add(d);
  } catch (error) {
    collector.fail(error, endpointId, "endpoint", "list deployments");
  }
}

async function readSubscription(collector: Collector, subscriptionId: string): Promise<void> {
  const ml = collector.clients.ml(subscriptionId);
  const run = <T>(task: () => Promise<T>) => collector.limiter.run(subscriptionId, task);
  let workspaces: unknown[];
  try {
    workspaces = await run(() => listRaw((o) => ml.workspaces.listBySubscription(o)));
  } catch (error) {
    collector.fail(error, `/subscriptions/${subscriptionId}`, "subscription", SUBSCRIPTION_READ);
    return;
  }
  await Promise.all(
    workspaces.map(async (raw) => {
      const workspace = collector.add(raw);
      const where = workspace && parseResourceId(workspace.id);
      if (!workspace || !where?.resourceGroup) return;
      const group = where.resourceGroup;
      let endpoints: unknown[];
      try {
        endpoints = await run(() => listRaw((o) => ml.onlineEndpoints.list(group, workspace.name, o)));
      } catch (error) {
        collector.fail(error, workspace.id, "workspace", "list online endpoints");
        return;
      }
      collector.report();
      await Promise.all(
        endpoints.map(async (rawEndpoint) => {
          const endpoint = collector.add(rawEndpoint);
          if (!endpoint) return;
          try {
            const deployments = await run(() =>
              listRaw((o) => ml.onlineDeployments.list(group, workspace.name, endpoint.name, o)),
            );
            for (const d of deployments) collector.add(d);
          } catch (error) {
            collector.fail(error, endpoint.id, "endpoint", "list deployments");
          }
        }),
      );
    }),
  );
}
