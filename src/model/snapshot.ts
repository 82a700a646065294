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

export type ScopeType =
  | "subscription"
  | "resourceGroup"
  | "workspace"
  | "endpoint"
  | "account"
  | "resource"
  /** Every resource of a type in a subscription (`/subscriptions/{s}/providers/{namespace}/{type}`). */
  | "resourceType";

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
  /**
   * The one property of `scope` that could not be read (`networkAcls`, read at another api-version): the
   * resource itself was read, and only the rules that need this property are unknown.
   */
  property?: string;
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
  /**
   * Foundry and Azure OpenAI accounts (`Microsoft.CognitiveServices/accounts`), and Foundry projects: every
   * run counts them; summaries of earlier versions lack them.
   */
  accounts?: CoverageCount;
  projects?: CoverageCount;
  /**
   * Compute instances and clusters listed in the workspaces. A workspace whose list failed counts among the
   * workspaces that failed (its failure's scope is the workspace), since how many computes it holds is unknown.
   * Summaries of earlier versions lack it.
   */
  computes?: CoverageCount;
}

/**
 * The run's context (resources looked up across subscriptions, keyed by lower-case id) with the lookups the
 * private endpoint DNS rules make of it: a resource's children (a private endpoint's zone groups, a zone's
 * links) and every resource of a type (the zones), kept as entries come and go.
 */
export class ResourceIndex extends Map<string, ArmResource> {
  private readonly childIds = new Map<string, Set<string>>();
  private readonly typeIds = new Map<string, Set<string>>();
  /** What was derived from a resource's children, per parent: forgotten when one of them changes. */
  private readonly derived = new Map<string, Map<string, unknown>>();

  override set(key: string, resource: ArmResource): this {
    if (this.has(key)) this.forget(key);
    super.set(key, resource);
    const parent = parentId(resource.id)?.toLowerCase();
    if (parent) this.derived.delete(parent);
    if (parent) this.childIds.set(parent, (this.childIds.get(parent) ?? new Set()).add(key));
    const type = resource.type.toLowerCase();
    this.typeIds.set(type, (this.typeIds.get(type) ?? new Set()).add(key));
    return this;
  }

  override delete(key: string): boolean {
    if (this.has(key)) this.forget(key);
    return super.delete(key);
  }

  private forget(key: string): void {
    const resource = super.get(key) as ArmResource;
    this.derived.delete(parentId(resource.id)?.toLowerCase() ?? "");
    this.childIds.get(parentId(resource.id)?.toLowerCase() ?? "")?.delete(key);
    this.typeIds.get(resource.type.toLowerCase())?.delete(key);
  }

  private resolve(keys: Set<string> | undefined): ArmResource[] {
    return [...(keys ?? [])].flatMap((k) => {
      const r = super.get(k);
      return r ? [r] : [];
    });
  }

  childrenOf(id: string, type: string): ArmResource[] {
    return this.resolve(this.childIds.get(id.toLowerCase())).filter((r) => sameId(r.type, type));
  }

  ofType(type: string): ArmResource[] {
    return this.resolve(this.typeIds.get(type.toLowerCase()));
  }

  /**
   * `derive(children of id of type)`, kept until a child of `id` changes: a hub's zone carries a link per spoke,
   * and every private endpoint of every settled subscription asks what it is linked to.
   */
  deriveFromChildren<T>(id: string, type: string, derive: (children: ArmResource[]) => T): T {
    const parent = id.toLowerCase();
    let byType = this.derived.get(parent);
    if (!byType) this.derived.set(parent, (byType = new Map<string, unknown>()));
    const key = type.toLowerCase();
    if (!byType.has(key)) byType.set(key, derive(this.childrenOf(id, type)));
    return byType.get(key) as T;
  }
}

/** An index over a snapshot for the lookups rules make; ids are matched case-insensitively. */
export class SnapshotView {
  private readonly byId = new Map<string, ArmResource>();
  /**
   * Per lower-case parent id, its children per lower-case type; and per lower-case type, its resources: rules ask
   * for the deployments of each endpoint several times, and for every workspace of the subscription.
   */
  private readonly children = new Map<string, Map<string, ArmResource[]>>();
  private readonly byType = new Map<string, ArmResource[]>();
  private readonly subscriptionsById = new Map<string, SubscriptionInfo>();

  /** `context`: resources looked up by id (hubs, dependencies) that are not the subjects of this view. */
  constructor(
    readonly snapshot: Snapshot,
    private readonly context?: ReadonlyMap<string, ArmResource>,
  ) {
    for (const s of snapshot.subscriptions) this.subscriptionsById.set(s.subscriptionId.toLowerCase(), s);
    for (const r of snapshot.resources) {
      this.byId.set(r.id.toLowerCase(), r);
      const type = r.type.toLowerCase();
      pushTo(this.byType, type, r);
      const parent = parentId(r.id);
      if (parent) {
        const key = parent.toLowerCase();
        let byType = this.children.get(key);
        if (!byType) this.children.set(key, (byType = new Map<string, ArmResource[]>()));
        pushTo(byType, type, r);
      }
    }
  }

