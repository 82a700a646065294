/**
 * The snapshot: plain ARM JSON of what an audit read, plus what it could not read. It is what the
 * inventory produces and the only thing rules see (never SDK objects).
 */
import { TYPES, isWithin, parentId, sameId } from "./arm-ids.js";

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  kind?: string;
  tags?: Record<string, string>;
  sku?: { name?: string; tier?: string; [key: string]: unknown };
  identity?: unknown;
  properties?: Record<string, unknown>;
}

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName: string;
  state?: string;
  /** Management groups the subscription sits under (ids, nearest first), when known. */
  managementGroups?: string[];
}

export type ScopeType = "subscription" | "resourceGroup" | "workspace" | "endpoint" | "resource";

/** Something an audit could not read. Every failure becomes an AUDIT001 finding. */
export interface ScopeFailure {
  /** The ARM id of what could not be read (a subscription, a workspace whose children could not be listed, ...). */
  scope: string;
  scopeType: ScopeType;
  /** What was attempted, e.g. `list online endpoints`. */
  operation: string;
  status?: number;
  code?: string;
  message: string;
}

export interface Snapshot {
  tenantId?: string;
  subscriptions: SubscriptionInfo[];
  resources: ArmResource[];
  failures: ScopeFailure[];
}

export interface CoverageCount {
  total: number;
  read: number;
  failed: number;
}

export interface Coverage {
  subscriptions: CoverageCount;
  workspaces: CoverageCount;
  endpoints: CoverageCount;
  deployments: CoverageCount;
}

/** An index over a snapshot for the lookups rules make; ids are matched case-insensitively. */
export class SnapshotView {
  private readonly byId = new Map<string, ArmResource>();
  private readonly children = new Map<string, ArmResource[]>();
  private readonly subscriptionsById = new Map<string, SubscriptionInfo>();

  constructor(readonly snapshot: Snapshot) {
    for (const s of snapshot.subscriptions) this.subscriptionsById.set(s.subscriptionId.toLowerCase(), s);
    for (const r of snapshot.resources) {
      this.byId.set(r.id.toLowerCase(), r);
      const parent = parentId(r.id);
      if (parent) {
        const key = parent.toLowerCase();
        const list = this.children.get(key);
        if (list) list.push(r);
        else this.children.set(key, [r]);
      }
    }
  }

  get(id: string | undefined): ArmResource | undefined {
    return id === undefined ? undefined : this.byId.get(id.toLowerCase());
  }

  ofType(type: string): ArmResource[] {
    return this.snapshot.resources.filter((r) => sameId(r.type, type));
  }

  workspaces(): ArmResource[] {
    return this.ofType(TYPES.workspace);
  }

  endpointsOf(workspace: ArmResource): ArmResource[] {
    return this.childrenOfType(workspace.id, TYPES.onlineEndpoint);
  }

  deploymentsOf(endpoint: ArmResource): ArmResource[] {
    return this.childrenOfType(endpoint.id, TYPES.onlineDeployment);
  }

  subscription(subscriptionId: string | undefined): SubscriptionInfo | undefined {
    return subscriptionId ? this.subscriptionsById.get(subscriptionId.toLowerCase()) : undefined;
  }

  /** The failure that left the children of `id` unlisted: on `id` itself or on a scope that contains it. */
  listingFailure(id: string): ScopeFailure | undefined {
    return this.snapshot.failures.find((f) => f.scopeType !== "resource" && isWithin(id, f.scope));
  }

  /** Whether the children of `id` (endpoints of a workspace, deployments of an endpoint) were listed. */
  childrenKnown(id: string): boolean {
    return this.listingFailure(id) === undefined;
  }

  /** Whether the resource `id` itself was read in full (it may be listed but a follow-up read failed). */
  propertiesKnown(id: string): boolean {
    return !this.snapshot.failures.some((f) => f.scopeType === "resource" && sameId(f.scope, id));
  }

  private childrenOfType(id: string, type: string): ArmResource[] {
    return (this.children.get(id.toLowerCase()) ?? []).filter((r) => sameId(r.type, type));
  }
}

export function coverageOf(snapshot: Snapshot): Coverage {
  const view = new SnapshotView(snapshot);
  const failedIds = new Set(snapshot.failures.map((f) => f.scope.toLowerCase()));
  const count = (ids: string[]): CoverageCount => {
    const failed = ids.filter((id) => failedIds.has(id.toLowerCase())).length;
    return { total: ids.length, read: ids.length - failed, failed };
  };
  return {
    subscriptions: count(snapshot.subscriptions.map((s) => `/subscriptions/${s.subscriptionId}`)),
    workspaces: count(view.workspaces().map((r) => r.id)),
    endpoints: count(view.ofType(TYPES.onlineEndpoint).map((r) => r.id)),
    deployments: count(view.ofType(TYPES.onlineDeployment).map((r) => r.id)),
  };
}
