/**
 * What the rules need of each type Resource Graph indexes, and when a row without it is completed from ARM.
 *
 * Which api-version Resource Graph's rows reflect is not documented, so a property the rules read may be missing
 * from a row for two reasons: the resource never set it (ARM leaves it out too, and it means its default), or
 * the row does not carry it. Only ARM can tell. A row is read from ARM when it lacks a property whose value could
 * change a verdict given what the row and its subscription's other rows say: that keeps the common case — a
 * property nobody set, on a resource where it cannot matter (an endpoint's `compute` when its deployments say it
 * is managed) — from costing a read on every run, and makes `arg` give exactly the findings of `arm` whatever the
 * rows leave out (test/inventory/access.test.ts omits every property below at once).
 *
 * What one row shows holds for all: Resource Graph indexes a type's rows alike (at one api-version), so once any
 * row of a type carries a property, a row of that type without it is a resource that never set it, and costs no
 * read. Until then — a tenant where no resource sets it, or rows that carry none of it — every row that lacks it
 * where it matters is read.
 *
 * A workspace's `networkAcls` is not here: it is read from ARM in both sources, at the version that defines it
 * (selected-ips.ts). The top-level columns (`kind`, `sku`, `location`) are columns of every row.
 */
import { TYPES, parentId, sameId, sameValue } from "../model/arm-ids.js";
import { isFoundryResource } from "../model/foundry.js";
import type { ArmResource } from "../model/snapshot.js";

/** The other rows of the subscription a predicate may look at. */
export interface Rows {
  childrenOf(id: string, type: string): readonly ArmResource[];
  /** The deployments under a workspace (through its endpoints). */
  deploymentsIn(workspaceId: string): readonly ArmResource[];
}

export interface ArgNeed {
  type: string;
  /** A key of `properties`. */
  property: string;
  /** Whether a row without it could be judged differently once ARM is asked (default: always). */
  matters?: (row: ArmResource, rows: Rows) => boolean;
}

const has = (row: ArmResource, name: string) => row.properties !== undefined && name in row.properties;
const isProjectKind = (w: ArmResource) => sameValue(w.kind, "Project");
const notProject = (w: ArmResource) => !isProjectKind(w);
/** Unknown counts as the value that matters: a property still to be read says nothing yet. */
const mayBe = (row: ArmResource, name: string, value: string) =>
  !has(row, name) || sameValue(row.properties?.[name], value);

/**
 * A workspace's storage account and registry are judged when it has private endpoint connections (AMLNO006/007),
 * when one of its deployments keeps legacy secure outbound (AMLNO005/007), and for every hub (its projects'
 * deployments use them).
 */
function dependenciesMatter(w: ArmResource, rows: Rows): boolean {
  if (isProjectKind(w)) return false;
  if (sameValue(w.kind, "Hub")) return true;
  const connections = w.properties?.privateEndpointConnections;
  if (!Array.isArray(connections) || connections.length > 0) return true;
  return rows.deploymentsIn(w.id).some((d) => mayBe(d, "egressPublicNetworkAccess", "Disabled"));
}

/**
 * A workspace that may be private: AMLNI009 judges its default resources. One public from selected IP ranges only
 * is told apart only once its ranges are read (selected-ips.ts): the collector completes those itself.
 */
const mayBePrivate = (w: ArmResource) => notProject(w) && mayBe(w, "publicNetworkAccess", "Disabled");

