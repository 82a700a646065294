/**
 * The `arm` source: per subscription list workspaces, per workspace online endpoints, per endpoint
 * deployments, each through the Azure ML SDK client (its paging, retries and throttling) at
 * api-version 2025-12-01, keeping the raw JSON because the SDK's models drop `managedNetwork`.
 */
import type { FullOperationResponse, OperationOptions } from "@azure/core-client";
import { parseResourceId } from "../arm-ids.js";
import type { SubscriptionInfo } from "../snapshot.js";
import { SUBSCRIPTION_READ, type Collector } from "./collector.js";

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
      await readSubscription(collector, subscriptionId);
      collector.subscriptionDone();
    }),
  );
  await collector.readDependencies();
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
