/**
 * The inventory through the real SDK clients, over HTTPS, against the emulator: paging, throttling,
 * retries and unreadable scopes, for both sources.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTenant } from "../../src/emulator/tenant-file.js";
import type { Finding } from "../../src/findings/finding.js";
import { ARG_NEEDS } from "../../src/inventory/arg-needs.js";
import type { Source } from "../../src/inventory/index.js";
import { parsePolicy } from "../../src/policy/policy-file.js";
import { RULES } from "../../src/policy/registry.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  SUB,
  SUB2,
  SUB3,
  connection,
  deployment,
  endpoint,
  privateEndpoint,
  registry,
  storageAccount,
  tenant,
  workspace,
  workspaceId,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];

/** `workspaces` workspaces per subscription, each with 2 endpoints of 2 deployments, a storage account and a registry. */
function sizedTenant(subs: string[], workspaces: number, faults: Parameters<typeof tenant>[1] = []) {
  const resources = subs.flatMap((sub) =>
    Array.from({ length: workspaces }, (_, w) => {
      const st = storageAccount(`st${w}`, "rg", true, sub);
      const cr = registry(`cr${w}`, "rg", "Premium", true, sub);
      const ws = workspace(
        {
          publicNetworkAccess: "Enabled",
          storageAccount: st.id,
          containerRegistry: cr.id,
          managedNetwork: { isolationMode: "Disabled" },
        },
        `ws${w}`,
        "rg",
        sub,
      );
      const endpoints = [0, 1].map((e) => endpoint(ws, { publicNetworkAccess: "Enabled" }, `ep${e}`));
      return [
        st,
        cr,
        ws,
        ...endpoints,
        ...endpoints.flatMap((ep) => [deployment(ep, {}, "blue"), deployment(ep, {}, "green")]),
      ];
    }).flat(),
  );
  return tenant(resources, faults, subs);
}

const count = (types: string[], type: string) => types.filter((t) => t.endsWith(type)).length;

