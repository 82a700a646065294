/**
 * Whether the auditing identity can read every Azure ML resource of a subscription: Resource Graph
 * silently leaves out what it may not read, so its rows are trusted only where this is shown.
 *
 * - `GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`
 *   (Permissions - List For Subscription, `authorization-management` spec, 2022-04-01): the caller's
 *   effective permissions at the subscription — the roles assigned at it and above it — as `value[]` of
 *   `{ actions, notActions, dataActions, notDataActions }`. Every ML read operation must be granted by one
 *   of them (`src/model/rbac.ts` matches the wildcards).
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
 *
 * The proof is made per family of resources — Azure ML, and Foundry and Azure OpenAI accounts — from the same
 * two reads: a role that reads ML but not Cognitive Services leaves Resource Graph trusted for the ML resources
 * and sends only the accounts to ARM, where a refusal makes them, not the subscription, unknown.
 */
import { TYPES, isWithin, typeScope } from "../model/arm-ids.js";
import {
  covers,
  DNS_READ_OPERATIONS,
  FOUNDRY_READ_OPERATIONS,
  ML_READ_OPERATIONS,
  type Permission,
} from "../model/rbac.js";
import type { ScopeFailure } from "../model/snapshot.js";
import type { ReadContext } from "./reads.js";

/** The read context with the run's memo of deny assignments (the Collector). */
export type ProofContext = ReadContext & { readonly denials: Map<string, Promise<Denies>> };

export const AUTHORIZATION_API_VERSION = "2022-04-01";

export type Family = "ml" | "foundry" | "dns";

const OPERATIONS: Record<Family, readonly string[]> = {
  ml: ML_READ_OPERATIONS,
  foundry: FOUNDRY_READ_OPERATIONS,
  dns: DNS_READ_OPERATIONS,
};

const NOUNS: Record<Family, string> = {
  ml: "Azure ML resources",
  foundry: "Foundry and Azure OpenAI accounts",
  dns: "private DNS zones",
};

/** The families whose scopes of their own a deny makes unknown (the ML family's scope is the subscription's). */
const TYPED: Partial<Record<Family, string>> = {
  foundry: TYPES.foundryAccount,
  dns: TYPES.privateDnsZone,
};