  get(id: string | undefined): ArmResource | undefined {
    if (id === undefined) return undefined;
    const key = id.toLowerCase();
    return this.byId.get(key) ?? this.context?.get(key);
  }

  ofType(type: string): readonly ArmResource[] {
    return this.byType.get(type.toLowerCase()) ?? [];
  }

  workspaces(): readonly ArmResource[] {
    return this.ofType(TYPES.workspace);
  }

  endpointsOf(workspace: ArmResource): readonly ArmResource[] {
    return this.childrenOfType(workspace.id, TYPES.onlineEndpoint);
  }

  deploymentsOf(endpoint: ArmResource): readonly ArmResource[] {
    return this.childrenOfType(endpoint.id, TYPES.onlineDeployment);
  }

  computesOf(workspace: ArmResource): readonly ArmResource[] {
    return this.childrenOfType(workspace.id, TYPES.compute);
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
    return !this.snapshot.failures.some(
      (f) => f.scopeType === "resource" && f.property === undefined && sameId(f.scope, id),
    );
  }

  /** Whether one property of `id` read apart from the rest (a workspace's `networkAcls`) was read. */
  propertyKnown(id: string, property: string): boolean {
    return (
      this.propertiesKnown(id) &&
      !this.snapshot.failures.some((f) => f.property === property && sameId(f.scope, id))
    );
  }

  /** The children of `id` of a type, in the snapshot and in the run's context. */
  childrenOf(id: string, type: string): readonly ArmResource[] {
    const own = this.childrenOfType(id, type);
    if (!(this.context instanceof ResourceIndex)) return own;
    const seen = new Set(own.map((r) => r.id.toLowerCase()));
    return [...own, ...this.context.childrenOf(id, type).filter((r) => !seen.has(r.id.toLowerCase()))];
  }

  /**
   * `derive(childrenOf(id, type))`, computed once for the run where the children are all context (a zone's
   * links), else once per call.
   */
  deriveFromChildren<T>(id: string, type: string, derive: (children: readonly ArmResource[]) => T): T {
    if (this.context instanceof ResourceIndex && this.childrenOfType(id, type).length === 0)
      return this.context.deriveFromChildren(id, type, derive);
    return derive(this.childrenOf(id, type));
  }

  /** Every resource of a type, in the snapshot and in the run's context (private DNS zones). */
  everyOfType(type: string): readonly ArmResource[] {
    const own = this.ofType(type);
    if (!(this.context instanceof ResourceIndex)) return own;
    const seen = new Set(own.map((r) => r.id.toLowerCase()));
    return [...own, ...this.context.ofType(type).filter((r) => !seen.has(r.id.toLowerCase()))];
  }

  private childrenOfType(id: string, type: string): readonly ArmResource[] {
    return this.children.get(id.toLowerCase())?.get(type.toLowerCase()) ?? [];
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Coverage counted a subscription at a time (the run never holds the tenant's resources at once). */
export class CoverageTally {
  private readonly counts = {
    workspaces: { total: 0, read: 0, failed: 0 },
    endpoints: { total: 0, read: 0, failed: 0 },
    deployments: { total: 0, read: 0, failed: 0 },
    accounts: { total: 0, read: 0, failed: 0 },
    projects: { total: 0, read: 0, failed: 0 },
    computes: { total: 0, read: 0, failed: 0 },
  };

  add(view: SnapshotView): void {
    const failedIds = new Set(view.snapshot.failures.map((f) => f.scope.toLowerCase()));
    const count = (into: CoverageCount, resources: readonly ArmResource[]) => {
      for (const r of resources) {
        into.total += 1;
        if (failedIds.has(r.id.toLowerCase())) into.failed += 1;
        else into.read += 1;
      }
    };
    count(this.counts.workspaces, view.workspaces());
    count(this.counts.endpoints, view.ofType(TYPES.onlineEndpoint));
    count(this.counts.deployments, view.ofType(TYPES.onlineDeployment));
    count(this.counts.accounts, view.ofType(TYPES.foundryAccount));
    count(this.counts.projects, view.ofType(TYPES.foundryProject));
    count(this.counts.computes, view.ofType(TYPES.compute));
  }

  result(subscriptions: readonly SubscriptionInfo[], failures: readonly ScopeFailure[]): Coverage {
    const failedIds = new Set(failures.map((f) => f.scope.toLowerCase()));
    const ids = subscriptions.map((s) => `/subscriptions/${s.subscriptionId}`.toLowerCase());
    const failed = ids.filter((id) => failedIds.has(id)).length;
    return {
      subscriptions: { total: ids.length, read: ids.length - failed, failed },
      ...structuredClone(this.counts),
    };
  }
}

export function coverageOf(snapshot: Snapshot): Coverage {
  const tally = new CoverageTally();
  tally.add(new SnapshotView(snapshot));
  return tally.result(snapshot.subscriptions, snapshot.failures);
}