describe.each(SOURCES)("the %s source", (source) => {
  it("reads every page of a paged tenant", async () => {
    const t = sizedTenant([SUB, SUB2], 3);
    const { result, snapshot, stats } = await auditThroughEmulator(t, source, {
      pageSize: 2,
      argPageSize: 4,
    });
    const types = snapshot.resources.map((r) => r.type);
    expect(count(types, "/workspaces")).toBe(6);
    expect(count(types, "/onlineEndpoints")).toBe(12);
    expect(count(types, "/deployments")).toBe(24);
    expect(count(types, "/storageAccounts")).toBe(6);
    expect(result.summary.complete).toBe(true);
    if (source === "arm")
      // 2 subscriptions × 2 pages of 2, and again at the version that defines the selected IP ranges.
      expect(stats.byKind["list workspaces"]).toBe(8);
    else expect(stats.byKind.resourceGraph).toBeGreaterThanOrEqual(Math.ceil(42 / 4));
  });

  it("honours 429 + Retry-After and finishes complete", async () => {
    const t = sizedTenant([SUB], 1, [
      { path: `/subscriptions/${SUB}`, status: 429, count: 1, retryAfterSeconds: 1 },
    ]);
    const { result, stats, ms } = await auditThroughEmulator(t, source);
    expect(stats.faulted).toBe(1);
    expect(result.summary.complete).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(950); // it waited as told, rather than retrying at once
  });

  it("backs off and retries a 429 that says no Retry-After, and finishes complete", async () => {
    const t = sizedTenant([SUB], 1, [
      { path: `/subscriptions/${SUB}`, status: 429, count: 2, retryAfterSeconds: false },
    ]);
    const { result, stats, ms } = await auditThroughEmulator(t, source);
    expect(stats.faulted).toBe(2);
    expect(result.summary.complete).toBe(true);
    expect(result.findings.filter((f) => f.ruleId === "AUDIT001")).toEqual([]);
    expect(ms).toBeGreaterThanOrEqual(950); // backed off (1 s), not retried at once
  });

  it.each([500, 503])("retries %i and finishes complete", async (status) => {
    const t = sizedTenant([SUB], 1, [
      { path: `/subscriptions/${SUB}`, status: status as 500 | 503, count: 2, retryAfterSeconds: 0 },
    ]);
    const { result, stats } = await auditThroughEmulator(t, source);
    expect(stats.faulted).toBe(2);
    expect(result.summary.complete).toBe(true);
    expect(result.findings.filter((f) => f.ruleId === "AUDIT001")).toEqual([]);
  });

  it("turns a 403 subscription into AUDIT001 and reads the others", async () => {
    const t = sizedTenant([SUB, SUB2, SUB3], 1, [{ path: `/subscriptions/${SUB2}`, status: 403 }]);
    const { result, snapshot } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(false);
    expect(result.summary.coverage.subscriptions).toEqual({ total: 3, read: 2, failed: 1 });
    const unreadable = result.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(unreadable.map((f) => f.resourceId)).toEqual([`/subscriptions/${SUB2}`]);
    expect(unreadable[0]?.message).toContain("403");
    const read = new Set(snapshot.resources.map((r) => r.id.split("/")[2]));
    expect([...read].sort()).toEqual([SUB, SUB3].sort());
  });

  it("gives up on a scope after its retries and goes on with the rest", async () => {
    const broken = workspace({}, "ws0", "rg", SUB).id;
    // One workspace in each subscription; Resource Graph's rows carry no managedNetwork, so the arg source reads
    // each workspace from ARM too (a GET: it is alone in its subscription).
    const t = {
      ...sizedTenant([SUB, SUB2], 1, [{ path: broken, status: 500 }]),
      argOmits: ["properties.managedNetwork"],
    };
    const { result, snapshot } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(false);
    const scopes = result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId);
    // arm fails to list the endpoints of ws0; arg fails to read ws0 itself from ARM.
    expect(scopes).toEqual([broken]);
    expect(
      snapshot.resources.some((r) =>
        r.id.includes(
          `${SUB2}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws0/onlineEndpoints/`,
        ),
      ),
    ).toBe(true);
  });

  it("stays within ARM's read throttle and still reads everything", async () => {
    const t = sizedTenant([SUB], 4);
    const { result, snapshot, stats } = await auditThroughEmulator(t, source, {
      throttle: { burst: 4, refillPerSecond: 20 },
      argQuota: { queries: 2, windowSeconds: 1 },
      argPageSize: 10,
    });
    expect(result.summary.complete).toBe(true);
    expect(snapshot.resources.length).toBe(t.resources.length);
    if (source === "arm") expect(stats.throttled).toBeGreaterThan(0);
  });

  it("paces a subscription whose read bucket runs low instead of drawing 429s", async () => {
    // Each workspace costs two dependency reads (and for `arm` an endpoint list): over 40 reads against a bucket
    // of 30 that refills at 30 a second. Paced at 25 a second once fewer than 25 are left, it never runs dry.
    const t = sizedTenant([SUB], 20);
    const { result, snapshot, stats } = await auditThroughEmulator(t, source, {
      throttle: { burst: 30, refillPerSecond: 30 },
    });
    expect(result.summary.complete).toBe(true);
    expect(snapshot.resources.length).toBe(t.resources.length);
    expect(stats.total).toBeGreaterThan(40);
    expect(stats.throttled).toBe(0);
  });
});

