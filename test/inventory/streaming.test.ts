import { describe, expect, it } from "vitest";
import { TYPES, sameId, subscriptionOf } from "../../src/model/arm-ids.js";
import { syntheticTenant, DEFAULT_SIZE } from "../../src/emulator/synthetic.js";
import { Limiter } from "../../src/inventory/limiter.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";
import { evaluate } from "../../src/policy/evaluate.js";
import type { ArmResource, Snapshot } from "../../src/model/snapshot.js";
import { runAudit } from "../../src/audit.js";
import { startEmulator, type EmulatorStats } from "../../src/emulator/server.js";
import { EMULATOR_CREDENTIAL } from "../../src/inventory/connection.js";
import { FAST_RETRIES, auditThroughEmulator } from "../helpers/emulator.js";
import {
  SUB,
  SUB2,
  SUB3,
  deployment,
  endpoint,
  hub,
  privateWorkspace,
  project,
  tenant,
} from "../helpers/tenant.js";

const SOURCES = ["arg", "arm"] as const;

describe("a subscription at a time", () => {
  const small = syntheticTenant({
    ...DEFAULT_SIZE,
    subscriptions: 24,
    workspacesPerSubscription: 2,
    endpointsPerWorkspace: 2,
    deploymentsPerEndpoint: 1,
  });

  it.each(SOURCES)("%s: hands each subscription on, whole, before the last one is read", async (source) => {
    // What reads the tenant's resources: Resource Graph pages for `arg` (its proof reads every subscription
    // first), every request for `arm`.
    const reads = (stats: EmulatorStats) =>
      source === "arg" ? (stats.byKind.resourceGraph ?? 0) : stats.total;
    const units: {
      subscriptions: Set<string | undefined>;
      size: number;
      privateEndpoints: number;
      requestsSoFar: number;
    }[] = [];
    const isEndpointDns = (r: ArmResource) =>
      [TYPES.privateEndpoint, TYPES.privateDnsZoneGroup].some((t) => sameId(t, r.type));
    // Pages of 15 rows: about one subscription's rows (its computes included) a page.
    const emulator = await startEmulator(small.tenant, { argPageSize: 15 });
    let requests = 0;
    const result = await runAudit({
      connection: {
        endpoint: emulator.url,
        credential: EMULATOR_CREDENTIAL,
        ca: emulator.ca,
        retryOptions: FAST_RETRIES,
      },
      source,
      policy: DEFAULT_POLICY,
      previous: [],
      concurrency: { overall: 4, perSubscription: 4 },
      argBatchSize: 6,
      onInventory: (resources) => {
        // The last call (what no subscription carried) comes after every read.
        requests = reads(emulator.stats());
        if (resources.length === 0) return;
        units.push({
          subscriptions: new Set(resources.map((r) => subscriptionOf(r.id)?.toLowerCase())),
          size: resources.filter((r) => !isEndpointDns(r)).length,
          privateEndpoints: resources.filter((r) => sameId(r.type, TYPES.privateEndpoint)).length,
          requestsSoFar: reads(emulator.stats()),
        });
      },
    }).finally(() => emulator.close());
    // 24 subscriptions, then what none carried: the networks and zones their DNS was read from.
    expect(units).toHaveLength(25);
    const context = units.pop();
    for (const unit of units) expect(unit.subscriptions.size).toBe(1);
    expect(context?.subscriptions.size).toBeGreaterThan(1);
    expect(units.reduce((n, u) => n + u.size, 0)).toBe(small.resources);
    // Each private endpoint leaves with the subscription whose workspace it serves, not with the run's context.
    expect(units.reduce((n, u) => n + u.privateEndpoints, 0)).toBeGreaterThan(0);
    expect(context?.privateEndpoints).toBe(0);
    // The first subscription was judged and forgotten while most of the tenant was still to be read.
    expect(units[0]?.requestsSoFar).toBeLessThan(requests / 2);
    expect(result.mlResources).toBe(small.resources);
    const byRule: Record<string, number> = {};
    for (const f of result.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
    expect(byRule).toEqual(small.expected);
  });

  /** Projects in SUB and SUB2 whose hub lives in SUB3: read last when one request runs at a time. */
  const hubElsewhere = () => {
    const theHub = hub(
      { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } },
      "ai-hub",
      "rg-hub",
      SUB3,
    );
    const resources = [theHub];
    for (const sub of [SUB, SUB2]) {
      const proj = project(theHub.id, "proj", "rg", sub);
      const ep = endpoint(proj, { publicNetworkAccess: "Disabled" });
      resources.push(proj, ep, deployment(ep, { egressPublicNetworkAccess: "Enabled" }));
    }
    return tenant(resources, [], [SUB, SUB2, SUB3]);
  };

  it.each(SOURCES)(
    "%s: a project judged before its hub's subscription is read still sees the hub, as a whole-tenant evaluation does",
    async (source) => {
      const t = hubElsewhere();
      const { result } = await auditThroughEmulator(
        t,
        source,
        {},
        { concurrency: { overall: 1, perSubscription: 1 } },
      );
      const whole: Snapshot = { subscriptions: t.subscriptions, resources: t.resources, failures: [] };
      const expected = evaluate(whole, DEFAULT_POLICY, new Date())
        .drafts.map((d) => `${d.rule.id} ${d.resourceId}`)
        .sort();
      expect(result.findings.map((f) => `${f.ruleId} ${f.resourceId}`).sort()).toEqual(expected);
      expect(result.findings.some((f) => f.ruleId === "AUDIT001")).toBe(false);
      // The hub's settings reach both projects' endpoints and deployments.
      expect(result.findings.filter((f) => f.evidence.hubResourceId).length).toBeGreaterThanOrEqual(4);
      expect(result.summary.coverage.workspaces.total).toBe(3);
    },
  );

  it.each(SOURCES)(
    "%s: a private endpoint the workspaces of two subscriptions name stays until the last of them is judged",
    async (source) => {
      // Each `privateWorkspace` names the same private endpoint: the first subscription to settle must not take
      // it from the second.
      const t = tenant([privateWorkspace("a", SUB), privateWorkspace("b", SUB2)], [], [SUB, SUB2]);
      for (const concurrency of [
        { overall: 1, perSubscription: 1 },
        { overall: 8, perSubscription: 4 },
      ]) {
        const { result } = await auditThroughEmulator(t, source, {}, { concurrency });
        const whole: Snapshot = { subscriptions: t.subscriptions, resources: t.resources, failures: [] };
        const expected = evaluate(whole, DEFAULT_POLICY, new Date())
          .drafts.map((d) => `${d.rule.id} ${d.resourceId}`)
          .sort();
        expect(result.findings.map((f) => `${f.ruleId} ${f.resourceId}`).sort()).toEqual(expected);
        expect(result.summary.complete).toBe(true);
      }
    },
  );
});

