/**
 * Which subscriptions an audit covers: every one the identity can read (tenant-wide), or those of the
 * listed management groups and subscriptions, minus the excluded ones.
 */
import { sameId } from "../model/arm-ids.js";
import type { ScopeFailure, SubscriptionInfo } from "../model/snapshot.js";
import type { ArmClients } from "./connection.js";
import { toFailure } from "./failures.js";

export interface AuditScope {
  subscriptions: string[];
  managementGroups: string[];
  excludeSubscriptions: string[];
}

export interface Discovery {
  tenantId?: string;
  subscriptions: SubscriptionInfo[];
  failures: ScopeFailure[];
}

/** Subscriptions in these states hold nothing that runs; they are not audited. */
const INACTIVE_STATES = ["disabled", "deleted"];

async function managementGroupSubscriptions(
  clients: ArmClients,
  group: string,
): Promise<{ ids: string[]; failure?: ScopeFailure }> {
  const scope = `/providers/Microsoft.Management/managementGroups/${group}`;
  try {
    const ids: string[] = [];
    let skipToken: string | undefined;
    do {
      const page = await clients.resourceGraph().resources({
        managementGroups: [group],
        query:
          "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId",
        options: skipToken ? { skipToken } : {},
      });
      for (const row of page.data as { subscriptionId?: string }[])
        if (row.subscriptionId) ids.push(row.subscriptionId);
      skipToken = page.skipToken;
    } while (skipToken);
    return { ids };
  } catch (error) {
    return {
      ids: [],
      failure: toFailure(error, scope, "subscription", "list the subscriptions of the management group"),
    };
  }
}

export async function discoverSubscriptions(clients: ArmClients, scope: AuditScope): Promise<Discovery> {
  const failures: ScopeFailure[] = [];
  const visible: SubscriptionInfo[] = [];
  let tenantId: string | undefined;
  try {
    for await (const s of clients.subscriptions().subscriptions.list()) {
      if (!s.subscriptionId) continue;
      tenantId ??= s.tenantId;
      visible.push({
        subscriptionId: s.subscriptionId,
        displayName: s.displayName ?? s.subscriptionId,
        state: s.state,
      });
    }
  } catch (error) {
    failures.push(toFailure(error, "/subscriptions", "subscription", "list subscriptions"));
    return { subscriptions: [], failures };
  }

  const wanted = new Map<string, string | undefined>(); // id → why it is wanted (undefined: tenant-wide)
  for (const id of scope.subscriptions) wanted.set(id.toLowerCase(), "listed");
  for (const group of scope.managementGroups) {
    const { ids, failure } = await managementGroupSubscriptions(clients, group);
    if (failure) failures.push(failure);
    else if (ids.length === 0)
      // An unknown group, a group the identity cannot see into, and an empty group look alike here:
      // none of them is a clean result.
      failures.push({
        scope: `/providers/Microsoft.Management/managementGroups/${group}`,
        scopeType: "subscription",
        operation: "list the subscriptions of the management group",
        status: 404,
        code: "NoSubscriptions",
        message:
          "The management group selects no subscription the auditor can read: it does not exist, holds none, or the identity has no role under it.",
      });
    for (const id of ids) wanted.set(id.toLowerCase(), `management group ${group}`);
  }
  const tenantWide = scope.subscriptions.length === 0 && scope.managementGroups.length === 0;
  const excluded = new Set(scope.excludeSubscriptions.map((s) => s.toLowerCase()));

  const subscriptions: SubscriptionInfo[] = [];
  for (const s of visible) {
    const key = s.subscriptionId.toLowerCase();
    if (excluded.has(key) || (!tenantWide && !wanted.has(key))) continue;
    if (INACTIVE_STATES.includes((s.state ?? "").toLowerCase())) continue;
    subscriptions.push(s);
  }
  for (const [id] of wanted) {
    if (excluded.has(id) || visible.some((s) => sameId(s.subscriptionId, id))) continue;
    // Asked for, but the identity cannot see it: report it, never skip it quietly.
    subscriptions.push({ subscriptionId: id, displayName: id });
    failures.push({
      scope: `/subscriptions/${id}`,
      scopeType: "subscription",
      operation: "find the subscription",
      status: 404,
      code: "SubscriptionNotFound",
      message:
        "The subscription is not visible to the auditor's identity (it does not exist, or the identity has no role on it).",
    });
  }
  if (subscriptions.length === 0 && failures.length === 0)
    // Nothing selected and nothing failed would read as "no findings": say that nothing was audited.
    failures.push({
      scope: "/subscriptions",
      scopeType: "subscription",
      operation: "find the subscriptions to audit",
      status: 404,
      code: "NoSubscriptions",
      message: tenantWide
        ? "The identity can read no enabled subscription in this tenant."
        : "The scope selects no subscription the auditor can read.",
    });
  return { ...(tenantId ? { tenantId } : {}), subscriptions, failures };
}
