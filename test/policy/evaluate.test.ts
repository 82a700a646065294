import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/policy/evaluate.js";
import { DEFAULT_POLICY, parsePolicy, PolicyError } from "../../src/policy/policy-file.js";
import type { Policy } from "../../src/policy/types.js";
import { refusalOf } from "../helpers/refusal.js";
import {
  SUB,
  connection,
  deployment,
  endpoint,
  snapshot,
  workspace,
  workspaceId,
} from "../helpers/tenant.js";

const NOW = new Date("2026-11-23T12:00:00Z");
const ruleIds = (policy: Policy, s = snapshot([workspace({})])) =>
  evaluate(s, policy, NOW).drafts.map((d) => d.rule.id);

describe("profiles", () => {
  const publicEverything = (() => {
    const ws = workspace({ managedNetwork: { isolationMode: "AllowInternetOutbound" } });
    const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
    const legacyWs = workspace({}, "legacy");
    const legacyEp = endpoint(legacyWs, {});
    return snapshot([ws, ep, deployment(ep), legacyWs, legacyEp, deployment(legacyEp)]);
  })();
  const gated = ["AMLNI001", "AMLNI003", "AMLNI005", "AMLNO001", "AMLNO002"];
  it.each([
    ["strict", gated],
    ["private-inbound", ["AMLNI001", "AMLNI003", "AMLNI005"]],
    ["secure-outbound", ["AMLNO001", "AMLNO002"]],
    ["baseline", []],
  ] as const)("%s turns on exactly its postures", (profile, expected) => {
    const fired = new Set(ruleIds({ ...DEFAULT_POLICY, profile }, publicEverything));
    expect(gated.filter((id) => fired.has(id))).toEqual(expected);
  });
});

describe("rule overrides", () => {
  it("turns a rule off or changes its severity", () => {
    const drafts = evaluate(
      snapshot([workspace({})]),
      { ...DEFAULT_POLICY, rules: { AMLNI003: "critical", AMLNI005: "off" } },
      NOW,
    ).drafts;
    expect(drafts.find((d) => d.rule.id === "AMLNI003")?.severity).toBe("critical");
    expect(drafts.some((d) => d.rule.id === "AMLNI005")).toBe(false);
  });
});

describe("exemptions", () => {
  const exempt = (resource: string, expires: string): Policy => ({
    ...DEFAULT_POLICY,
    exemptions: [{ ruleId: "AMLNI003", resource, reason: "accepted", expires, approvedBy: "ciso" }],
  });

  it("marks a live exemption on the exact resource, case-insensitively", () => {
    const drafts = evaluate(
      snapshot([workspace({})]),
      exempt(workspaceId().toUpperCase(), "2027-01-01"),
      NOW,
    ).drafts;
    expect(drafts.find((d) => d.rule.id === "AMLNI003")?.exemption?.reason).toBe("accepted");
    expect(drafts.some((d) => d.rule.id === "AUDIT002")).toBe(false);
  });

  it("covers what lies under a /* prefix", () => {
    const prefix = `/subscriptions/${SUB}/resourceGroups/rg/*`;
    const drafts = evaluate(snapshot([workspace({})]), exempt(prefix, "2027-01-01"), NOW).drafts;
    expect(drafts.find((d) => d.rule.id === "AMLNI003")?.exemption).toBeDefined();
  });

  it("is valid through its expiry day, then the finding is open again with AUDIT002", () => {
    const lastDay = evaluate(snapshot([workspace({})]), exempt(workspaceId(), "2026-11-23"), NOW).drafts;
    expect(lastDay.find((d) => d.rule.id === "AMLNI003")?.exemption).toBeDefined();
    const dayAfter = evaluate(snapshot([workspace({})]), exempt(workspaceId(), "2026-11-22"), NOW).drafts;
    expect(dayAfter.find((d) => d.rule.id === "AMLNI003")?.exemption).toBeUndefined();
    expect(dayAfter.find((d) => d.rule.id === "AUDIT002")?.resourceId).toBe(workspaceId());
  });
});

