/**
 * The Log Analytics sink through the real `LogsIngestionClient`, over HTTPS, to the local ingestion receiver
 * (the path and api-version the client calls, gzip bodies, 429 with Retry-After, 503): the rows match the
 * declared tables, a large run is split under the 1 MB limit, and an outage keeps the rows for the next run,
 * which sends them once.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Composition, type AuditConfig } from "../../src/compose.js";
import { startLogsReceiver, MAX_BODY_BYTES, type LogsReceiver } from "../../src/emulator/logs-receiver.js";
import type { Finding } from "../../src/findings/finding.js";
import { EMULATOR_CREDENTIAL } from "../../src/inventory/connection.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";
import { STATE_FILE, localPendingRows } from "../../src/sinks/local-folder.js";
import { LogsSink, logsClient } from "../../src/sinks/log-analytics/ingest.js";
import {
  FIELD_BYTES,
  FINDINGS_TABLE,
  RUNS_TABLE,
  findingRow,
  fitRow,
  type Row,
} from "../../src/sinks/log-analytics/schema.js";
import { AuditStorage } from "../../src/sinks/storage.js";
import { useAzurite } from "../helpers/azurite.js";
import { FAST_RETRIES } from "../helpers/emulator.js";
import { startReceiver } from "../helpers/receiver.js";
import { SUB, SUB2, privateWorkspace, publicWorkspace, tenant } from "../helpers/tenant.js";

const receivers: LogsReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<LogsReceiver> {
  const r = await startLogsReceiver();
  receivers.push(r);
  return r;
}

const FEW_RETRIES = { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 };

function sinkTo(r: LogsReceiver, dir: string, retryOptions = FAST_RETRIES): LogsSink {
  const target = { endpoint: r.url, ruleId: r.ruleId };
  return new LogsSink(
    target,
    () => logsClient({ ...target, credential: EMULATOR_CREDENTIAL, ca: r.ca, retryOptions }),
    localPendingRows(dir),
  );
}

const finding = (i: number): Finding => ({
  id: `f${String(i).padStart(6, "0")}`,
  ruleId: "AMLNI001",
  slug: "workspace-public-network-access",
  title: "Workspace reachable from the public internet",
  severity: "high",
  status: "open",
  resourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w${i}`,
  resourceType: "Microsoft.MachineLearningServices/workspaces",
  subscriptionId: SUB,
  subscriptionName: "Sub 1",
  resourceGroup: "rg",
  workspace: `w${i}`,
  evidence: { publicNetworkAccess: "Enabled", padding: "x".repeat(40) },
  message: `Workspace w${i} accepts traffic from the public internet.`,
  remediation: `az ml workspace update --name w${i} --resource-group rg --public-network-access Disabled`,
  seed: ["how-to-configure-private-link.md"],
  firstSeen: "2026-12-01T02:00:00.000Z",
  lastSeen: "2026-12-03T02:00:00.000Z",
  runId: "run-1",
});

const rowsOf = (n: number, runId = "run-1"): Row[] =>
  Array.from({ length: n }, (_, i) => findingRow(finding(i), "open", "2026-12-03T02:00:00.000Z", runId));

/** A run of tenant `t` through the emulator, its --out a new folder, sending to `logs`. */
function tenantRun(
  t: ReturnType<typeof tenant>,
  logs: AuditConfig["logs"],
  extra: Partial<AuditConfig> = {},
): AuditConfig {
  return {
    arm: { kind: "tenant", tenant: t },
    source: "arg",
    policy: DEFAULT_POLICY,
    scope: {},
    out: mkdtempSync(join(tmpdir(), "logs-")),
    logs,
    retries: { arm: FAST_RETRIES, logs: FEW_RETRIES },
    ...extra,
  };
}

