/**
 * Private endpoint DNS through the emulator, in both sources: what is read (once per private endpoint, network
 * and zone), what it costs, and what an unreadable private endpoint, network or zone makes of the verdict.
 */
import { describe, expect, it } from "vitest";
import type { Source } from "../../src/inventory/index.js";
import type { ArmResource } from "../../src/model/snapshot.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  DNS_ZONES,
  SUB,
  SUB2,
  connection,
  dnsZone,
  privateEndpoint,
  tenant,
  virtualNetwork,
  vnetId,
  workspace,
  workspaceId,
  zoneGroup,
  zoneId,
  zoneLink,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
const ML_ZONES = DNS_ZONES.slice(0, 2);

/** `count` private workspaces in SUB whose private endpoints share VNet `net` and zones in SUB2 (a hub). */
function estate(count: number, options: { linked?: boolean; zoneGroups?: boolean } = {}): ArmResource[] {
  const resources: ArmResource[] = [virtualNetwork("net")];
  for (const z of ML_ZONES) {
    resources.push(dnsZone(z, SUB2));
    if (options.linked ?? true) resources.push(zoneLink(zoneId(z, SUB2), vnetId("net")));
  }
  for (let i = 0; i < count; i += 1) {
    const name = `ws${i}`;
    const conn = connection(workspaceId(name), "Approved", `pe-${name}`);
    resources.push(
      workspace({ publicNetworkAccess: "Disabled", privateEndpointConnections: [conn] }, name),
      privateEndpoint(`pe-${name}`, "net"),
    );
    if (options.zoneGroups ?? true)
      resources.push(
        zoneGroup(
          privateEndpoint(`pe-${name}`, "net").id,
          ML_ZONES.map((z) => zoneId(z, SUB2)),
        ),
      );
  }
  return resources;
}

const rules = (findings: { ruleId: string }[]) =>
  findings.map((f) => f.ruleId).filter((r) => r.startsWith("PEDNS") || r === "AUDIT001");

describe.each(SOURCES)("private endpoint DNS (%s)", (source) => {
  it("reads each private endpoint once, and its network and zones once for all", async () => {
    const { result, stats } = await auditThroughEmulator(tenant(estate(3), [], [SUB, SUB2]), source);
    expect(result.summary.complete).toBe(true);
    expect(rules(result.findings)).toEqual([]);
    console.log(`dns (${source}), 3 private endpoints, 1 network, 2 zones: ${JSON.stringify(stats.byKind)}`);
    // Zone groups are not in Resource Graph: a list per private endpoint, in both sources.
    expect(stats.byKind["list privateDnsZoneGroups"]).toBe(3);
    // Private endpoints sharing a resource group: one list of the group, not a GET each; the network once.
    expect(stats.byKind["list privateEndpoints"]).toBe(1);
    expect(stats.byKind["get privateEndpoint"] ?? 0).toBe(0);
    expect(stats.byKind["get virtualNetwork"]).toBe(1);
    if (source === "arm") {
      // The index: a list of each audited subscription's zones, and of each needed zone's links.
      expect(stats.byKind["list privateDnsZones"]).toBe(2);
      expect(stats.byKind["list virtualNetworkLinks"]).toBe(2);
    } else {
      // One Resource Graph query returns the zones and their links.
      for (const kind of ["get privateDnsZone", "list virtualNetworkLinks", "list privateDnsZones"] as const)
        expect(stats.byKind[kind] ?? 0).toBe(0);
    }
  });

  it("a private endpoint alone in its resource group is read by id", async () => {
    const { stats } = await auditThroughEmulator(tenant(estate(1), [], [SUB, SUB2]), source);
    expect(stats.byKind["get privateEndpoint"]).toBe(1);
    expect(stats.byKind["list privateEndpoints"] ?? 0).toBe(0);
  });

  it("a private endpoint a group's list leaves out is asked by id: refused is unknown, not gone", async () => {
    const resources = estate(2);
    const refused = resources.find((r) => r.id.endsWith("/privateEndpoints/pe-ws1"))!;
    const { result, stats } = await auditThroughEmulator(
      tenant(resources, [{ path: refused.id, status: 403 }], [SUB, SUB2]),
      source,
    );
    expect(stats.byKind["list privateEndpoints"]).toBe(1);
    expect(result.summary.complete).toBe(false);
    const audit = result.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(audit.map((f) => f.resourceId)).toContain(refused.id);
    expect(rules(result.findings).filter((r) => r !== "AUDIT001")).toEqual([]);
  });

  it("finds zones linked to the network without zone groups, and reports the ones that are not", async () => {
    const resolved = await auditThroughEmulator(
      tenant(estate(2, { zoneGroups: false }), [], [SUB, SUB2]),
      source,
    );
    expect(rules(resolved.result.findings)).toEqual([]);
    const unlinked = await auditThroughEmulator(
      tenant(estate(2, { linked: false }), [], [SUB, SUB2]),
      source,
    );
    expect(rules(unlinked.result.findings)).toEqual(["PEDNS002", "PEDNS002"]);
    const missing = await auditThroughEmulator(
      tenant(estate(1, { zoneGroups: false, linked: false }), [], [SUB, SUB2]),
      source,
    );
    expect(rules(missing.result.findings)).toEqual(["PEDNS001"]);
  });

  it.each([
    ["the private endpoint", () => privateEndpoint("pe-ws0", "net").id],
    ["its virtual network", () => vnetId("net")],
    ["a zone its zone group names", () => zoneId(ML_ZONES[0]!, SUB2)],
  ])("%s refused: the DNS rules are unknown for it (AUDIT001), never clear", async (_what, path) => {
    // The zones' subscription is outside the audit: they are read by id, as from a connectivity subscription.
    const { result } = await auditThroughEmulator(
      tenant(estate(1, { linked: false }), [{ path: path(), status: 403 }], [SUB]),
      source,
    );
    expect(result.summary.complete).toBe(false);
    const found = result.findings.filter((f) => f.ruleId.startsWith("PEDNS") || f.ruleId === "AUDIT001");
    expect(found.map((f) => f.ruleId)).toEqual(["AUDIT001"]);
    expect(found[0]?.resourceId.toLowerCase()).toBe(path().toLowerCase());
    expect(found[0]?.evidence.neededBy).toEqual([expect.objectContaining({ ruleId: "PEDNS001" })]);
  });

  it("an audit with no approved private endpoint sends no DNS request", async () => {
    const { stats } = await auditThroughEmulator(
      tenant([workspace({ publicNetworkAccess: "Enabled" })]),
      source,
    );
    for (const kind of ["get privateEndpoint", "list privateDnsZoneGroups", "get virtualNetwork"] as const)
      expect(stats.byKind[kind] ?? 0).toBe(0);
  });
});

