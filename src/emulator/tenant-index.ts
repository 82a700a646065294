/**
 * The tenant file indexed for the requests the emulator answers: resources by id, children by parent,
 * top-level resources by subscription and type, and Resource Graph's rows (with its lag and omissions) by
 * subscription, so that a request costs its page, not the tenant.
 */
import { parentId, parseResourceId, sameId } from "../model/arm-ids.js";
import type { ArmResource } from "../model/snapshot.js";
import type { Row } from "./arg-query.js";
import { newestStable, schemaOf, shape } from "./api-versions.js";
import { indexedByResourceGraph } from "./resource-types.js";
import type { TenantFile } from "./tenant-file.js";

/** Lists and lookups over the tenant's resources, by lower-cased id. */
export class TenantIndex {
  readonly byId = new Map<string, ArmResource>();
  readonly children = new Map<string, ArmResource[]>();
  /** Top-level resources by subscription and type (lower-cased `sub|namespace/type`): a list costs its page. */
  readonly bySubscriptionType = new Map<string, ArmResource[]>();
  readonly argRows: Row[];
  /** Resource Graph's rows by subscription (lower-cased): a query reads the rows of its scope only. */
  readonly argRowsBySubscription = new Map<string, Row[]>();

  constructor(readonly tenant: TenantFile) {
    for (const r of tenant.resources) {
      this.byId.set(r.id.toLowerCase(), r);
      const sub = parseResourceId(r.id)?.subscriptionId;
      if (sub) {
        const key = `${sub}|${r.type}`.toLowerCase();
        const list = this.bySubscriptionType.get(key);
        if (list) list.push(r);
        else this.bySubscriptionType.set(key, [r]);
      }
      const parent = parentId(r.id);
      if (parent)
        this.children.set(parent.toLowerCase(), [...(this.children.get(parent.toLowerCase()) ?? []), r]);
    }
    // Resource Graph's view lags ARM's: what it has not indexed yet is missing, what ARM deleted is still
    // there, and some properties may be left out of its rows.
    const lagging = new Set((tenant.argLag ?? []).map((id) => id.toLowerCase()));
    this.argRows = [
      ...tenant.resources.filter((r) => !lagging.has(r.id.toLowerCase()) && indexedByResourceGraph(r.type)),
      ...(tenant.argStale ?? []),
    ]
      .map((r) => this.argRow(r))
      .map((row) => omit(row, tenant.argOmits ?? []));
    for (const row of this.argRows) {
      const key = String(row.subscriptionId).toLowerCase();
      const list = this.argRowsBySubscription.get(key);
      if (list) list.push(row);
      else this.argRowsBySubscription.set(key, [row]);
    }
  }

  subscription(id: string) {
    return this.tenant.subscriptions.find((s) => sameId(s.subscriptionId, id));
  }

  subscriptionRow(s: TenantFile["subscriptions"][number]): Row {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      displayName: s.displayName,
      tenantId: this.tenant.tenantId,
      state: s.state ?? "Enabled",
    };
  }

  /**
   * A Resource Graph row: ARM's resource with the columns ARG adds, and the type lower-cased as ARG does. Its
   * properties are those the type's newest stable api-version defines (which version Resource Graph indexes is
   * not documented; `argOmits` takes more away).
   */
  private argRow(resource: ArmResource): Row {
    const version = newestStable(resource.type);
    const schema = version ? schemaOf(resource.type, version) : undefined;
    const r = schema ? (shape(schema, resource) as ArmResource) : resource;
    const parsed = parseResourceId(r.id);
    return {
      id: r.id,
      name: r.name,
      type: r.type.toLowerCase(),
      tenantId: this.tenant.tenantId,
      kind: r.kind ?? "",
      location: r.location ?? "",
      resourceGroup: parsed?.resourceGroup?.toLowerCase() ?? "",
      subscriptionId: parsed?.subscriptionId ?? "",
      managedBy: "",
      sku: r.sku ?? null,
      plan: null,
      properties: r.properties ?? {},
      tags: r.tags ?? {},
      identity: r.identity ?? null,
      zones: null,
      extendedLocation: null,
    };
  }

  containerRows(): Row[] {
    return this.tenant.subscriptions.map((s) => ({
      id: `/subscriptions/${s.subscriptionId}`,
      name: s.displayName,
      type: "microsoft.resources/subscriptions",
      tenantId: this.tenant.tenantId,
      subscriptionId: s.subscriptionId,
      resourceGroup: "",
      properties: {
        state: s.state ?? "Enabled",
        managementGroupAncestorsChain: (s.managementGroups ?? []).map((name) => ({
          name,
          displayName: name,
        })),
      },
    }));
  }
}

/** A copy of `row` without the given property paths (`properties.managedNetwork`). */
function omit(row: Row, paths: readonly string[]): Row {
  if (paths.length === 0) return row;
  const copy = structuredClone(row);
  for (const path of paths) {
    const keys = path.split(".");
    let target: unknown = copy;
    for (const key of keys.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[key];
    if (target && typeof target === "object")
      delete (target as Record<string, unknown>)[keys.at(-1) as string];
  }
  return copy;
}