describe("the limiter", () => {
  it("serves subscriptions in the order it first saw them, within its bounds", async () => {
    const limiter = new Limiter(2, 1);
    const started: string[] = [];
    let inFlight = 0;
    let most = 0;
    const task = (key: string) =>
      limiter.run(key, async () => {
        started.push(key);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
      });
    // a, b and c are seen in that order; their later requests queue behind the earlier keys' ones.
    await Promise.all([task("a"), task("b"), task("c"), task("a"), task("c"), task("b"), task("a")]);
    expect(most).toBe(2);
    expect(started).toEqual(["a", "b", "a", "b", "a", "c", "c"]);
  });

  it("starts an urgent task before the queues of keys ranked ahead of its own, within its key's bound", async () => {
    const limiter = new Limiter(1, 1);
    const started: string[] = [];
    const task = (key: string, name: string, urgent = false) =>
      limiter.run(
        key,
        async () => {
          started.push(name);
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
        urgent,
      );
    await Promise.all([
      task("a", "a1"),
      task("a", "a2"),
      task("a", "a3"),
      task("b", "b1"),
      task("c", "c-index", true),
      task("a", "a-index", true),
    ]);
    expect(started).toEqual(["a1", "c-index", "a-index", "a2", "a3", "b1"]);
  });
});
