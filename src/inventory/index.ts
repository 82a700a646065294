/**
 * The inventory: the only code that talks to ARM. Discovers the subscriptions in scope and reads them
 * with the chosen source into a snapshot; whatever it cannot read is recorded, and the run goes on.
 */
import type { ArmResource, ScopeFailure, Snapshot, SubscriptionInfo } from "../model/snapshot.js";
import { readWithArg } from "./arg-source.js";
import { readWithArm } from "./arm-source.js";
import { Collector, type InventoryUnit } from "./collector.js";
import type { ArmClients } from "./connection.js";
import { discoverSubscriptions, type AuditScope } from "./discover.js";
import { Limiter } from "./limiter.js";

export type Source = "arg" | "arm";
export type { InventoryUnit, Progress } from "./collector.js";
import type { Progress } from "./collector.js";
export type { AuditScope } from "./discover.js";

export interface InventoryOptions {
  source: Source;
  scope: AuditScope;
  /** Requests in flight: overall, and per subscription (ARM's throttle is per subscription). */
  concurrency?: { overall: number; perSubscription: number };
  /** Subscriptions per Resource Graph query. */
  argBatchSize?: number;
  onProgress?: (progress: Progress) => void;
  /** Resource ids of the previous run's findings: the `arg` source confirms with ARM those it no longer sees. */
  previous?: readonly string[];
}

/**
 * ARM throttles per subscription (a bucket of 250 reads, 25/s) and per principal, not overall: the overall
 * cap only bounds this process's sockets and memory, and at 32 it, not ARM, set the pace of a 200-subscription
 * audit (measured: 12.1 s where latency allowed 7.0 s).
 */
export const DEFAULT_CONCURRENCY = { overall: 128, perSubscription: 4 };

/** What the run keeps of the inventory once every subscription has been handed on. */
export interface InventoryRun {
  tenantId?: string;
  subscriptions: SubscriptionInfo[];
  failures: ScopeFailure[];
  /** Hubs, storage accounts, registries, networks and DNS zones: what rules look up across subscriptions. */
  context: ReadonlyMap<string, ArmResource>;
  /** The context resources that no unit carried (for the archive). */
  contextResources: ArmResource[];
}

/**
 * Reads the subscriptions in scope with the chosen source, handing each to `onSettled` as soon as it is read
 * whole (with `context` and `failures` as they stand), so the caller judges and forgets it.
 */
export async function collectInventory(
  clients: ArmClients,
  options: InventoryOptions,
  onSettled: (unit: InventoryUnit, run: Pick<InventoryRun, "context" | "failures" | "subscriptions">) => void,
): Promise<InventoryRun> {
  const discovery = await discoverSubscriptions(clients, options.scope);
  const { overall, perSubscription } = options.concurrency ?? DEFAULT_CONCURRENCY;
  const collector = new Collector(
    clients,
    new Limiter(overall, perSubscription),
    options.onProgress,
    (unit) =>
      onSettled(unit, {
        subscriptions: discovery.subscriptions,
        failures: collector.failures,
        context: collector.context,
      }),
  );
  collector.failures.push(...discovery.failures);
  const readable = discovery.subscriptions.filter(
    (s) =>
      !discovery.failures.some(
        (f) => f.scope.toLowerCase() === `/subscriptions/${s.subscriptionId}`.toLowerCase(),
      ),
  );
  collector.expect(readable.map((s) => s.subscriptionId));
  collector.progress.subscriptions.total = readable.length;
  collector.dns.configure(
    options.source,
    readable.map((s) => s.subscriptionId),
  );
  collector.report();
  if (options.source === "arg")
    await readWithArg(collector, readable, options.argBatchSize, options.previous);
  else await readWithArm(collector, readable);
  await collector.finish();
  return {
    ...(discovery.tenantId ? { tenantId: discovery.tenantId } : {}),
    subscriptions: discovery.subscriptions,
    failures: collector.failures,
    context: collector.context,
    contextResources: collector.contextResources(),
  };
}

/** The whole snapshot at once (tests, and tools that want it): every unit gathered. */
export async function collectSnapshot(clients: ArmClients, options: InventoryOptions): Promise<Snapshot> {
  const resources: ArmResource[] = [];
  const run = await collectInventory(clients, options, (unit) =>
    resources.push(...unit.resources, ...unit.released),
  );
  return {
    ...(run.tenantId ? { tenantId: run.tenantId } : {}),
    subscriptions: run.subscriptions,
    resources: [...resources, ...run.contextResources].sort((a, b) =>
      a.id.toLowerCase().localeCompare(b.id.toLowerCase()),
    ),
    failures: run.failures,
  };
}
