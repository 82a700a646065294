/**
 * The key vaults of private workspaces (AMLNI009), one a workspace, read in fewer requests: where two or more sit
 * in one resource group, one list of that group's vaults reads them all. What the list does not return, or all of
 * them when it fails, is read by GET, so that each vault ends as its own GET would leave it: judged, or unknown.
 */
import { describe, expect, it } from "vitest";
import type { Source } from "../../src/inventory/index.js";
import type { ArmResource } from "../../src/model/snapshot.js";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import { SUB, privateWorkspace, tenant } from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];

function vault(name: string, open: boolean, rg = "rg"): ArmResource {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}`,
    name,
    type: "Microsoft.KeyVault/vaults",
    properties: open
      ? { publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Allow" } }
      : { publicNetworkAccess: "Disabled" },
  };
}

/** A private workspace per vault, each naming its own. */
function estate(vaults: ArmResource[]): ArmResource[] {
  return vaults.flatMap((kv, i) => {
    const ws = privateWorkspace(`ws${i}`);
    return [{ ...ws, properties: { ...ws.properties, keyVault: kv.id } }, kv];
  });
}

const VAULTS = [vault("kv-open-a", true), vault("kv-closed", false), vault("kv-open-b", true)];

const onVaults = (findings: { ruleId: string; resourceId: string; evidence?: unknown }[]) =>
  findings
    .filter((f) => f.ruleId === "AMLNI009" || f.ruleId === "AUDIT001")
    .map((f) => `${f.ruleId} ${f.resourceId.split("/").at(-1) ?? ""}`)
    .sort();

describe.each(SOURCES)("the key vaults of private workspaces (%s)", (source) => {
  it("are read with one list of their resource group, and judged as GETs would have them", async () => {
    const { result, stats } = await auditThroughEmulator(tenant(estate(VAULTS)), source);
    expect(onVaults(result.findings)).toEqual(["AMLNI009 ws0", "AMLNI009 ws2"]);
    expect(stats.byKind["list keyVaults"]).toBe(1);
    expect(stats.byKind["get keyVault"]).toBeUndefined();
    expect(result.summary.complete).toBe(true);
  });

  it("a vault alone in its resource group is read by GET", async () => {
    const vaults = [vault("kv-open-a", true), vault("kv-apart", true, "rg-apart")];
    const { result, stats } = await auditThroughEmulator(tenant(estate(vaults)), source);
    expect(onVaults(result.findings)).toEqual(["AMLNI009 ws0", "AMLNI009 ws1"]);
    expect(stats.byKind["list keyVaults"]).toBeUndefined();
    expect(stats.byKind["get keyVault"]).toBe(2);
  });

  it("a list that fails leaves each vault to its own GET", async () => {
    const list = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults`;
    // The list and its three retries fail; the GETs after them are answered.
    const { result, stats } = await auditThroughEmulator(
      tenant(estate(VAULTS), [{ path: list, status: 500, count: 4 }]),
      source,
    );
    expect(onVaults(result.findings)).toEqual(["AMLNI009 ws0", "AMLNI009 ws2"]);
    expect(stats.byKind["get keyVault"]).toBe(3);
    expect(result.summary.complete).toBe(true);
  });

  it("a vault the list leaves out is read by GET: one the identity may not read is unknown, never clear", async () => {
    const denied = VAULTS[0] as ArmResource;
    const file: TenantFile = {
      ...tenant(estate(VAULTS)),
      denyAssignments: [{ scope: denied.id, actions: ["*/read"] }],
    };
    const { result, stats } = await auditThroughEmulator(file, source);
    expect(onVaults(result.findings)).toEqual(["AMLNI009 ws2", "AUDIT001 kv-open-a"]);
    expect(stats.byKind["list keyVaults"]).toBe(1);
    expect(stats.byKind["get keyVault"]).toBe(1);
    expect(result.summary.complete).toBe(false);
  });

  it("a vault no longer there is read by GET, and unknown as before", async () => {
    const gone = vault("kv-gone", true);
    const resources = estate([...VAULTS, gone]).filter((r) => r.id !== gone.id);
    const { result, stats } = await auditThroughEmulator(tenant(resources), source);
    expect(onVaults(result.findings)).toEqual(["AMLNI009 ws0", "AMLNI009 ws2", "AUDIT001 kv-gone"]);
    expect(stats.byKind["list keyVaults"]).toBe(1);
    expect(stats.byKind["get keyVault"]).toBe(1);
  });
});