describe("both sources", () => {
  const demo = parseTenant(
    JSON.parse(readFileSync(join(__dirname, "../../examples/demo-tenant.json"), "utf8")),
  );
  const policy = parsePolicy(
    JSON.parse(readFileSync(join(__dirname, "../../examples/demo-policy.json"), "utf8")),
  );
  /** A finding without what differs from run to run. */
  const comparable = (f: Finding) => {
    const { runId: _runId, ...rest } = f;
    return rest;
  };
  const now = () => new Date("2026-11-23T02:00:00Z");
  // The demo's endpoint that Resource Graph has not indexed yet is ARM's alone on a first run (below).
  const indexed = { ...demo, argLag: [] };

  it("give identical findings on the demo tenant, with fewer requests for arg", async () => {
    const arg = await auditThroughEmulator(indexed, "arg", {}, { policy, now });
    const arm = await auditThroughEmulator(indexed, "arm", {}, { policy, now });
    expect(arg.result.findings.map(comparable)).toEqual(arm.result.findings.map(comparable));
    expect(arg.snapshot.resources).toEqual(arm.snapshot.resources);
    expect(new Set(arg.result.findings.map((f) => f.ruleId)).size).toBe(RULES.length);
    expect(arg.stats.total).toBeLessThan(arm.stats.total);
  });

  it("give identical findings when Resource Graph's rows carry none of the properties the rules need", async () => {
    const omitted = [...new Set(ARG_NEEDS.map((n) => `properties.${n.property}`))];
    const arg = await auditThroughEmulator({ ...indexed, argOmits: omitted }, "arg", {}, { policy, now });
    const whole = await auditThroughEmulator(indexed, "arg", {}, { policy, now });
    const arm = await auditThroughEmulator(indexed, "arm", {}, { policy, now });
    expect(arg.result.findings.map(comparable)).toEqual(arm.result.findings.map(comparable));
    expect(arg.result.summary.complete).toBe(arm.result.summary.complete);
    // The rows that lack something are read from ARM: more requests than whole rows, fewer than `arm`.
    console.log(
      `demo tenant, rows without ${omitted.length} properties: arg ${arg.stats.total} requests (whole rows ${whole.stats.total}, arm ${arm.stats.total})`,
    );
    expect(arg.stats.total).toBeGreaterThan(whole.stats.total);
  });

  it("cost on the demo tenant: the proof is three requests a subscription, and arg stays under arm", async () => {
    const arg = await auditThroughEmulator(demo, "arg", {}, { policy });
    const arm = await auditThroughEmulator(demo, "arm", {}, { policy });
    const subscriptions = demo.subscriptions.length;
    // Printed so the figure is in every test log (DESIGN §10: requests, not CPU, are the cost).
    console.log(
      `demo tenant requests: arg ${arg.stats.total} ${JSON.stringify(arg.stats.byKind)}; arm ${arm.stats.total}`,
    );
    expect(arg.stats.byKind["get permissions"]).toBe(subscriptions);
    expect(arg.stats.byKind["list denyAssignments"]).toBe(2 * subscriptions);
    // At most 3 for the ML resources, and the zone index's query split around the subscription that answers 403.
    expect(arg.stats.byKind.resourceGraph).toBeLessThanOrEqual(8);
    expect(arg.stats.total).toBeLessThan(arm.stats.total);
  });

  it("share one pool of connections across every client, the network client loaded by import included", async () => {
    // No faults: a wait out of a Retry-After could outlast the emulator's keep-alive and reopen a connection.
    const quiet = { ...indexed, faults: [] };
    for (const source of SOURCES) {
      const { stats } = await auditThroughEmulator(
        quiet,
        source,
        {},
        { policy, now, concurrency: { overall: 4, perSubscription: 4 } },
      );
      // The private endpoint DNS reads went through the network client, which once opened a pool of its own
      // (9 connections here for either source, against 4 and 5 with one pool).
      expect(stats.byKind["get privateEndpoint"] ?? 0).toBeGreaterThan(0);
      // Resource Graph's queries are paced by its quota, not by the limit of 4: each may take a connection more.
      const unlimited = stats.byKind.resourceGraph ?? 0;
      expect(stats.connections, `${source}: ${stats.total} requests`).toBeLessThanOrEqual(4 + unlimited);
    }
  });

  it("see a resource Resource Graph has not indexed yet only through ARM, until it has a finding to confirm", async () => {
    const lagging = demo.argLag?.[0] ?? "";
    expect(lagging).toMatch(/onlineEndpoints\/churn-api$/);
    const arm = await auditThroughEmulator(demo, "arm", {}, { policy });
    const arg = await auditThroughEmulator(demo, "arg", {}, { policy });
    const on = (r: typeof arm.result) =>
      r.findings.filter((f) => f.resourceId === lagging).map((f) => f.ruleId);
    expect(on(arm.result)).toEqual(["AMLNI001"]);
    expect(on(arg.result)).toEqual([]);
    // Once a run knows it, an arg run that no longer sees it asks ARM before resolving anything.
    const next = await auditThroughEmulator(demo, "arg", {}, { policy, previous: arm.result.state });
    expect(on(next.result)).toEqual(["AMLNI001"]);
    expect(next.result.resolved).toEqual([]);
  });
});