describe("the Log Analytics sink", () => {
  it("sends a run's findings and its run row, each matching its declared table", async () => {
    const t = tenant(
      [publicWorkspace("open1"), publicWorkspace("open2", SUB2), privateWorkspace("closed")],
      [],
      [SUB, SUB2],
    );
    // The receiver the demo uses, started for the run, sent to with the run's credential.
    const composition = new Composition(tenantRun(t, "local"));
    const outcome = await composition.execute({ trigger: "http" });
    const received = outcome.logsReceived;
    expect(received?.problems).toEqual([]);
    const findings = received?.rows[FINDINGS_TABLE.stream] ?? [];
    const runs = received?.rows[RUNS_TABLE.stream] ?? [];
    expect(findings).toHaveLength(outcome.result.findings.length);
    expect(findings.length).toBeGreaterThan(0);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      RunId: outcome.result.summary.runId,
      Trigger: "http",
      Status: "committed",
      Complete: true,
      Committed: true,
      New: outcome.result.summary.new,
    });
    // Every row carries the columns of its table, nothing else (optional ones only when they have a value).
    const declared = new Set(FINDINGS_TABLE.columns.map((c) => c.name));
    const optional = new Set(["ExemptionExpires", "ExemptionReason"]);
    for (const row of findings) {
      expect(Object.keys(row).filter((k) => !declared.has(k))).toEqual([]);
      expect([...declared].filter((k) => !optional.has(k) && !(k in row))).toEqual([]);
      expect(row.RunId).toBe(outcome.result.summary.runId);
    }
    expect(outcome.publication.logs).toMatchObject({ sent: findings.length + 1, kept: 0, errors: [] });
    // The client calls what the service serves: the path, its api-version, gzip, a bearer token.
    expect(received?.requests.every((q) => q.status === 204 && q.gzipBytes < q.jsonBytes)).toBe(true);
  });

  it("a run whose findings were not taken says so in its row and summary, keeps the rest untried, and the next run sends them first", async () => {
    const r = await receiver();
    const t = tenant([publicWorkspace("open1"), publicWorkspace("open2", SUB2)], [], [SUB, SUB2]);
    const config = tenantRun(t, { endpoint: r.url, ruleId: r.ruleId, ca: r.ca });
    // The findings' call and its one retry are refused: the endpoint is taken to be down for the rest of the
    // run, and the run's row is kept without being tried.
    r.fail({ status: 503 }, { status: 503 });
    const first = await new Composition(config).execute();
    const findings = first.result.findings.length;
    expect(first.publication.logs).toMatchObject({ sent: 0, kept: findings + 1 });
    expect(first.result.summary.logsErrors?.join(" ")).toMatch(
      /AmlIsolationFindings_CL: \d+ of \d+ rows not taken/,
    );
    expect(r.requests).toHaveLength(2);
    expect(r.rows[FINDINGS_TABLE.stream]).toBeUndefined();
    expect(r.rows[RUNS_TABLE.stream]).toBeUndefined();

    const second = await new Composition(config).execute();
    expect(second.publication.logs).toMatchObject({ sentFromEarlierRuns: findings + 1, kept: 0, errors: [] });
    const byRun = (runId: string) =>
      (r.rows[FINDINGS_TABLE.stream] ?? []).filter((row) => row.RunId === runId).length;
    expect(byRun(first.result.summary.runId)).toBe(findings);
    expect(byRun(second.result.summary.runId)).toBe(second.result.findings.length);
    expect(r.rows[RUNS_TABLE.stream]).toEqual([
      expect.objectContaining({ RunId: first.result.summary.runId, SinksComplete: false, Committed: true }),
      expect.objectContaining({ RunId: second.result.summary.runId, SinksComplete: true }),
    ]);
    expect(r.problems).toEqual([]);
  });

  it("a run that cannot commit sends its row, not committed, and none of its findings", async () => {
    const r = await receiver();
    const t = tenant([publicWorkspace("open1")]);
    // Storage that answers nothing: the state cannot be read, so nothing may be published as the state.
    const closed =
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;";
    const outcome = await new Composition(
      tenantRun(
        t,
        { endpoint: r.url, ruleId: r.ruleId, ca: r.ca },
        {
          storage: { kind: "connectionString", connectionString: closed },
          retries: { arm: FAST_RETRIES, logs: FEW_RETRIES, storage: { maxTries: 1, timeoutMs: 2000 } },
        },
      ),
    ).execute();
    expect(outcome.stateUnreadable).toBeDefined();
    expect(r.rows[FINDINGS_TABLE.stream]).toBeUndefined();
    expect(r.rows[RUNS_TABLE.stream]).toHaveLength(1);
    expect(r.rows[RUNS_TABLE.stream]?.[0]).toMatchObject({
      RunId: outcome.result.summary.runId,
      Status: "incomplete",
      Committed: false,
      SinksComplete: false,
    });
    expect(r.problems).toEqual([]);
  });

  it("without storage, a run whose output folder cannot take its state announces nothing and sends no Committed row", async () => {
    const r = await receiver();
    const teams = await startReceiver([{ status: 202 }]);
    try {
      const t = tenant([publicWorkspace("open1"), publicWorkspace("open2")]);
      const config = tenantRun(
        t,
        { endpoint: r.url, ruleId: r.ruleId, ca: r.ca },
        { notify: { webhookUrl: teams.url, mode: "changes", allowLoopbackHttp: true } },
      );
      const out = config.out as string;
      // A full disk, made small: the state's temporary file cannot be created (a folder holds its name).
      const runId = "run-full-disk";
      mkdirSync(join(out, `.${STATE_FILE}.${runId}.tmp`));
      const failed = await new Composition(config).execute({ runId });
      expect(failed.publication.outputError).toMatch(/EISDIR; nothing was committed/);
      expect(failed.publication.committed).toBe(false);
      expect(failed.result.summary.complete).toBe(false);
      expect(existsSync(join(out, STATE_FILE))).toBe(false);
      expect(readdirSync(out).filter((n) => n.endsWith(".tmp") && !n.startsWith(`.${STATE_FILE}`))).toEqual(
        [],
      );
      // Teams hears that the run is incomplete, not its changes; Log Analytics gets no finding and no commit.
      expect(teams.received).toHaveLength(1);
      expect(teams.received[0]?.body).toContain("could not be saved to the output folder");
      expect(teams.received[0]?.body).not.toContain("open1");
      expect(r.rows[FINDINGS_TABLE.stream]).toBeUndefined();
      expect(r.rows[RUNS_TABLE.stream]).toEqual([
        expect.objectContaining({ RunId: runId, Committed: false, Status: "incomplete" }),
      ]);

      // The disk has room again: the next run announces the changes, once, and commits.
      rmSync(join(out, `.${STATE_FILE}.${runId}.tmp`), { recursive: true });
      const next = await new Composition(config).execute();
      expect(next.result.summary.new).toBe(next.result.findings.length);
      expect(next.publication.committed).toBe(true);
      expect(teams.received).toHaveLength(2);
      expect(teams.received[1]?.body).toContain("open1");
      expect(r.rows[RUNS_TABLE.stream]?.[1]).toMatchObject({ Committed: true, Status: "committed" });
      expect(r.rows[FINDINGS_TABLE.stream]).toHaveLength(next.result.findings.length);
      expect(existsSync(join(out, STATE_FILE))).toBe(true);
    } finally {
      await teams.close();
    }
  });

  it("splits 10,000 findings into calls under the 1 MB limit, and every row arrives once", async () => {
    const r = await receiver();
    const rows = rowsOf(10_000);
    const delivery = await sinkTo(r, mkdtempSync(join(tmpdir(), "logs-"))).send("run-1", {
      [FINDINGS_TABLE.stream]: rows,
    });
    expect(delivery).toMatchObject({ sent: 10_000, kept: 0, errors: [] });
    const calls = r.requests.filter((q) => q.stream === FINDINGS_TABLE.stream);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      expect(call.status).toBe(204);
      expect(call.jsonBytes).toBeLessThanOrEqual(MAX_BODY_BYTES);
    }
    const ids = (r.rows[FINDINGS_TABLE.stream] ?? []).map((row) => row.FindingId);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids).toHaveLength(10_000);
    expect(r.problems).toEqual([]);
  });

  it("waits out a 429 with Retry-After and a 503, then the rows go through", async () => {
    const r = await receiver();
    r.fail({ status: 429, retryAfterSeconds: 1 }, { status: 503, retryAfterSeconds: 0 });
    const delivery = await sinkTo(r, mkdtempSync(join(tmpdir(), "logs-"))).send("run-1", {
      [FINDINGS_TABLE.stream]: rowsOf(3),
    });
    expect(r.requests.map((q) => q.status)).toEqual([429, 503, 204]);
    expect(delivery).toMatchObject({ sent: 3, kept: 0, errors: [] });
  });

  it("keeps the rows of an outage, and the next run sends them first, once", async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), "logs-"));
    r.down({ status: 503 });
    const first = await sinkTo(r, dir, FEW_RETRIES).send("run-1", {
      [FINDINGS_TABLE.stream]: rowsOf(5, "run-1"),
      [RUNS_TABLE.stream]: [{ TimeGenerated: "2026-12-03T02:00:00.000Z", RunId: "run-1" }],
    });
    expect(first).toMatchObject({ sent: 0, kept: 6 });
    expect(first.errors.join(" ")).toMatch(
      /not taken by 127\.0\.0\.1:\d+ \(RestError 503 ServiceUnavailable\)/,
    );
    expect(readdirSync(join(dir, "logs-pending"))).toEqual(["run-1.json.gz"]);

    r.recover();
    const second = await sinkTo(r, dir).send("run-2", { [FINDINGS_TABLE.stream]: rowsOf(2, "run-2") });
    expect(second).toMatchObject({ sent: 8, sentFromEarlierRuns: 6, kept: 0, errors: [] });
    expect(existsSync(join(dir, "logs-pending", "run-1.json.gz"))).toBe(false);

    const third = await sinkTo(r, dir).send("run-3", { [FINDINGS_TABLE.stream]: [] });
    expect(third).toMatchObject({ sent: 0, sentFromEarlierRuns: 0, kept: 0 });
    const byRun = (runId: string) =>
      (r.rows[FINDINGS_TABLE.stream] ?? []).filter((row) => row.RunId === runId).length;
    expect([byRun("run-1"), byRun("run-2")]).toEqual([5, 2]);
    expect(r.rows[RUNS_TABLE.stream]).toHaveLength(1);
  });

  it("keeps only the calls that failed when an outage starts part way", async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), "logs-"));
    // The first call is taken, then the endpoint goes down for the rest.
    const sink = sinkTo(r, dir, FEW_RETRIES);
    const rows = rowsOf(3_000);
    let calls = 0;
    const original = r.requests.push.bind(r.requests);
    r.requests.push = (...items) => {
      calls += items.length;
      if (calls === 1) r.down({ status: 503 });
      return original(...items);
    };
    const delivery = await sink.send("run-1", { [FINDINGS_TABLE.stream]: rows });
    const taken = (r.rows[FINDINGS_TABLE.stream] ?? []).length;
    expect(taken).toBeGreaterThan(0);
    expect(delivery.sent).toBe(taken);
    expect(delivery.kept).toBe(3_000 - taken);
    r.recover();
    await sinkTo(r, dir).send("run-2", {});
    const ids = (r.rows[FINDINGS_TABLE.stream] ?? []).map((row) => row.FindingId);
    expect(ids).toHaveLength(3_000);
    expect(new Set(ids).size).toBe(3_000);
  });

  it("a receiver that takes the rows and never answers costs one try's deadline; the run commits and keeps its rows", async () => {
    const r = await receiver();
    const t = tenant([publicWorkspace("open1"), publicWorkspace("open2")]);
    // The storage sink's deadlines, as shipped (10 s a try); only the ARM retries are shortened.
    const config = tenantRun(
      t,
      { endpoint: r.url, ruleId: r.ruleId, ca: r.ca },
      { retries: { arm: FAST_RETRIES } },
    );
    r.down({ status: 0, hang: true });
    const started = performance.now();
    const outcome = await new Composition(config).execute();
    const seconds = (performance.now() - started) / 1000;
    console.log(`Log Analytics silent: run took ${seconds.toFixed(1)} s`);
    // One call, not retried; the run's own row is kept untried, and the run commits.
    expect(r.requests).toHaveLength(1);
    expect(outcome.publication.committed).toBe(true);
    expect(outcome.publication.logs).toMatchObject({ sent: 0, kept: outcome.result.findings.length + 1 });
    expect(outcome.result.summary.logsErrors?.join(" ")).toMatch(/no answer in time/);
    expect(seconds).toBeLessThan(30); // the documented bound (10 s a try) with room; it ran past 300 s before
  }, 60_000);

  it("an endpoint that stays down costs each run one call, however many runs' rows wait, and keeps 7 runs at most", async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), "logs-"));
    r.down({ status: 503 });
    const calls: number[] = [];
    const warnings: string[] = [];
    for (let run = 1; run <= 9; run += 1) {
      const before = r.requests.length;
      const delivery = await sinkTo(r, dir, FEW_RETRIES).send(`run-${run}`, {
        [FINDINGS_TABLE.stream]: rowsOf(3, `run-${run}`),
      });
      calls.push(r.requests.length - before);
      warnings.push(...delivery.errors.filter((e) => /dropped/.test(e)));
      expect(delivery.sent).toBe(0);
    }
    // One call and its one retry per run, not one per kept batch.
    expect(calls).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(readdirSync(join(dir, "logs-pending")).sort()).toEqual(
      [3, 4, 5, 6, 7, 8, 9].map((n) => `run-${n}.json.gz`),
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^the 3 rows run run-1 kept were dropped: at most 7 runs' rows are kept/),
      expect.stringMatching(/^the 3 rows run run-2 kept were dropped/),
    ]);
    r.recover();
    const back = await sinkTo(r, dir).send("run-10", {});
    expect(back).toMatchObject({ sentFromEarlierRuns: 21, kept: 0, errors: [] });
  });

  it("retries a 429 that says no Retry-After, with backoff", async () => {
    const r = await receiver();
    r.fail({ status: 429 });
    const delivery = await sinkTo(r, mkdtempSync(join(tmpdir(), "logs-")), FEW_RETRIES).send("run-1", {
      [FINDINGS_TABLE.stream]: rowsOf(2),
    });
    expect(delivery).toMatchObject({ sent: 2, kept: 0, errors: [] });
    expect(r.requests.map((q) => q.status)).toEqual([429, 204]);
  });

  it("shortens a row too large for the service (100,000 IP rules), sends it, and never keeps it", async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), "logs-"));
    const ipRules = Array.from({ length: 100_000 }, (_, i) => ({
      value: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    }));
    const huge = findingRow(
      {
        ...finding(1),
        evidence: { publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Deny", ipRules } },
      },
      "open",
      "2026-12-03T02:00:00.000Z",
      "run-1",
    );
    expect(JSON.stringify(huge).length).toBeGreaterThan(MAX_BODY_BYTES);
    const delivery = await sinkTo(r, dir).send("run-1", { [FINDINGS_TABLE.stream]: [huge, ...rowsOf(2)] });
    expect(delivery).toMatchObject({ sent: 3, kept: 0, dropped: 0, errors: [] });
    const [sent] = r.rows[FINDINGS_TABLE.stream] ?? [];
    const evidence = sent?.Evidence as { networkAcls: { ipRules: unknown[] }; _shortened: string };
    expect(evidence._shortened).toMatch(/^from \d+ characters$/);
    expect(evidence.networkAcls.ipRules.at(-1)).toMatch(/^… and \d+ more$/);
    expect(Buffer.byteLength(JSON.stringify(evidence))).toBeLessThanOrEqual(FIELD_BYTES);
    expect(r.problems).toEqual([]);
    expect(existsSync(join(dir, "logs-pending"))).toBe(false);

    // A call the service refuses as too large all the same: its rows go again shortened to their core, once;
    // refused again, they are dropped (said so), never kept to be refused by every run.
    r.fail({ status: 413 }, { status: 413 });
    const refused = await sinkTo(r, dir).send("run-2", { [FINDINGS_TABLE.stream]: rowsOf(1, "run-2") });
    expect(refused).toMatchObject({ sent: 0, kept: 0, dropped: 1 });
    expect(refused.errors.join(" ")).toMatch(
      /1 rows dropped: .* refused them as too large \(413\) even shortened/,
    );
    expect(existsSync(join(dir, "logs-pending"))).toBe(false);
    r.fail({ status: 413 });
    const retried = await sinkTo(r, dir).send("run-3", { [FINDINGS_TABLE.stream]: rowsOf(1, "run-3") });
    expect(retried).toMatchObject({ sent: 1, kept: 0, dropped: 0 });
  });

  it("cuts a long text field to the limit in bytes, multi-byte characters included, and says so", () => {
    const row = fitRow({ Message: "é".repeat(40_000), RunId: "run-1", New: 3 });
    expect(Buffer.byteLength(row.Message as string)).toBeLessThanOrEqual(FIELD_BYTES);
    expect(row.Message).toMatch(/^é+ … \(shortened from 40000 characters\)$/);
    expect(row).toMatchObject({ RunId: "run-1", New: 3 });
    const small = { Message: "short", Evidence: { a: [1, 2] } };
    expect(fitRow(small)).toBe(small);
  });

  describe("with Azure Storage", () => {
    const azurite = useAzurite();

    it("keeps unsent rows in the audit container, a blob per run, until a run sends them", async () => {
      const r = await receiver();
      const storage = new AuditStorage({
        kind: "connectionString",
        connectionString: azurite().connectionString,
      });
      const target = { endpoint: r.url, ruleId: r.ruleId };
      const sink = () =>
        new LogsSink(
          target,
          () =>
            logsClient({ ...target, credential: EMULATOR_CREDENTIAL, ca: r.ca, retryOptions: FEW_RETRIES }),
          storage.pendingRows(),
        );
      r.down({ status: 429, retryAfterSeconds: 0 });
      expect(await sink().send("run-a", { [FINDINGS_TABLE.stream]: rowsOf(4, "run-a") })).toMatchObject({
        sent: 0,
        kept: 4,
      });
      expect((await storage.pendingRows().load()).map((b) => b.runId)).toEqual(["run-a"]);
      r.recover();
      expect(await sink().send("run-b", {})).toMatchObject({ sent: 4, sentFromEarlierRuns: 4, kept: 0 });
      expect(await storage.pendingRows().load()).toEqual([]);
    });
  });
});