export interface ReadProof {
  /** Resource Graph's rows of Azure ML resources can be trusted for this subscription. */
  proven: boolean;
  /** Why not, in a few words. */
  reason?: string;
  /** Scopes a deny assignment keeps from the identity: nothing under them is known. */
  denied: ScopeFailure[];
  /** Why the deny assignments could not be read, when they could not. */
  denyFailure?: string;
  /** The same for the Foundry and Azure OpenAI accounts, with the scopes denied to their reads. */
  foundry: { proven: boolean; reason?: string; denied: ScopeFailure[] };
  /** The same for private DNS zones and their links (the zone index). */
  dns: { proven: boolean; reason?: string; denied: ScopeFailure[] };
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

/** The scopes deny assignments keep reads from, per family, within or above the subscription. */
export interface Denies {
  /** Every denied scope, once (a deny of both families below the subscription is one scope). */
  denied: ScopeFailure[];
  /** The scopes denied to each family's reads. */
  denies: Record<Family, ScopeFailure[]>;
  failure?: string;
}

/**
 * The deny assignments of a subscription, read once per run whoever asks first (the proof, the `arm` source, the
 * private DNS zone index), in the urgent lane when that one is urgent.
 */
export function deniedScopes(
  collector: ProofContext,
  subscriptionId: string,
  urgent = false,
): Promise<Denies> {
  const key = subscriptionId.toLowerCase();
  let pending = collector.denials.get(key);
  if (!pending) {
    pending = readDenies(collector, subscriptionId, urgent);
    collector.denials.set(key, pending);
  }
  return pending;
}

async function readDenies(collector: ProofContext, subscriptionId: string, urgent: boolean): Promise<Denies> {
  const root = `/subscriptions/${subscriptionId}`;
  const path = `${root}/providers/Microsoft.Authorization/denyAssignments`;
  // The plain list holds the subscription's own deny assignments and those below it; `atScope()` those at
  // it and above it (a management group's), which the plain list does not promise.
  const answers = await Promise.all(
    [undefined, "atScope()"].map((filter) =>
      collector
        .listRaw(subscriptionId, path, AUTHORIZATION_API_VERSION, filter, urgent)
        .catch(() => ({ status: 0 }) as const),
    ),
  );
  const items: { item: DenyAssignmentJson; above: boolean }[] = [];
  for (const [index, answer] of answers.entries()) {
    if (answer.status !== 200 || !("items" in answer))
      return {
        denied: [],
        denies: { ml: [], foundry: [], dns: [] },
        failure: `its deny assignments could not be read (${answer.status || "network"})`,
      };
    for (const item of answer.items) items.push({ item: item as DenyAssignmentJson, above: index === 1 });
  }
  const denied = new Map<string, ScopeFailure>();
  const denies: Record<Family, ScopeFailure[]> = { ml: [], foundry: [], dns: [] };
  const seen = new Set<string>();
  for (const { item, above } of items) {
    const key = `${item.properties?.scope ?? ""}|${item.name ?? ""}`.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const scope = item.properties?.scope;
    const permissions = asPermissions(item.properties?.permissions ?? []);
    if (!scope) continue;
    const name = item.properties?.denyAssignmentName ?? item.name ?? "a deny assignment";
    // A deny at or above the subscription (a management group's scope is no prefix of it) covers all of it.
    const whole = above || isWithin(root, scope) || !isWithin(scope, root);
    for (const family of ["ml", "foundry", "dns"] as const) {
      if (!OPERATIONS[family].some((op) => permissions.some((p) => covers(p, op)))) continue;
      // The accounts (or zones) of a subscription or resource group are a scope of their own: its ML resources
      // stay known. A deny on one zone keeps its group's zones from the zone index (a list leaves it out); a deny
      // on any other resource hides no zone.
      const group = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(scope)?.[1];
      const isGroup = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i.test(scope);
      const typed = TYPED[family];
      if (
        family === "dns" &&
        !whole &&
        !isGroup &&
        !isWithin(scope, typeScope(subscriptionId, TYPES.privateDnsZone, group))
      )
        continue;
      const where = !typed
        ? whole
          ? root
          : scope
        : whole
          ? typeScope(subscriptionId, typed)
          : group && (family === "dns" || isGroup)
            ? typeScope(subscriptionId, typed, group)
            : scope;
      // The ML and Foundry scopes are the lists' scopes, one failure each; the zones' are the zone index's.
      const key = `${family === "dns" ? "dns" : "lists"}|${where}`.toLowerCase();
      const known = denied.get(key);
      if (known) {
        denies[family].push(known);
        continue;
      }
      const failure: ScopeFailure = {
        scope: where,
        scopeType:
          whole && family === "ml"
            ? "subscription"
            : typed && where !== scope
              ? "resourceType"
              : /\/resourceGroups\/[^/]+$/i.test(where)
                ? "resourceGroup"
                : "resource",
        operation: `read ${NOUNS[family]}`,
        status: 403,
        code: "DenyAssignment",
        message: `deny assignment ${name} at ${scope} denies reading ${NOUNS[family]}`,
      };
      denied.set(key, failure);
      denies[family].push(failure);
    }
  }
  // A deny of the whole subscription's ML reads hides everything in it: the narrower scopes say nothing more.
  // The zones' scopes are the zone index's to record: they are not the lists' scopes.
  const all = [...denied.entries()].filter(([key]) => !key.startsWith("dns|")).map(([, f]) => f);
  const wholeSubscription = all.find((f) => f.scopeType === "subscription");
  return { denied: wholeSubscription ? [wholeSubscription] : all, denies };
}

export async function proveReadable(collector: ProofContext, subscriptionId: string): Promise<ReadProof> {
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
  const base = { denied: denies.denied, ...(denies.failure ? { denyFailure: denies.failure } : {}) };
  if (permissions.status !== 200 || !("items" in permissions)) {
    const reason = `its permissions could not be read (${permissions.status || "network"})`;
    return {
      ...base,
      proven: false,
      reason,
      foundry: { proven: false, reason, denied: denies.denies.foundry },
      dns: { proven: false, reason, denied: denies.denies.dns },
    };
  }
  const granted = asPermissions(permissions.items);
  const judge = (family: Family): { proven: boolean; reason?: string } => {
    const missing = OPERATIONS[family].filter((op) => !granted.some((p) => covers(p, op)));
    if (missing.length > 0)
      return {
        proven: false,
        reason: `the identity is not granted ${missing.join(", ")} at the subscription`,
      };
    if (denies.failure) return { proven: false, reason: denies.failure };
    if (denies.denies[family].length > 0)
      return { proven: false, reason: `a deny assignment keeps ${NOUNS[family]} from the identity` };
    return { proven: true };
  };
  return {
    ...base,
    ...judge("ml"),
    foundry: { ...judge("foundry"), denied: denies.denies.foundry },
    dns: { ...judge("dns"), denied: denies.denies.dns },
  };
}