describe("ARM's own example responses (api-version 2025-12-01)", () => {
  const example = (name: string) =>
    (
      JSON.parse(readFileSync(join(__dirname, "../fixtures/arm-examples", name), "utf8")) as {
        responses: { 200: { body: Record<string, unknown> } };
      }
    ).responses[200].body;
  // The documented workspace, verbatim: managed network with an outbound rule map, an approved private
  // endpoint connection, public access disabled, and its dependencies named by id.
  const ws = example("Workspace_get.2025-12-01.json") as unknown as ReturnType<typeof workspace>;
  const wsSub = "00000000-1111-2222-3333-444444444444";
  const ep = endpoint(ws, { publicNetworkAccess: "Disabled", authMode: "Key" });
  // The documented Managed deployment; its id, name and type are "string" placeholders.
  const documentedDeployment = example("OnlineDeployment_ManagedOnlineDeployment_get.2025-12-01.json");
  const dep = {
    ...documentedDeployment,
    ...deployment(ep, {}, "blue"),
    properties: documentedDeployment.properties,
  } as ReturnType<typeof deployment>;
  // Its default resources, closed to the internet as a private workspace's must be (AMLNI009).
  const closed = (r: ReturnType<typeof registry>) => ({
    ...r,
    properties: { ...r.properties, publicNetworkAccess: "Disabled" },
  });
  const dependencies = [
    closed(storageAccount("testStorageAccount", "accountcrud-1234", true, wsSub)),
    closed(registry("testRegistry", "workspace-1234", "Premium", true, wsSub)),
    {
      id: (ws.properties as Record<string, string>).keyVault as string,
      name: "testkv",
      type: "Microsoft.KeyVault/vaults",
      properties: { publicNetworkAccess: "Disabled" },
    },
  ];
  const documented = tenant([ws, ep, dep, ...dependencies], [], [wsSub]);

  it.each(SOURCES)("are read and judged as documented (%s)", async (source) => {
    const { result, snapshot } = await auditThroughEmulator(documented, source);
    expect(result.summary.complete).toBe(true);
    const read = snapshot.resources.find((r) => r.id.toLowerCase() === ws.id.toLowerCase());
    expect(read?.properties?.managedNetwork).toEqual(
      (ws.properties as Record<string, unknown>).managedNetwork,
    );
    // Private, approved, AllowOnlyApprovedOutbound with only a Required rule: no finding. The storage account
    // the documentation placed in another resource group of the same subscription is one a managed network
    // reaches (AMLNO007 fires there only for legacy secure outbound, since 2026-12).
    expect(result.findings.map((f) => [f.ruleId, f.resourceId])).toEqual([]);
    expect(result.summary.configurations).toEqual({ "secure inbound with secure outbound": 1 });
  });
});

describe("private endpoints of pending connections", () => {
  const FOREIGN_SUB = "44444444-4444-4444-8444-444444444444";
  const foreign = connection(workspaceId(), "Pending", "pe-foreign");
  (foreign.properties as { privateEndpoint: { id: string } }).privateEndpoint.id =
    `/subscriptions/${FOREIGN_SUB}/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe-foreign`;
  const ws = workspace({
    publicNetworkAccess: "Disabled",
    privateEndpointConnections: [
      connection(workspaceId(), "Approved"),
      connection(workspaceId(), "Pending"),
      foreign,
    ],
  });
  // The approved connection's private endpoint, network and zones come from `tenant()` (working DNS).
  const endpoints = [privateEndpoint("pe-pending", "hub", "ml-clients")];
  const pendingId = endpoints[0]!.id;
  const approvedId = privateEndpoint("pe-approved").id;

  it.each(SOURCES)("are read as context, and only theirs (%s)", async (source) => {
    const { result, snapshot } = await auditThroughEmulator(tenant([ws, ...endpoints]), source);
    expect(result.summary.complete).toBe(true);
    // The pending one for its reviewer, the approved one for its DNS; the foreign one is not readable.
    const networkRead = snapshot.resources.filter((r) => r.type === "Microsoft.Network/privateEndpoints");
    expect(networkRead.map((r) => r.id)).toEqual([approvedId, pendingId]);
    const pending = result.findings.filter((f) => f.ruleId === "AMLNI004");
    expect(pending.map((f) => f.message)).toEqual([
      expect.stringMatching(/which the auditor cannot see/),
      expect.stringMatching(/sits in subnet `ml-clients` of virtual network `hub`/),
    ]);
  });

  it.each(SOURCES)("that cannot be read cost no coverage (%s)", async (source) => {
    const { result } = await auditThroughEmulator(
      tenant([ws, ...endpoints], [{ path: pendingId, status: 403 }]),
      source,
    );
    expect(result.summary.complete).toBe(true);
    expect(result.findings.filter((f) => f.ruleId === "AUDIT001")).toEqual([]);
    const pending = result.findings.find((f) => f.resourceId.endsWith("/pe-pending"));
    expect(pending?.message).toMatch(/carries no traffic to the workspace\.$/);
    expect(pending?.evidence.privateEndpointSubnetId).toBeNull();
  });
});

