/**
 * A workspace's selected IP ranges exist only in preview api-versions: both sources read them there, where they
 * can change a verdict, and a read that fails leaves those verdicts unknown, not the internet's.
 */
import { describe, expect, it } from "vitest";
import { SELECTED_IPS_API_VERSION, SELECTED_IPS_READ } from "../../src/inventory/selected-ips.js";
import type { Source } from "../../src/inventory/index.js";
import type { ArmResource } from "../../src/model/snapshot.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  SUB,
  SUB2,
  deployment,
  endpoint,
  hub,
  project,
  selectedIps,
  tenant,
  workspace,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
/** Default resources closed to the internet, named by every workspace here: as real workspaces name theirs. */
const DEFAULTS: ArmResource[] = [
  ["Microsoft.Storage/storageAccounts", "st"],
  ["Microsoft.KeyVault/vaults", "kv"],
  ["Microsoft.ContainerRegistry/registries", "cr"],
].map(([type, name]) => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/${type}/${name}`,
  name: name as string,
  type: type as string,
  sku: { name: "Premium" },
  properties: { publicNetworkAccess: "Disabled" },
}));
const MANAGED = {
  managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
  storageAccount: DEFAULTS[0]?.id,
  keyVault: DEFAULTS[1]?.id,
  containerRegistry: DEFAULTS[2]?.id,
};
const withDefaults = (resources: ArmResource[]) => [...resources, ...DEFAULTS];
const byRule = (findings: { ruleId: string; resourceId: string }[]) =>
  findings.map((f) => `${f.ruleId} ${f.resourceId.split("/").slice(-1)[0] ?? ""}`).sort();

/** Selected IPs (`open`), private with a public endpoint (`stale`, its old ranges kept), private (`closed`). */
function threeWorkspaces() {
  const open = workspace({ ...selectedIps("203.0.113.0/24"), ...MANAGED }, "open");
  const stale = workspace(
    {
      publicNetworkAccess: "Disabled",
      networkAcls: { defaultAction: "Deny", ipRules: [{ value: "198.51.100.7" }] },
      ...MANAGED,
    },
    "stale",
  );
  const closed = workspace({ publicNetworkAccess: "Disabled", ...MANAGED }, "closed");
  const staleEp = endpoint(stale, { publicNetworkAccess: "Enabled" }, "scoring");
  const closedEp = endpoint(closed, { publicNetworkAccess: "Disabled" }, "private");
  return {
    open,
    stale,
    closed,
    resources: [open, stale, closed, staleEp, deployment(staleEp), closedEp, deployment(closedEp)],
  };
}

describe.each(SOURCES)("selected IP ranges (%s)", (source) => {
  it("are read at the preview version, with one list for the subscription, where they can change a verdict", async () => {
    const t = threeWorkspaces();
    const { result, stats } = await auditThroughEmulator(tenant(withDefaults(t.resources)), source);
    const rules = byRule(result.findings).filter((r) => /AMLNI00[1378]/.test(r));
    // The workspace admits its ranges, not the internet; the endpoint of the one switched to private goes on
    // admitting the ranges it kept.
    expect(rules).toEqual(["AMLNI007 scoring", "AMLNI008 open"]);
    // `arm` lists the workspaces at 2025-12-01 too.
    expect(stats.byKind["list workspaces"]).toBe(source === "arm" ? 2 : 1);
    expect(stats.byKind["get workspace"] ?? 0).toBe(0);
    expect(result.summary.complete).toBe(true);
  });

  it("are read with a GET where one workspace can use them, and not at all where none can", async () => {
    const one = workspace({ ...selectedIps("203.0.113.0/24"), ...MANAGED }, "open");
    const closed = workspace({ publicNetworkAccess: "Disabled", ...MANAGED }, "closed");
    const single = await auditThroughEmulator(tenant(withDefaults([one, closed])), source);
    expect(single.stats.byKind["get workspace"]).toBe(1);
    expect(single.stats.byKind["list workspaces"] ?? 0).toBe(source === "arm" ? 1 : 0);
    const none = await auditThroughEmulator(tenant(withDefaults([closed])), source);
    expect(none.stats.byKind["get workspace"] ?? 0).toBe(0);
    expect(none.stats.byKind["list workspaces"] ?? 0).toBe(source === "arm" ? 1 : 0);
  });

  it("make a workspace open to them only judged for its default resources, whatever Resource Graph's rows omit", async () => {
    const vault: ArmResource = {
      id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-open`,
      name: "kv-open",
      type: "Microsoft.KeyVault/vaults",
      properties: { publicNetworkAccess: "Enabled" },
    };
    const open = workspace({ ...selectedIps("203.0.113.0/24"), ...MANAGED, keyVault: vault.id }, "open");
    const t = tenant(withDefaults([open, vault]));
    // Rows without the ids of the default resources: the workspace is found open to its ranges only once those
    // are read, and its ids are then read from ARM.
    const omitted = {
      ...t,
      argOmits: ["properties.storageAccount", "properties.keyVault", "properties.containerRegistry"],
    };
    const { result } = await auditThroughEmulator(source === "arg" ? omitted : t, source);
    const nine = result.findings.filter((f) => f.ruleId === "AMLNI009");
    expect(nine.map((f) => f.resourceId)).toEqual([open.id]);
    expect(nine[0]?.message).toMatch(
      /open to selected IP ranges only, but its key vault `kv-open` is reachable/,
    );
    expect(result.summary.complete).toBe(true);
  });

  it("of a hub in another subscription are read before its project's endpoint is judged", async () => {
    const h = hub({ ...selectedIps("203.0.113.0/24"), ...MANAGED }, "hub", "rg", SUB2);
    const p = project(h.id, "proj");
    const ep = endpoint(p, { publicNetworkAccess: "Enabled" }, "scoring");
    const { result } = await auditThroughEmulator(
      tenant(withDefaults([h, p, ep, deployment(ep)]), [], [SUB, SUB2]),
      source,
    );
    expect(byRule(result.findings).filter((r) => /AMLNI00[1378]/.test(r))).toEqual([
      "AMLNI007 scoring",
      "AMLNI008 hub",
    ]);
  });

  it("that the service no longer serves at that version leave their verdicts unknown (AUDIT001), and the rest judged", async () => {
    const t = threeWorkspaces();
    const retired = {
      path: `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices`,
      status: 400 as const,
      apiVersion: SELECTED_IPS_API_VERSION,
    };
    const retiredById = { ...retired, path: `/subscriptions/${SUB}/resourceGroups/rg` };
    const { result } = await auditThroughEmulator(
      tenant(withDefaults(t.resources), [retired, retiredById]),
      source,
    );
    const rules = byRule(result.findings);
    for (const rule of ["AMLNI001", "AMLNI003", "AMLNI007", "AMLNI008"])
      expect(rules.filter((r) => r.startsWith(rule))).toEqual([]);
    const audits = result.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(audits.map((f) => f.resourceId).sort()).toEqual([t.open.id, t.stale.id].sort());
    for (const audit of audits)
      expect(audit.evidence.failures).toEqual([
        expect.objectContaining({
          operation: SELECTED_IPS_READ,
          status: 400,
          code: "NoRegisteredProviderFound",
        }),
      ]);
    expect(result.summary.complete).toBe(false);
    // Their dependencies, outbound and deployments were read and judged: nothing else is unknown.
    expect(result.summary.coverage.workspaces).toMatchObject({ total: 3, failed: 2 });
  });
});
