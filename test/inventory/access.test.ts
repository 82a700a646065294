/**
 * What the identity may read, and what Resource Graph has not caught up with: a scope the auditor cannot
 * read, or cannot show it read whole, is AUDIT001 and nothing in it is resolved; Resource Graph's silence
 * is confirmed with ARM before anything is called resolved.
 */
import { describe, expect, it } from "vitest";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import type { Finding } from "../../src/findings/finding.js";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import { SUB, deployment, endpoint, tenant, workspace } from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
const RG2 = `/subscriptions/${SUB}/resourceGroups/rg2`;

/** Two public workspaces, one per resource group, each with a public endpoint and a Managed deployment. */
function twoGroups(): TenantFile {
  const resources = ["rg", "rg2"].flatMap((rg) => {
    const ws = workspace(
      { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } },
      `ws-${rg}`,
      rg,
    );
    const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
    return [ws, ep, deployment(ep, { egressPublicNetworkAccess: "Enabled" })];
  });
  return tenant(resources);
}

async function twoRuns(source: Source, change: (t: TenantFile) => void) {
  const first = await auditThroughEmulator(
    twoGroups(),
    source,
    {},
    { now: () => new Date("2026-11-22T02:00:00Z") },
  );
  const changed = twoGroups();
  change(changed);
  const second = await auditThroughEmulator(
    changed,
    source,
    {},
    {
      previous: first.result.state,
      now: () => new Date("2026-11-23T02:00:00Z"),
    },
  );
  return { first: first.result, second: second.result, stats: second.stats };
}

const inRg2 = (f: Finding) => f.resourceId.toLowerCase().startsWith(RG2.toLowerCase());

describe.each(SOURCES)("the %s source", (source) => {
  it("a resource group denied to the identity is AUDIT001, and its earlier findings stay open and stale", async () => {
    const { first, second, stats } = await twoRuns(source, (t) => {
      t.denyAssignments = [
        { name: "no-ml-in-rg2", scope: RG2, actions: ["Microsoft.MachineLearningServices/*/read"] },
      ];
    });
    expect(first.findings.filter(inRg2).length).toBeGreaterThan(0);
    expect(second.summary.complete).toBe(false);
    expect(second.resolved).toEqual([]);
    const audit001 = second.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId);
    expect(audit001).toEqual([RG2]);
    const kept = second.findings.filter((f) => inRg2(f) && f.ruleId !== "AUDIT001");
    expect(kept.length).toBe(first.findings.filter(inRg2).length);
    for (const f of kept) expect(f.stale).toBe(true);
    // The rest of the subscription is read and judged as before.
    expect(second.findings.filter((f) => !inRg2(f) && f.ruleId !== "AUDIT001").length).toBe(
      first.findings.filter((f) => !inRg2(f)).length,
    );
    // Resource Graph could not be trusted there: the subscription was read with ARM lists.
    expect(stats.byKind["list workspaces"]).toBeGreaterThan(0);
  });

  it("a deny assignment on a management group above the subscription makes all of it AUDIT001", async () => {
    const { second } = await twoRuns(source, (t) => {
      t.subscriptions = t.subscriptions.map((s) => ({ ...s, managementGroups: ["contoso"] }));
      t.denyAssignments = [
        {
          scope: "/providers/Microsoft.Management/managementGroups/contoso",
          actions: ["Microsoft.MachineLearningServices/workspaces/read"],
        },
      ];
    });
    expect(second.resolved).toEqual([]);
    expect(second.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toEqual([
      `/subscriptions/${SUB}`,
    ]);
  });

  it("Reader on one resource group only: the subscription is AUDIT001 and nothing is resolved", async () => {
    const { second } = await twoRuns(source, (t) => {
      t.access = [{ scope: `/subscriptions/${SUB}/resourceGroups/rg`, actions: ["*/read"] }];
    });
    expect(second.resolved).toEqual([]);
    expect(second.findings.filter((f) => f.ruleId === "AUDIT001").map((f) => f.resourceId)).toEqual([
      `/subscriptions/${SUB}`,
    ]);
  });
});

describe("Resource Graph's lag", () => {
  it("a resource Resource Graph has not indexed yet is found with ARM, and its findings stay open", async () => {
    const { first, second, stats } = await twoRuns("arg", (t) => {
      t.argLag = t.resources.filter((r) => r.id.includes("/resourceGroups/rg2/")).map((r) => r.id);
    });
    expect(second.resolved).toEqual([]);
    const ids = (fs: Finding[]) => fs.map((f) => `${f.ruleId} ${f.resourceId}`).sort();
    expect(ids(second.findings)).toEqual(ids(first.findings));
    expect(second.findings.every((f) => !f.stale && f.status === "open")).toBe(true);
    expect(second.summary.complete).toBe(true);
    expect(stats.byKind["get workspace"]).toBeGreaterThan(0);
  });

  it("a resource ARM has deleted but Resource Graph still returns is resolved once ARM says 404", async () => {
    const { first, second } = await twoRuns("arg", (t) => {
      const gone = t.resources.filter((r) => r.id.includes("/resourceGroups/rg2/"));
      t.resources = t.resources.filter((r) => !gone.includes(r));
      t.argStale = gone;
      // Resource Graph's rows lack the managed network, so the workspace is read from ARM: 404.
      t.argOmits = ["properties.managedNetwork"];
    });
    expect(second.summary.complete).toBe(true);
    expect(second.resolved.map((f) => f.id).sort()).toEqual(
      first.findings
        .filter(inRg2)
        .map((f) => f.id)
        .sort(),
    );
    expect(second.findings.filter(inRg2)).toEqual([]);
  });

  it("a property Resource Graph leaves out is read from ARM: the same findings as without the omission", async () => {
    for (const omitted of [
      "properties.managedNetwork",
      "properties.publicNetworkAccess",
      "properties.egressPublicNetworkAccess",
    ]) {
      const plain = await auditThroughEmulator(twoGroups(), "arg");
      const t = twoGroups();
      t.argOmits = [omitted];
      const withOmission = await auditThroughEmulator(t, "arg");
      const ids = (fs: Finding[]) => fs.map((f) => `${f.ruleId} ${f.resourceId}`).sort();
      expect(ids(withOmission.result.findings), omitted).toEqual(ids(plain.result.findings));
      expect(withOmission.stats.total, omitted).toBeGreaterThan(plain.stats.total);
    }
  });
});

describe("the request cost of the proof", () => {
  it("is per subscription, not per resource", async () => {
    const small = await auditThroughEmulator(twoGroups(), "arg");
    const big = tenant(
      Array.from({ length: 20 }, (_, i) => {
        const ws = workspace(
          { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } },
          `ws${i}`,
        );
        const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
        return [ws, ep, deployment(ep, { egressPublicNetworkAccess: "Enabled" })];
      }).flat(),
    );
    const large = await auditThroughEmulator(big, "arg");
    for (const run of [small, large]) {
      expect(run.stats.byKind["get permissions"]).toBe(1);
      expect(run.stats.byKind["list denyAssignments"]).toBe(2); // its own and below, then at and above
    }
    // Beyond the one list of computes a workspace (read from ARM in both sources), nothing grows with them.
    const besidesComputes = (run: typeof small) => run.stats.total - (run.stats.byKind["list computes"] ?? 0);
    expect(besidesComputes(large)).toBe(besidesComputes(small));
    expect(large.stats.byKind["list computes"]).toBe(20);
  });
});
