/**
 * Whether the auditing identity can read every Azure ML resource of a subscription: Resource Graph
 * silently leaves out what it may not read, so its rows are trusted only where this is shown.
 *
 * - `GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`
 *   (Permissions - List For Subscription, `authorization-management` spec, 2022-04-01): the caller's
 *   effective permissions at the subscription — the roles assigned at it and above it — as `value[]` of
 *   `{ actions, notActions, dataActions, notDataActions }`. Every ML read operation must be granted by one
 *   of them (`src/rbac.ts` matches the wildcards).
 * - `GET /subscriptions/{id}/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01`
 *   (Deny Assignments - List), once plain (the subscription's and those below it) and once with
 *   `$filter=atScope()` (at it and above it, e.g. a management group's): its deny assignments, as
 *   `value[]` of `{ properties: { scope, permissions[], principals[], excludePrincipals[] } }`. Any that
 *   denies an ML read makes its scope unreadable. Which principals it applies to is not judged: the
 *   auditor does not know its own object id everywhere, and counting a deny that may not apply errs on
 *   the side of unknown.
 *
 * A subscription that cannot be shown readable (or whose authorization reads fail) is read with ARM lists
 * instead; a deny below it also names its scope, which becomes AUDIT001.
 */
import { isWithin } from "../arm-ids.js";
import { covers, ML_READ_OPERATIONS, type Permission } from "../rbac.js";
import type { ScopeFailure } from "../snapshot.js";
import type { Collector } from "./collector.js";

export const AUTHORIZATION_API_VERSION = "2022-04-01";

export interface ReadProof {
  /** Resource Graph's rows can be trusted for this subscription. */
  proven: boolean;
  /** Why not, in a few words. */
  reason?: string;
  /** Scopes a deny assignment keeps from the identity: nothing under them is known. */
  denied: ScopeFailure[];
  /** Why the deny assignments could not be read, when they could not. */
  denyFailure?: string;
}

interface DenyAssignmentJson {
  name?: string;
  properties?: { scope?: string; permissions?: Permission[]; denyAssignmentName?: string };
}

function asPermissions(items: unknown[]): Permission[] {
  return items.flatMap((item) => {
    const p = item as { actions?: unknown; notActions?: unknown };
    if (!Array.isArray(p.actions)) return [];
    return [
      {
        actions: p.actions.filter((a): a is string => typeof a === "string"),
        notActions: Array.isArray(p.notActions)
          ? p.notActions.filter((a): a is string => typeof a === "string")
          : [],
      },
    ];
  });
}

/** The scopes deny assignments keep ML reads from, within or above the subscription. */
export async function deniedScopes(
  collector: Collector,
  subscriptionId: string,
): Promise<{ denied: ScopeFailure[]; failure?: string }> {
  const root = `/subscriptions/${subscriptionId}`;
  const path = `${root}/providers/Microsoft.Authorization/denyAssignments`;
  // The plain list holds the subscription's own deny assignments and those below it; `atScope()` those at
  // it and above it (a management group's), which the plain list does not promise.
  const answers = await Promise.all(
    [undefined, "atScope()"].map((filter) =>
      collector
        .listRaw(subscriptionId, path, AUTHORIZATION_API_VERSION, filter)
        .catch(() => ({ status: 0 }) as const),
    ),
  );
  const items: { item: DenyAssignmentJson; above: boolean }[] = [];
  for (const [index, answer] of answers.entries()) {
    if (answer.status !== 200 || !("items" in answer))
      return {
        denied: [],
        failure: `its deny assignments could not be read (${answer.status || "network"})`,
      };
    for (const item of answer.items) items.push({ item: item as DenyAssignmentJson, above: index === 1 });
  }
  const denied: ScopeFailure[] = [];
  const seen = new Set<string>();
  for (const { item, above } of items) {
    const key = `${item.properties?.scope ?? ""}|${item.name ?? ""}`.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const scope = item.properties?.scope;
    const permissions = asPermissions(item.properties?.permissions ?? []);
    if (!scope || !ML_READ_OPERATIONS.some((op) => permissions.some((p) => covers(p, op)))) continue;
    const name = item.properties?.denyAssignmentName ?? item.name ?? "a deny assignment";
    // A deny at or above the subscription (a management group's scope is no prefix of it) covers all of it.
    const whole = above || isWithin(root, scope) || !isWithin(scope, root);
    const where = whole ? root : scope;
    denied.push({
      scope: where,
      scopeType: whole
        ? "subscription"
        : /\/resourceGroups\/[^/]+$/i.test(where)
          ? "resourceGroup"
          : "resource",
      operation: "read Azure ML resources",
      status: 403,
      code: "DenyAssignment",
      message: `deny assignment ${name} at ${scope} denies reading Azure ML resources`,
    });
  }
  return { denied };
}

export async function proveReadable(collector: Collector, subscriptionId: string): Promise<ReadProof> {
  const root = `/subscriptions/${subscriptionId}`;
  const [permissions, denies] = await Promise.all([
    collector
      .listRaw(
        subscriptionId,
        `${root}/providers/Microsoft.Authorization/permissions`,
        AUTHORIZATION_API_VERSION,
      )
      .catch(() => ({ status: 0 }) as const),
    deniedScopes(collector, subscriptionId),
  ]);
  if (permissions.status !== 200 || !("items" in permissions))
    return {
      proven: false,
      reason: `its permissions could not be read (${permissions.status || "network"})`,
      denied: denies.denied,
      ...(denies.failure ? { denyFailure: denies.failure } : {}),
    };
  const granted = asPermissions(permissions.items);
  const missing = ML_READ_OPERATIONS.filter((op) => !granted.some((p) => covers(p, op)));
  if (missing.length > 0)
    return {
      proven: false,
      reason: `the identity is not granted ${missing.join(", ")} at the subscription`,
      denied: denies.denied,
    };
  if (denies.failure)
    return { proven: false, reason: denies.failure, denied: [], denyFailure: denies.failure };
  if (denies.denied.length > 0)
    return {
      proven: false,
      reason: "a deny assignment keeps Azure ML resources from the identity",
      denied: denies.denied,
    };
  return { proven: true, denied: [] };
}
