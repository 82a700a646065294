/**
 * The benchmark's synthetic tenants at a small size: what the generator says the audit must find is what
 * each mode finds, and every mode reads every resource.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SIZE, syntheticTenant } from "../../src/emulator/synthetic.js";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";

const byRule = (findings: { ruleId: string }[]) => {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.ruleId] = (counts[f.ruleId] ?? 0) + 1;
  return counts;
};

/** The rules the small tenant below draws. */
const SMALL_TENANT_RULES = [
  "AIFNI001",
  "AIFNI003",
  "AIFNO001",
  "AMLCO001",
  "AMLCO002",
  "AMLNI001",
  "AMLNI002",
  "AMLNI003",
  "AMLNI005",
  "AMLNI009",
  "AMLNO001",
];

describe("synthetic tenants", () => {
  const size = {
    subscriptions: 6,
    workspacesPerSubscription: 3,
    endpointsPerWorkspace: 2,
    deploymentsPerEndpoint: 2,
    misconfigured: 0.4,
    projectsPerSubscription: 2,
    accountsPerSubscription: 3,
    projectsPerAccount: 2,
    seed: 7,
  };

  it("at the benchmark's size, draw every rule the generator can make", () => {
    // The small tenant's rules, and those only a draw of this size reaches.
    expect(Object.keys(syntheticTenant(DEFAULT_SIZE).expected).sort()).toEqual(
      [...SMALL_TENANT_RULES, "AIFNO005", "PEDNS001", "PEDNS002", "PEDNS003"].sort(),
    );
  });

  it("are the same for the same seed, and differ for another", () => {
    expect(syntheticTenant(size)).toEqual(syntheticTenant(size));
    expect(syntheticTenant({ ...size, seed: 8 }).expected).not.toEqual(syntheticTenant(size).expected);
  });

  it.each<[string, Source, { overall: number; perSubscription: number } | undefined]>([
    ["arg", "arg", undefined],
    ["arm", "arm", undefined],
    ["one request at a time", "arm", { overall: 1, perSubscription: 1 }],
  ])("%s: finds what the generator expects and reads every resource", async (_name, source, concurrency) => {
    const { tenant, expected, resources } = syntheticTenant(size);
    expect(Object.keys(expected).sort()).toEqual(SMALL_TENANT_RULES);
    const { result, snapshot } = await auditThroughEmulator(
      tenant,
      source,
      {},
      concurrency ? { concurrency } : {},
    );
    expect(result.summary.complete).toBe(true);
    expect(byRule(result.findings)).toEqual(expected);
    // The agents' capability hosts and connections are context, read to find their stores: not audited.
    const audited = snapshot.resources.filter(
      (r) =>
        /^Microsoft\.(MachineLearningServices|CognitiveServices)\//.test(r.type) &&
        !/\/(capabilityHosts|connections)$/.test(r.type),
    );
    expect(audited).toHaveLength(resources);
    expect(result.mlResources).toBe(resources);
    // Every kind of account the generator makes: Azure OpenAI, Foundry with and without a managed network.
    const types = new Set(audited.map((r) => `${r.type} ${r.kind ?? ""}`));
    expect([...types].filter((t) => t.includes("CognitiveServices")).sort()).toEqual([
      "Microsoft.CognitiveServices/accounts AIServices",
      "Microsoft.CognitiveServices/accounts OpenAI",
      "Microsoft.CognitiveServices/accounts/managedNetworks ",
      "Microsoft.CognitiveServices/accounts/projects ",
    ]);
  });
});
