/**
 * Foundry and Azure OpenAI accounts through both sources, against the emulator: what each reads and what it
 * costs, and that what could not be read — a managed network, the accounts of a role without Cognitive Services
 * reads — is AUDIT001, never clear.
 */
import { describe, expect, it } from "vitest";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import type { Finding } from "../../src/findings/finding.js";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  MANAGED_AGENTS,
  SUB,
  account,
  accountId,
  connection,
  deployment,
  endpoint,
  foundryManagedNetwork,
  foundryProject,
  tenant,
  workspace,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];

/**
 * A public ML workspace; a private Foundry resource whose agents use the Microsoft managed network (internet
 * outbound, two projects); a public Foundry resource with one project and no injection; a public Azure OpenAI
 * account; and a Speech account, which is not audited.
 */
function estate(): TenantFile {
  const ws = workspace({ publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } });
  const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
  const managed = account(
    {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(accountId("agents"), "Approved")],
      ...MANAGED_AGENTS,
    },
    "agents",
  );
  const open = account({}, "open");
  const speech = account({}, "speech", "SpeechServices");
  return tenant([
    ws,
    ep,
    deployment(ep, { egressPublicNetworkAccess: "Enabled" }),
    managed,
    foundryProject(managed, "fraud"),
    foundryProject(managed, "chat"),
    foundryManagedNetwork(managed, "AllowInternetOutbound"),
    open,
    foundryProject(open, "lab"),
    account({}, "oai", "OpenAI"),
    speech,
  ]);
}

const keys = (fs: Finding[]) => fs.map((f) => `${f.ruleId} ${f.resourceId}`).sort();
const foundry = (fs: Finding[]) => fs.filter((f) => /^AIF/.test(f.ruleId));

describe.each(SOURCES)("the %s source", (source) => {
  it("reads accounts, projects and the managed network where the agents use one", async () => {
    const { result, snapshot, stats } = await auditThroughEmulator(estate(), source);
    expect(result.summary.complete).toBe(true);
    const types = snapshot.resources.map((r) => r.type);
    expect(types.filter((t) => t === "Microsoft.CognitiveServices/accounts")).toHaveLength(3); // not Speech
    expect(types.filter((t) => t === "Microsoft.CognitiveServices/accounts/projects")).toHaveLength(3);
    expect(types.filter((t) => t === "Microsoft.CognitiveServices/accounts/managedNetworks")).toHaveLength(1);
    expect(result.summary.coverage.accounts).toEqual({ total: 3, read: 3, failed: 0 });
    expect(result.summary.coverage.projects).toEqual({ total: 3, read: 3, failed: 0 });
    // One managed network read: only the account whose agents use the Microsoft managed network has one.
    expect(stats.byKind["get managedNetwork"]).toBe(1);
    if (source === "arm") {
      expect(stats.byKind["list accounts"]).toBe(1);
      expect(stats.byKind["list projects"]).toBe(2); // the two Foundry resources; Azure OpenAI has none
    } else {
      // Resource Graph's rows of `open` and `oai` carry none of the network properties the rules read (they set
      // none): which is unset and which the rows leave out, one list of the accounts tells.
      expect(stats.byKind["list accounts"] ?? 0).toBe(1);
      expect(stats.byKind["list projects"] ?? 0).toBe(0);
    }
    expect(keys(foundry(result.findings))).toEqual(
      [
        `AIFNI001 ${accountId("oai")}`,
        `AIFNI001 ${accountId("open")}`,
        `AIFNI003 ${accountId("oai")}`,
        `AIFNI003 ${accountId("open")}`,
        `AIFNO002 ${accountId("agents")}`,
      ].sort(),
    );
    const outbound = result.findings.find((f) => f.ruleId === "AIFNO002");
    expect(outbound?.message).toContain("2 projects inherit this: `chat`, `fraud`.");
    expect(outbound?.evidence.projects).toEqual(["chat", "fraud"]);
    expect(outbound?.account).toBe("agents");
  });

  it("a managed network that exists but cannot be read is AUDIT001 on the account, not clear", async () => {
    const t = estate();
    t.faults = [{ path: `${accountId("agents")}/managedNetworks/default`, status: 403 }];
    const { result } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(false);
    expect(result.findings.filter((f) => f.ruleId === "AIFNO002")).toEqual([]);
    const unknown = result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId);
    expect(unknown).toEqual(expect.arrayContaining([accountId("agents")]));
    // The rest of the account, and the other accounts, are judged.
    expect(foundry(result.findings).map((f) => f.resourceId)).toContain(accountId("open"));
  });

  it("an account without a kind is AUDIT001 naming kind, counted as an account not read, never left out", async () => {
    const t = estate();
    const kindless = { ...account({ publicNetworkAccess: "Enabled" }, "nokind") };
    delete kindless.kind;
    t.resources.push(kindless);
    const { result } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(false);
    const unknown = result.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(unknown.map((f) => f.resourceId)).toEqual([accountId("nokind")]);
    expect(unknown[0]?.message).toMatch(/kind/);
    expect(result.summary.coverage.accounts).toMatchObject({ failed: 1 });
    // No rule judged it by a guess, and the Speech account stays out, as another kind.
    expect(foundry(result.findings).map((f) => f.resourceId)).not.toContain(accountId("nokind"));
    expect(result.findings.map((f) => f.resourceId)).not.toContain(accountId("speech"));
  });

  it("a managed network asked for but never created (404) is mode Disabled: nothing unknown", async () => {
    const t = estate();
    t.resources = t.resources.filter((r) => !r.id.endsWith("/managedNetworks/default"));
    const { result } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(true);
    expect(result.findings.filter((f) => f.ruleId === "AIFNO002")).toEqual([]);
  });

  it("a role that reads ML but not Cognitive Services leaves only the accounts unknown, and keeps their findings", async () => {
    const first = await auditThroughEmulator(
      estate(),
      source,
      {},
      { now: () => new Date("2026-12-01T02:00:00Z") },
    );
    const t = estate();
    t.access = [
      {
        scope: `/subscriptions/${SUB}`,
        actions: [
          "Microsoft.MachineLearningServices/*/read",
          "Microsoft.Network/*/read",
          "Microsoft.Resources/*/read",
          "Microsoft.Authorization/*/read",
        ],
      },
    ];
    const second = await auditThroughEmulator(
      t,
      source,
      {},
      { previous: first.result.state, now: () => new Date("2026-12-02T02:00:00Z") },
    );
    const r = second.result;
    expect(r.summary.complete).toBe(false);
    expect(r.resolved).toEqual([]);
    const scope = `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/accounts`;
    const unknown = r.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(unknown.map((f) => f.resourceId)).toEqual([scope]);
    expect(unknown[0]?.message).toContain("Foundry and Azure OpenAI accounts of subscription");
    // The ML part was read and judged; the subscription itself counts as read.
    expect(r.summary.coverage.subscriptions).toEqual({ total: 1, read: 1, failed: 0 });
    const ml = (fs: Finding[]) => fs.filter((f) => /^AMLN/.test(f.ruleId));
    expect(keys(ml(r.findings))).toEqual(keys(ml(first.result.findings)));
    expect(ml(r.findings).every((f) => !f.stale)).toBe(true);
    // The accounts' earlier findings stay open, marked stale.
    const kept = foundry(r.findings);
    expect(keys(kept)).toEqual(keys(foundry(first.result.findings)));
    expect(kept.every((f) => f.stale)).toBe(true);
  });

  it("a deny assignment of Cognitive Services reads on a resource group makes that group's accounts unknown", async () => {
    const t = estate();
    const rg = `/subscriptions/${SUB}/resourceGroups/rg`;
    t.denyAssignments = [{ name: "no-ai", scope: rg, actions: ["Microsoft.CognitiveServices/*/read"] }];
    const { result } = await auditThroughEmulator(t, source);
    expect(result.summary.complete).toBe(false);
    expect(result.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toEqual([
      `${rg}/providers/Microsoft.CognitiveServices/accounts`,
    ]);
    // Its ML resources are not what the deny keeps: they are judged.
    expect(result.findings.some((f) => f.ruleId === "AMLNI001")).toBe(true);
    expect(foundry(result.findings)).toEqual([]);
  });
});