describe("zones the identity may not read look the same to both sources", () => {
  const comparable = (findings: { ruleId: string; resourceId: string; evidence: unknown }[]) =>
    findings
      .filter((f) => f.ruleId.startsWith("PEDNS") || f.ruleId === "AUDIT001")
      .map((f) => ({ rule: f.ruleId, on: f.resourceId.toLowerCase(), evidence: f.evidence }));
  // The zones sit in SUB2 with no zone group naming them: only the search of SUB2's zones can find them.
  const withoutGroups = () => estate(1, { zoneGroups: false });

  it("a role without the zone reads in the zones' subscription: AUDIT001 on its zones, PEDNS001 not claimed clear", async () => {
    const t = {
      ...tenant(withoutGroups(), [], [SUB, SUB2]),
      access: [
        { scope: `/subscriptions/${SUB}`, actions: ["*/read"] },
        {
          scope: `/subscriptions/${SUB2}`,
          actions: ["*/read"],
          notActions: ["Microsoft.Network/privateDnsZones/*"],
        },
      ],
    };
    const arg = await auditThroughEmulator(t, "arg");
    const arm = await auditThroughEmulator(t, "arm");
    expect(comparable(arg.result.findings)).toEqual(comparable(arm.result.findings));
    const audit = arm.result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId);
    expect(audit).toEqual([`/subscriptions/${SUB2}/providers/Microsoft.Network/privateDnsZones`]);
    expect(arg.result.summary.complete).toBe(false);
    // `arg` trusted Resource Graph for SUB's zones and asked ARM for SUB2's.
    expect(arg.stats.byKind["list privateDnsZones"]).toBe(1);
  });

  it("a deny assignment on a resource group's zones: that group is not searched, in both sources", async () => {
    const t = {
      ...tenant(withoutGroups(), [], [SUB, SUB2]),
      denyAssignments: [
        {
          name: "dns-locked",
          scope: `/subscriptions/${SUB2}/resourceGroups/rg`,
          actions: ["Microsoft.Network/privateDnsZones/read"],
        },
      ],
    };
    const arg = await auditThroughEmulator(t, "arg");
    const arm = await auditThroughEmulator(t, "arm");
    expect(comparable(arg.result.findings)).toEqual(comparable(arm.result.findings));
    expect(arm.result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toEqual([
      `/subscriptions/${SUB2}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones`,
    ]);
  });

  it("a link row without the network it links is read again from ARM with its zone's links", async () => {
    const t = { ...tenant(withoutGroups(), [], [SUB, SUB2]), argOmits: ["properties.virtualNetwork"] };
    const arg = await auditThroughEmulator(t, "arg");
    expect(rules(arg.result.findings)).toEqual([]);
    expect(arg.stats.byKind["list virtualNetworkLinks"]).toBe(ML_ZONES.length);
  });
});