export const ARG_NEEDS: readonly ArgNeed[] = [
  { type: TYPES.workspace, property: "publicNetworkAccess", matters: notProject },
  { type: TYPES.workspace, property: "managedNetwork", matters: notProject },
  { type: TYPES.workspace, property: "privateEndpointConnections", matters: notProject },
  { type: TYPES.workspace, property: "hubResourceId", matters: isProjectKind },
  {
    type: TYPES.workspace,
    property: "storageAccount",
    matters: (w, rows) => dependenciesMatter(w, rows) || mayBePrivate(w),
  },
  {
    type: TYPES.workspace,
    property: "containerRegistry",
    matters: (w, rows) => dependenciesMatter(w, rows) || mayBePrivate(w),
  },
  { type: TYPES.workspace, property: "keyVault", matters: mayBePrivate },
  { type: TYPES.onlineEndpoint, property: "publicNetworkAccess" },
  {
    // A managed endpoint has none; an endpoint whose deployments say what they run on is of their kind (a
    // Kubernetes endpoint hosts Kubernetes deployments only).
    type: TYPES.onlineEndpoint,
    property: "compute",
    matters: (e, rows) =>
      !rows.childrenOf(e.id, TYPES.onlineDeployment).some((d) => has(d, "endpointComputeType")),
  },
  { type: TYPES.onlineDeployment, property: "endpointComputeType" },
  {
    type: TYPES.onlineDeployment,
    property: "egressPublicNetworkAccess",
    matters: (d) => mayBe(d, "endpointComputeType", "Managed"),
  },
  {
    // Judged only for legacy secure outbound (AMLNO008): egress disabled on a Managed deployment.
    type: TYPES.onlineDeployment,
    property: "environmentId",
    matters: (d) =>
      mayBe(d, "endpointComputeType", "Managed") && mayBe(d, "egressPublicNetworkAccess", "Disabled"),
  },
  { type: TYPES.foundryAccount, property: "publicNetworkAccess" },
  { type: TYPES.foundryAccount, property: "privateEndpointConnections" },
  {
    // Selected networks or the internet: only where public access is not disabled.
    type: TYPES.foundryAccount,
    property: "networkAcls",
    matters: (a) =>
      !has(a, "publicNetworkAccess") || !sameValue(a.properties?.publicNetworkAccess, "Disabled"),
  },
  { type: TYPES.foundryAccount, property: "networkInjections", matters: isFoundryResource },
];

/** `ARG_NEEDS` by lower-case type: every row is noted and judged against its own type's needs alone. */
const NEEDS_BY_TYPE = new Map<string, ArgNeed[]>();
for (const need of ARG_NEEDS) {
  const key = need.type.toLowerCase();
  NEEDS_BY_TYPE.set(key, [...(NEEDS_BY_TYPE.get(key) ?? []), need]);
}

/** The types whose rows may need completing, parents first: what a parent's read settles its children need not ask. */
export const COMPLETED_TYPES = [
  TYPES.workspace,
  TYPES.onlineEndpoint,
  TYPES.onlineDeployment,
  TYPES.foundryAccount,
] as const;

/** The needed properties Resource Graph's rows were seen to carry, per type: what a row without them never set. */
export class Carried {
  private readonly seen = new Set<string>();

  /** Notes what a row carries. */
  note(row: ArmResource): void {
    for (const n of NEEDS_BY_TYPE.get(row.type.toLowerCase()) ?? [])
      if (has(row, n.property)) this.seen.add(`${n.type}|${n.property}`.toLowerCase());
  }

  has(type: string, property: string): boolean {
    return this.seen.has(`${type}|${property}`.toLowerCase());
  }
}

/**
 * The needed properties a row lacks where they could change a verdict and no row of its type was seen to carry
 * (empty: the row is taken as it is).
 */
export function lacking(row: ArmResource, rows: Rows, carried: Carried): string[] {
  return (NEEDS_BY_TYPE.get(row.type.toLowerCase()) ?? [])
    .filter(
      (n) => !has(row, n.property) && !carried.has(n.type, n.property) && (n.matters?.(row, rows) ?? true),
    )
    .map((n) => n.property);
}

/** `Rows` over a subscription's rows as the collector holds them. */
export function rowsOf(resources: readonly ArmResource[]): Rows {
  // Made on the first question: most rows need no sibling to judge whether they lack something.
  let children: Map<string, ArmResource[]> | undefined;
  const index = () => {
    const made = new Map<string, ArmResource[]>();
    for (const r of resources) {
      const parent = parentId(r.id)?.toLowerCase();
      if (!parent) continue;
      const list = made.get(parent);
      if (list) list.push(r);
      else made.set(parent, [r]);
    }
    return made;
  };
  const childrenOf = (id: string, type: string) =>
    ((children ??= index()).get(id.toLowerCase()) ?? []).filter((r) => sameId(r.type, type));
  return {
    childrenOf,
    deploymentsIn: (workspaceId) =>
      childrenOf(workspaceId, TYPES.onlineEndpoint).flatMap((e) => childrenOf(e.id, TYPES.onlineDeployment)),
  };
}
