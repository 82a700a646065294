/**
 * A workspace's computes: listed per workspace under `arm`, rows of their own under `arg`, with the same
 * findings either way; a list that fails leaves only the compute rules unknown for that workspace.
 */
import { describe, expect, it } from "vitest";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import { SUB, compute, endpoint, tenant, workspace } from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
const PASSWORD = "never-in-any-output-7f3a";
const onComputes = (findings: { ruleId: string; resourceId: string }[]) =>
  findings
    .filter((f) => /\/computes\//i.test(f.resourceId))
    .map((f) => `${f.ruleId} ${f.resourceId.split("/").at(-1) ?? ""}`)
    .sort();

function estate() {
  const ws = workspace({ publicNetworkAccess: "Disabled" });
  const computes = [
    compute(ws, { enableNodePublicIp: true, sshSettings: { sshPublicAccess: "Enabled" } }, "ci-open"),
    compute(ws, {}, "ci-closed"),
    compute(
      ws,
      {
        subnet: null,
        enableNodePublicIp: undefined,
        remoteLoginPortPublicAccess: "NotSpecified",
        userAccountCredentials: { adminUserName: "azureuser", adminUserPassword: PASSWORD },
      },
      "cluster",
      "AmlCompute",
    ),
  ];
  const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
  return { ws, ep, resources: [ws, ep, ...computes] };
}

describe.each(SOURCES)("computes (%s)", (source) => {
  it("are judged alike by both sources, and their credentials are not kept", async () => {
    const { resources } = estate();
    const { result, snapshot, stats } = await auditThroughEmulator(tenant(resources), source);
    // The cluster has a public IP (not set), no subnet and no managed network, and NotSpecified opens SSH there.
    expect(onComputes(result.findings)).toEqual([
      "AMLCO001 ci-open",
      "AMLCO001 cluster",
      "AMLCO002 cluster",
      "AMLCO003 ci-open",
      "AMLCO003 cluster",
    ]);
    expect(result.findings.find((f) => f.ruleId === "AMLCO001")?.severity).toBe("high");
    // Listed from ARM in both sources (Resource Graph's quota is the scarcer resource: collector.ts).
    expect(stats.byKind["list computes"]).toBe(1);
    expect(JSON.stringify(snapshot)).not.toContain(PASSWORD);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    expect(result.summary.complete).toBe(true);
    expect(result.summary.coverage.computes).toEqual({ total: 3, read: 3, failed: 0 });
  });

  it("a compute list that fails leaves the compute rules unknown for that workspace, and the rest judged", async () => {
    const { ws, resources } = estate();
    // The identity may not read computes: the list is refused, in either source.
    const access = [
      {
        scope: `/subscriptions/${SUB}`,
        actions: ["*/read"],
        notActions: ["Microsoft.MachineLearningServices/workspaces/computes/read"],
      },
    ];
    const { result } = await auditThroughEmulator({ ...tenant(resources), access }, source);
    expect(onComputes(result.findings)).toEqual([]);
    const unknown = result.findings.filter((f) => f.ruleId === "AUDIT001");
    expect(unknown.map((f) => f.resourceId)).toEqual([ws.id]);
    expect(JSON.stringify(unknown[0]?.evidence)).toContain("list the workspace's computes");
    expect(JSON.stringify(unknown[0]?.evidence)).toMatch(/"ruleId":"AMLCO00[123]"/);
    // The endpoint is judged all the same.
    expect(result.findings.map((f) => f.ruleId)).toContain("AMLNI001");
    expect(result.summary.complete).toBe(false);
    // How many computes it holds is unknown: the workspace counts as not read, no compute as read.
    expect(result.summary.coverage.computes).toEqual({ total: 0, read: 0, failed: 0 });
    expect(result.summary.coverage.workspaces).toEqual({ total: 1, read: 0, failed: 1 });
  });
});

describe("an earlier finding on a compute (arg)", () => {
  it("is judged again from ARM's list, not resolved", async () => {
    const { resources } = estate();
    const t = tenant(resources);
    const first = await auditThroughEmulator(t, "arg");
    expect(onComputes(first.result.findings)).toContain("AMLCO001 ci-open");
    const next = await auditThroughEmulator(t, "arg", {}, { previous: first.result.state });
    expect(onComputes(next.result.findings)).toEqual(onComputes(first.result.findings));
    expect(next.result.resolved).toEqual([]);
  });
});
