import { describe, expect, it } from "vitest";
import { findingId, type Finding, type Observed } from "../../src/findings/finding.js";
import { reconcile } from "../../src/findings/reconcile.js";
import { SUB, SUB2, workspaceId } from "../helpers/tenant.js";

const T1 = "2026-11-20T02:00:00.000Z";
const T2 = "2026-11-21T02:00:00.000Z";

function observed(ruleId: string, resourceId: string, exempted = false): Observed {
  return {
    id: findingId(ruleId, resourceId),
    ruleId,
    slug: "slug",
    title: "title",
    severity: "high",
    resourceId,
    resourceType: "Microsoft.MachineLearningServices/workspaces",
    subscriptionId: resourceId.split("/")[2] ?? "",
    subscriptionName: "Sub",
    resourceGroup: "rg",
    evidence: {},
    message: "m.",
    remediation: "r",
    seed: [],
    lastSeen: T2,
    runId: "run-2",
    exempted,
  };
}

function previous(ruleId: string, resourceId: string, status: Finding["status"] = "new"): Finding {
  const { exempted: _exempted, ...rest } = observed(ruleId, resourceId);
  return { ...rest, status, firstSeen: T1, lastSeen: T1, runId: "run-1" };
}

const scope = {
  subscriptions: [SUB, SUB2],
  unjudgedScopes: [] as string[],
  rulesRun: ["AMLNI003", "AMLNI005"],
};

describe("reconcile", () => {
  it("makes every finding new on a first run", () => {
    const result = reconcile([], [observed("AMLNI003", workspaceId())], scope);
    expect(result.findings.map((f) => [f.status, f.firstSeen])).toEqual([["new", T2]]);
    expect(result.resolved).toEqual([]);
  });

  it("keeps the first-seen time of a finding seen again, now open", () => {
    const result = reconcile(
      [previous("AMLNI003", workspaceId())],
      [observed("AMLNI003", workspaceId())],
      scope,
    );
    expect(result.findings.map((f) => [f.status, f.firstSeen, f.lastSeen])).toEqual([["open", T1, T2]]);
  });

  it("marks an exempted finding exempted whatever it was before", () => {
    const result = reconcile(
      [previous("AMLNI003", workspaceId())],
      [observed("AMLNI003", workspaceId(), true)],
      scope,
    );
    expect(result.findings[0]?.status).toBe("exempted");
  });

  it("resolves what a complete scope no longer shows", () => {
    const result = reconcile([previous("AMLNI003", workspaceId())], [], scope);
    expect(result.resolved.map((f) => f.ruleId)).toEqual(["AMLNI003"]);
    expect(result.findings).toEqual([]);
    expect(result.state).toEqual([]);
  });

  it("never resolves inside a scope this run could not read: keeps it open and stale", () => {
    const result = reconcile([previous("AMLNI003", workspaceId())], [], {
      ...scope,
      unjudgedScopes: [`/subscriptions/${SUB}`],
    });
    expect(result.resolved).toEqual([]);
    expect(result.findings.map((f) => [f.status, f.stale, f.lastSeen])).toEqual([["open", true, T1]]);
    expect(result.state).toHaveLength(1);
  });

  it("keeps, but neither shows nor resolves, findings of subscriptions outside this run", () => {
    const other = previous("AMLNI003", workspaceId("ws", "rg", SUB2));
    const result = reconcile([other], [], { ...scope, subscriptions: [SUB] });
    expect(result.findings).toEqual([]);
    expect(result.resolved).toEqual([]);
    expect(result.state).toEqual([other]);
  });

  it("does not call a finding resolved when its rule did not run", () => {
    const result = reconcile([previous("AMLNO002", workspaceId())], [], scope);
    expect(result.resolved).toEqual([]);
  });

  it("makes a finding that comes back after being resolved new again", () => {
    const first = reconcile([previous("AMLNI003", workspaceId())], [], scope);
    const again = reconcile(first.state, [observed("AMLNI003", workspaceId())], scope);
    expect(again.findings[0]?.status).toBe("new");
  });

  it("derives the same id from any casing of the resource id", () => {
    expect(findingId("AMLNI003", workspaceId().toUpperCase())).toBe(findingId("amlni003", workspaceId()));
    expect(findingId("AMLNI003", workspaceId())).not.toBe(findingId("AMLNI005", workspaceId()));
  });
});
