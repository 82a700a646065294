/**
 * Every property the rules read is one the REST specification of the api-version the inventory reads it at
 * defines: a property that version does not define is one real ARM never sends, and a rule reading it would
 * judge every resource by its default. The rules run over the demo and synthetic tenants (every rule id fires
 * there) with each resource behind a proxy that records the path of every property read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TYPES, sameId } from "../../src/model/arm-ids.js";
import { definesPath, schemaOf } from "../../src/emulator/api-versions.js";
import { syntheticTenant } from "../../src/emulator/synthetic.js";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import { ARG_NEEDS } from "../../src/inventory/arg-needs.js";
import { READ_API_VERSIONS } from "../../src/inventory/collector.js";
import { SELECTED_IP_PROPERTIES, SELECTED_IPS_API_VERSION } from "../../src/inventory/selected-ips.js";
import { evaluate } from "../../src/policy/evaluate.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";
import type { ArmResource } from "../../src/model/snapshot.js";

type Reads = Map<string, Set<string>>;

/** `value` behind proxies that add to `reads` (by type) each property path read, arrays' indexes as `[]`. */
function recorded(resource: ArmResource, reads: Reads): ArmResource {
  const paths = reads.get(resource.type.toLowerCase()) ?? new Set<string>();
  reads.set(resource.type.toLowerCase(), paths);
  // One proxy per object and path, so that a rule comparing what it read twice sees the same object.
  const proxies = new Map<string, WeakMap<object, object>>();
  const note = (path: readonly string[]) => paths.add(JSON.stringify(path));
  const wrap = (value: unknown, path: readonly string[]): unknown => {
    if (value === null || typeof value !== "object") return value;
    const key = JSON.stringify(path);
    let cache = proxies.get(key);
    if (!cache) proxies.set(key, (cache = new WeakMap()));
    const known = cache.get(value);
    if (known) return known;
    const isArray = Array.isArray(value);
    const step = (name: string | symbol): string | undefined => {
      if (typeof name === "symbol") return undefined;
      if (isArray) return /^\d+$/.test(name) ? "[]" : undefined;
      return Object.hasOwn(Object.prototype, name) ? undefined : name;
    };
    const proxy = new Proxy(value, {
      get(target, name, receiver) {
        const got: unknown = Reflect.get(target, name, receiver);
        const s = step(name);
        if (s === undefined) return got;
        if (!isArray) note([...path, s]);
        return wrap(got, [...path, s]);
      },
      has(target, name) {
        const s = step(name);
        if (s !== undefined && !isArray) note([...path, s]);
        return Reflect.has(target, name);
      },
      getOwnPropertyDescriptor(target, name) {
        const s = step(name);
        if (s !== undefined && !isArray) note([...path, s]);
        return Reflect.getOwnPropertyDescriptor(target, name);
      },
    });
    cache.set(value, proxy);
    return proxy;
  };
  return wrap(resource, []) as ArmResource;
}

/** The api-version the inventory reads a property of a type at. */
function versionOf(type: string, path: readonly string[]): string | undefined {
  if (sameId(type, TYPES.workspace) && path[0] === "properties")
    if ((SELECTED_IP_PROPERTIES as readonly string[]).includes(path[1] ?? ""))
      return SELECTED_IPS_API_VERSION;
  return Object.entries(READ_API_VERSIONS).find(([t]) => sameId(t, type))?.[1];
}

function readsOf(tenants: TenantFile[]): Reads {
  const reads: Reads = new Map();
  for (const tenant of tenants)
    evaluate(
      {
        subscriptions: tenant.subscriptions,
        resources: tenant.resources.map((r) => recorded(structuredClone(r), reads)),
        failures: [],
      },
      DEFAULT_POLICY,
      new Date("2026-12-05T00:00:00Z"),
    );
  return reads;
}

describe("the properties the rules read", () => {
  const demo = JSON.parse(
    readFileSync(join(__dirname, "../../examples/demo-tenant.json"), "utf8"),
  ) as TenantFile;
  const synthetic = syntheticTenant({
    subscriptions: 20,
    workspacesPerSubscription: 5,
    endpointsPerWorkspace: 2,
    deploymentsPerEndpoint: 2,
    projectsPerSubscription: 1,
    accountsPerSubscription: 1,
    projectsPerAccount: 2,
    misconfigured: 0.3,
    seed: 7,
  }).tenant;
  const reads = readsOf([demo, synthetic]);

  it("are each defined by the api-version the inventory reads them at", () => {
    const undefinedReads: string[] = [];
    let checked = 0;
    for (const [type, paths] of reads) {
      for (const json of paths) {
        const path = JSON.parse(json) as string[];
        const version = versionOf(type, path);
        const schema = version ? schemaOf(type, version) : undefined;
        checked += 1;
        if (!schema || !definesPath(schema, path))
          undefinedReads.push(`${type}@${version ?? "(not read)"}: ${path.join(".")}`);
      }
    }
    expect(undefinedReads).toEqual([]);
    // The proxies saw the rules' reads: the terms of every family of resources.
    expect(checked).toBeGreaterThan(40);
  });

  it("of the types Resource Graph indexes are each completed from ARM where a row lacks them", () => {
    const indexed = [TYPES.workspace, TYPES.onlineEndpoint, TYPES.onlineDeployment, TYPES.foundryAccount];
    const uncovered: string[] = [];
    for (const type of [...indexed, TYPES.foundryProject]) {
      const names = new Set(
        [...(reads.get(type.toLowerCase()) ?? [])]
          .map((json) => JSON.parse(json) as string[])
          .filter((path) => path[0] === "properties" && path.length > 1)
          .map((path) => path[1] as string),
      );
      for (const name of names) {
        const covered =
          ARG_NEEDS.some((n) => sameId(n.type, type) && n.property === name) ||
          (sameId(type, TYPES.workspace) && (SELECTED_IP_PROPERTIES as readonly string[]).includes(name));
        if (!covered) uncovered.push(`${type}: properties.${name}`);
      }
    }
    expect(uncovered).toEqual([]);
  });

  it("include the ones each family's rules depend on", () => {
    const has = (type: string, ...path: string[]) =>
      reads.get(type.toLowerCase())?.has(JSON.stringify(path)) ?? false;
    expect(has(TYPES.workspace, "properties", "networkAcls")).toBe(true);
    expect(has(TYPES.workspace, "properties", "managedNetwork")).toBe(true);
    expect(has(TYPES.onlineDeployment, "properties", "egressPublicNetworkAccess")).toBe(true);
    expect(has(TYPES.foundryAccount, "properties", "networkInjections")).toBe(true);
    expect(has(TYPES.privateEndpoint, "properties", "subnet")).toBe(true);
    expect(has(TYPES.virtualNetwork, "properties", "dhcpOptions")).toBe(true);
  });
});
