/**
 * What the auditing identity may read: the tenant file's role grants (default: Reader on every subscription)
 * and deny assignments (with those the injected faults stand for), judged as RBAC does — a grant at or above a
 * path, through a management group too, and no deny there — and served at the Authorization API's paths.
 */
import { isWithin, sameId } from "../model/arm-ids.js";
import { covers, readOperationFor } from "../model/rbac.js";
import type { TenantIndex } from "./tenant-index.js";
import type { AccessGrant, DenyAssignment } from "./tenant-file.js";
import { ArmError } from "./types.js";

export const AUTHORIZATION_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Authorization\/(permissions|denyAssignments)$/i;

// Grants and denies by the subscription their scope lies in (one Reader grant per subscription is the
// default), and those above any subscription: judging a path looks at its own subscription's only.
const scopeSubscription = (scope: string) => /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase();
function bySubscription<T extends { scope: string }>(list: T[]): (path: string) => T[] {
  const within = new Map<string, T[]>();
  const above: T[] = [];
  for (const item of list) {
    const sub = scopeSubscription(item.scope);
    if (sub === undefined) above.push(item);
    else within.set(sub, [...(within.get(sub) ?? []), item]);
  }
  return (path) => {
    const sub = scopeSubscription(path);
    return sub === undefined ? list : [...(within.get(sub) ?? []), ...above];
  };
}

export class Access {
  private readonly grants: AccessGrant[];
  private readonly grantsFor: (path: string) => AccessGrant[];
  private readonly deniesFor: (path: string) => DenyAssignment[];
  // The tenant and its access do not change while the emulator runs: each path is judged once, so that a
  // request costs the same at any tenant size (Resource Graph filters every row on every query).
  private readonly readable = new Map<string, boolean>();

  constructor(
    private readonly index: TenantIndex,
    private readonly denies: DenyAssignment[],
  ) {
    const tenant = index.tenant;
    this.grants =
      tenant.access ??
      tenant.subscriptions.map((s) => ({ scope: `/subscriptions/${s.subscriptionId}`, actions: ["*/read"] }));
    this.grantsFor = bySubscription(this.grants);
    this.deniesFor = bySubscription(denies);
  }

  /** `path` is at or below `scope`: by prefix, or through a management group its subscription sits in. */
  private under(path: string, scope: string): boolean {
    if (isWithin(path, scope)) return true;
    const group = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(scope)?.[1];
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
    if (!group || !subscription) return false;
    return (this.index.subscription(subscription)?.managementGroups ?? []).some((g) => sameId(g, group));
  }

  /** Whether the auditing identity may read `path`: a grant at or above it, and no deny assignment there. */
  mayRead(path: string): boolean {
    const key = path.toLowerCase();
    let known = this.readable.get(key);
    if (known === undefined) {
      const operation = readOperationFor(path);
      known =
        this.grantsFor(path).some((g) => this.under(path, g.scope) && covers(g, operation)) &&
        !this.deniesFor(path).some((d) => this.under(path, d.scope) && covers(d, operation));
      this.readable.set(key, known);
    }
    return known;
  }

  /** ARM's subscription list shows every subscription where the identity holds any role, at any scope. */
  visible(subscriptionId: string): boolean {
    const root = `/subscriptions/${subscriptionId}`;
    return this.grantsFor(root).some((g) => isWithin(g.scope, root) || this.under(root, g.scope));
  }

  forbidden(path: string): ArmError {
    return new ArmError(
      403,
      "AuthorizationFailed",
      `The client does not have authorization to perform action '${readOperationFor(path)}' over scope '${path}' or the scope is invalid.`,
    );
  }

  /** `permissions` and `denyAssignments` of a subscription, as the Authorization API answers them. */
  authorization(subscriptionId: string, what: string, filter: string | null): unknown {
    const root = `/subscriptions/${subscriptionId}`;
    if (what === "permissions") {
      // Permissions at a scope: the role assignments at that scope and above it.
      return {
        value: this.grants
          .filter((g) => this.under(root, g.scope))
          .map((g) => ({
            actions: g.actions,
            notActions: g.notActions ?? [],
            dataActions: [],
            notDataActions: [],
          })),
      };
    }
    // As ARM: the plain list holds the subscription's and those below it; `atScope()` those at it and above.
    const atScope = /atScope\(\)/i.test(filter ?? "");
    return {
      value: this.denies
        .filter((d) => (atScope ? this.under(root, d.scope) : isWithin(d.scope, root)))
        .map((d, i) => {
          const name = d.name ?? `deny-${i}`;
          return {
            id: `${d.scope.replace(/\/+$/, "")}/providers/Microsoft.Authorization/denyAssignments/${name}`,
            name,
            type: "Microsoft.Authorization/denyAssignments",
            properties: {
              denyAssignmentName: name,
              description: "",
              permissions: [
                { actions: d.actions, notActions: d.notActions ?? [], dataActions: [], notDataActions: [] },
              ],
              scope: d.scope,
              doNotApplyToChildScopes: false,
              principals: [{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }],
              excludePrincipals: [],
              isSystemProtected: true,
            },
          };
        }),
    };
  }
}
