/**
 * The stores Foundry agents write to, read through the emulator by both sources: capability hosts and connections
 * listed from ARM (Resource Graph has neither), each store read by id; what cannot be read is AUDIT001.
 */
import { describe, expect, it } from "vitest";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  MANAGED_AGENTS,
  SUB2,
  accountId,
  agentSetup,
  agentStore,
  foundryManagedNetwork,
  foundryProject,
  privateAccount,
  tenant,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
const SECRET = "sv=2025-01-01&sig=never-in-any-output";

function estate() {
  const ai = privateAccount(MANAGED_AGENTS);
  const project = foundryProject(ai, "agents");
  const idle = foundryProject(ai, "idle");
  const stores = {
    threads: agentStore("cosmos", "cosmos", { publicNetworkAccess: "Enabled", ipRules: [] }),
    vectors: agentStore("search", "srch"),
    files: agentStore("storage", "stagents"),
  };
  const setup = agentSetup(project, stores).map((r) =>
    r.name === "files"
      ? { ...r, properties: { ...r.properties, credentials: { sas: SECRET }, authType: "SAS" } }
      : r,
  );
  const rule = (s: { id: string }) => ({
    type: "PrivateEndpoint",
    category: "UserDefined",
    status: "Active",
    destination: { serviceResourceId: s.id },
  });
  const network = foundryManagedNetwork(ai, "AllowOnlyApprovedOutbound", {
    threads: rule(stores.threads),
    vectors: rule(stores.vectors),
  });
  return { ai, project, stores, resources: [ai, project, idle, network, ...setup] };
}

describe.each(SOURCES)("the agents' stores (%s)", (source) => {
  it("are followed from each project's capability host to its connections and stores, and judged", async () => {
    const { resources } = estate();
    const { result, stats, snapshot } = await auditThroughEmulator(tenant(resources), source);
    const found = result.findings.filter((f) => /AIFNO00[58]/.test(f.ruleId));
    expect(found.map((f) => `${f.ruleId} ${f.severity}`).sort()).toEqual([
      "AIFNO005 high",
      "AIFNO008 medium",
    ]);
    expect(found.find((f) => f.ruleId === "AIFNO005")?.message).toMatch(
      /Cosmos DB account `cosmos` \(threads\) admits the internet/,
    );
    expect(found.find((f) => f.ruleId === "AIFNO008")?.message).toMatch(
      /storage account `stagents` \(files\)/,
    );
    // A list of capability hosts a project, the connections only of the project that has one; a GET a store.
    expect(stats.byKind["list capabilityHosts"]).toBe(2);
    expect(stats.byKind["list connections"]).toBe(1);
    expect(stats.byKind["get databaseAccount"]).toBe(1);
    expect(stats.byKind["get searchService"]).toBe(1);
    expect(stats.byKind["get storageAccount"]).toBe(1);
    expect(JSON.stringify(snapshot)).not.toContain("never-in-any-output");
    expect(JSON.stringify(result)).not.toContain("never-in-any-output");
    expect(result.summary.complete).toBe(true);
  });

  it("a capability host list that fails, or a store that cannot be read, is unknown, never clear", async () => {
    const { project, stores, resources } = estate();
    const hostsRefused = tenant(resources, [{ path: `${project.id}/capabilityHosts`, status: 403 }]);
    const first = await auditThroughEmulator(hostsRefused, source);
    expect(first.result.findings.filter((f) => /AIFNO00[58]/.test(f.ruleId))).toEqual([]);
    const audit = first.result.findings.find((f) => f.ruleId === "AUDIT001");
    expect(audit?.resourceId).toBe(accountId());
    expect(JSON.stringify(audit?.evidence)).toContain("list the capability hosts of project `agents`");

    const storeRefused = tenant(resources, [{ path: stores.threads.id, status: 403 }]);
    const second = await auditThroughEmulator(storeRefused, source);
    expect(second.result.findings.filter((f) => f.ruleId === "AIFNO005")).toEqual([]);
    expect(second.result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toEqual([
      stores.threads.id,
    ]);
    expect(second.result.summary.complete).toBe(false);
  });

  it("a store in a subscription outside the audit is read by id, and unknown when it cannot be", async () => {
    const { ai, project } = estate();
    const elsewhere = {
      ...agentStore("cosmos", "cosmos-elsewhere"),
      id: `/subscriptions/${SUB2}/resourceGroups/rg-agents/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-elsewhere`,
    };
    const setup = agentSetup(project, {
      threads: elsewhere,
      vectors: agentStore("search", "srch"),
      files: agentStore("storage", "stagents"),
    }).filter((r) => r.id !== elsewhere.id);
    const t = {
      ...tenant([ai, project, ...setup]),
      access: [
        { scope: `/subscriptions/${tenant([]).subscriptions[0]?.subscriptionId ?? ""}`, actions: ["*/read"] },
      ],
    };
    const { result } = await auditThroughEmulator(t, source);
    expect(result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toContain(
      elsewhere.id,
    );
    expect(result.findings.filter((f) => f.ruleId === "AIFNO005")).toEqual([]);
  });
});