describe("hub-based projects", () => {
  const hubProps = {
    publicNetworkAccess: "Enabled",
    managedNetwork: { isolationMode: "Disabled" },
  };
  /** A project in SUB whose hub lives in SUB3, which the audit is not asked to read. */
  const projectTenant = (faults: Parameters<typeof tenant>[1] = []) => {
    const hub = { ...workspace(hubProps, "ai-hub", "rg-hub", SUB3), kind: "Hub" };
    const proj = { ...workspace({ hubResourceId: hub.id }, "proj", "rg", SUB), kind: "Project" };
    const ep = endpoint(proj, { publicNetworkAccess: "Enabled" });
    const dep = deployment(ep);
    return { hub, proj, ep, dep, tenant: tenant([hub, proj, ep, dep], faults, [SUB, SUB3]) };
  };

  it.each(SOURCES)(
    "%s: a hub outside the audited subscriptions is read by id and judges the project",
    async (source) => {
      const t = projectTenant();
      const { result } = await auditThroughEmulator(
        t.tenant,
        source,
        {},
        { scope: { subscriptions: [SUB] } },
      );
      expect(result.summary.complete).toBe(true);
      const rules = result.findings.map((f) => `${f.ruleId} ${f.resourceId}`);
      expect(rules).toContain(`AMLNO001 ${t.dep.id}`);
      expect(rules).toContain(`AMLNI001 ${t.ep.id}`);
      expect(rules.filter((r) => r.endsWith(t.proj.id))).toEqual([]);
      const no001 = result.findings.find((f) => f.ruleId === "AMLNO001");
      expect(no001?.message).toContain("inherits the network isolation of hub `ai-hub`");
    },
  );

  it.each(SOURCES)("%s: a hub that cannot be read makes the project's verdicts unknown", async (source) => {
    const t = projectTenant();
    t.tenant.faults.push({ path: t.hub.id, status: 403 });
    const { result } = await auditThroughEmulator(t.tenant, source, {}, { scope: { subscriptions: [SUB] } });
    expect(result.summary.complete).toBe(false);
    const rules = result.findings.map((f) => `${f.ruleId} ${f.resourceId}`);
    expect(rules).toContain(`AUDIT001 ${t.hub.id}`);
    expect(rules.filter((r) => /^AMLN/.test(r))).toEqual([]);
  });
});

describe("lasting faults below a subscription", () => {
  it("look the same to both sources: a 403 is a deny assignment (AUDIT001 on its scope), a 404 an absent resource", async () => {
    const ws = workspace({ publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } });
    const open = endpoint(ws, { publicNetworkAccess: "Enabled" }, "open");
    const denied = endpoint(ws, { publicNetworkAccess: "Enabled" }, "denied");
    const gone = endpoint(ws, { publicNetworkAccess: "Enabled" }, "gone");
    const t = tenant(
      [ws, open, denied, gone],
      [
        { path: denied.id, status: 403 },
        { path: gone.id, status: 404 },
      ],
    );
    const seen = await Promise.all(
      SOURCES.map(async (source) => {
        const { result } = await auditThroughEmulator(t, source);
        return result.findings.map((f) => `${f.ruleId} ${f.resourceId}`).sort();
      }),
    );
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toContain(`AUDIT001 ${denied.id}`);
    expect(seen[0]?.some((f) => f.includes(gone.id))).toBe(false);
    expect(seen[0]).toContain(`AMLNI001 ${open.id}`);
  });
});