describe("endpoints and deployments", () => {
  it("gives a Kubernetes endpoint AMLNI006 and no other endpoint or outbound rule", () => {
    const ws = workspace({});
    const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
    const dep = deployment(ep, { endpointComputeType: "Kubernetes" });
    const ids = ruleIds(DEFAULT_POLICY, snapshot([ws, ep, dep]));
    expect(ids).toContain("AMLNI006");
    expect(ids.filter((id) => ["AMLNI001", "AMLNI002", "AMLNO001", "AMLNO004"].includes(id))).toEqual([]);
  });

  it("applies no deployment rule to an AzureMLCompute deployment", () => {
    const ws = workspace({ publicNetworkAccess: "Disabled" });
    const ep = endpoint(ws, { publicNetworkAccess: "Disabled" });
    const dep = deployment(ep, { endpointComputeType: "AzureMLCompute" });
    expect(ruleIds(DEFAULT_POLICY, snapshot([ws, ep, dep])).filter((id) => id.startsWith("AMLNO"))).toEqual(
      [],
    );
  });

  it("counts each Managed deployment under one of the four configurations", () => {
    const managed = workspace({ managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" } }, "managed");
    const legacy = workspace(
      { privateEndpointConnections: [connection(workspaceId("legacy"), "Approved")] },
      "legacy",
    );
    const e1 = endpoint(managed, { publicNetworkAccess: "Disabled" }, "e1");
    const e2 = endpoint(legacy, { publicNetworkAccess: "Enabled" }, "e2");
    const e3 = endpoint(legacy, { publicNetworkAccess: "disabled" }, "e3");
    const result = evaluate(
      snapshot([
        managed,
        legacy,
        e1,
        e2,
        e3,
        deployment(e1),
        deployment(e2, { egressPublicNetworkAccess: "Disabled" }, "a"),
        deployment(e2, {}, "b"),
        deployment(e3, {}, "c"),
      ]),
      DEFAULT_POLICY,
      NOW,
    );
    expect(result.configurations).toEqual({
      "secure inbound with secure outbound": 1,
      "public inbound with secure outbound": 1,
      "public inbound with public outbound": 1,
      "secure inbound with public outbound": 1,
    });
    expect(result.drafts.find((d) => d.resourceId.endsWith("/deployments/c"))?.configuration).toBe(
      "secure inbound with public outbound",
    );
  });
});

describe("the policy file", () => {
  const refused = (json: unknown) => refusalOf(() => parsePolicy(json, "policy.json"), PolicyError);

  it("accepts a full policy and defaults the rest", () => {
    const policy = parsePolicy({
      profile: "private-inbound",
      rules: { amlni003: "low" },
      exemptions: [{ ruleId: "AMLNI001", resource: workspaceId(), reason: "r", expires: "2027-01-01" }],
    });
    expect(policy.profile).toBe("private-inbound");
    expect(policy.rules).toEqual({ AMLNI003: "low" });
    expect(policy.scope.subscriptions).toEqual([]);
  });

  it.each([
    [{ profile: "paranoid" }, /^policy\.json is invalid: profile: /],
    [{ rules: { AMLNI999: "high" } }, /rules\.AMLNI999: is not a rule id/],
    [{ rules: { AMLNI001: "severe" } }, /rules\.AMLNI001: must be "off" or one of critical/],
    [{ rules: { AUDIT001: "off" } }, /rules\.AUDIT001: cannot be "off"/],
    [
      { exemptions: [{ ruleId: "AMLNI001", resource: workspaceId(), expires: "2027-01-01" }] },
      /exemptions\[0\]\.reason: /,
    ],
    [
      { exemptions: [{ ruleId: "AMLNI001", resource: workspaceId(), reason: " ", expires: "2027-01-01" }] },
      /exemptions\[0\]\.reason: is required/,
    ],
    [
      { exemptions: [{ ruleId: "AMLNI001", resource: workspaceId(), reason: "r" }] },
      /exemptions\[0\]\.expires: /,
    ],
    [
      { exemptions: [{ ruleId: "AMLNI001", resource: workspaceId(), reason: "r", expires: "next year" }] },
      /exemptions\[0\]\.expires: must be a real date/,
    ],
    [
      { exemptions: [{ ruleId: "AMLNI001", resource: "ws", reason: "r", expires: "2027-01-01" }] },
      /exemptions\[0\]\.resource: must be an ARM resource id/,
    ],
    [{ scope: { subscriptions: ["prod"] } }, /scope\.subscriptions\[0\]: must be a subscription id/],
    [{ profle: "strict" }, /Unrecognized key.*profle/],
  ])("refuses %j, naming the field", (json, message) => {
    expect(refused(json)).toMatch(message);
  });
});