/** An `arg` run of the estate, then one of the estate as `change` leaves it, reconciled against the first. */
async function twoArgRuns(change: (t: TenantFile) => void) {
  const first = await auditThroughEmulator(
    estate(),
    "arg",
    {},
    { now: () => new Date("2026-12-01T02:00:00Z") },
  );
  const t = estate();
  change(t);
  const second = await auditThroughEmulator(
    t,
    "arg",
    {},
    { previous: first.result.state, now: () => new Date("2026-12-02T02:00:00Z") },
  );
  return { first, second };
}

describe("Resource Graph and the accounts", () => {
  it("an account Resource Graph has not indexed yet is found with ARM before its findings could resolve", async () => {
    const { first, second } = await twoArgRuns((t) => {
      t.argLag = [accountId("open"), `${accountId("open")}/projects/lab`];
    });
    expect(second.result.resolved).toEqual([]);
    expect(keys(foundry(second.result.findings))).toEqual(keys(foundry(first.result.findings)));
    expect(second.stats.byKind["get account"]).toBeGreaterThan(0);
    expect(second.stats.byKind["list projects"]).toBe(1);
  });

  it("an account ARM deleted is resolved once ARM says 404", async () => {
    const { second } = await twoArgRuns((t) => {
      t.resources = t.resources.filter((r) => !r.id.startsWith(accountId("oai")));
    });
    expect(second.result.summary.complete).toBe(true);
    expect(second.result.resolved.map((f) => f.resourceId).sort()).toEqual([
      accountId("oai"),
      accountId("oai"),
    ]);
  });
});

describe("Resource Graph's rows of accounts", () => {
  const estate = () => {
    const base = {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [],
      networkAcls: { defaultAction: "Deny" },
    };
    return tenant([
      account({ ...base, ...MANAGED_AGENTS }, "agents"),
      foundryManagedNetwork(account({}, "agents"), "AllowOnlyApprovedOutbound"),
      account(base, "plain"),
    ]);
  };

  it("a property one row carries is one the others never set: they are taken as they are", async () => {
    const { result, stats } = await auditThroughEmulator(estate(), "arg");
    expect(stats.byKind["list accounts"] ?? 0).toBe(0);
    expect(stats.byKind["get account"] ?? 0).toBe(0);
    expect(result.summary.complete).toBe(true);
  });

  it("a property no row carries is read from ARM where it matters, and judged as ARM says", async () => {
    const plain = await auditThroughEmulator(estate(), "arm");
    const omitted = await auditThroughEmulator(
      { ...estate(), argOmits: ["properties.networkInjections"] },
      "arg",
    );
    // Two Foundry resources lack it: one list of the subscription's accounts, not a GET each.
    expect(omitted.stats.byKind["list accounts"]).toBe(1);
    expect(keys(omitted.result.findings)).toEqual(keys(plain.result.findings));
    expect(omitted.stats.byKind["get managedNetwork"]).toBe(1);
  });
});
