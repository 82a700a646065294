/**
 * The Functions app end to end, each handler called as the host would call it: against the ARM
 * emulator (AUDIT_TENANT_FILE), a real Azurite (blob, table, queue) and a local Teams receiver, with a
 * test loop standing in for the host's queue delivery.
 */
import type { HttpResponseInit } from "@azure/functions";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueServiceClient } from "@azure/storage-queue";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Composition, RunHooks } from "../../src/compose.js";
import { processPoisonMessage, processRunMessage, type WorkerOptions } from "../../src/app/worker.js";
import { services } from "../../src/app/services.js";
import { auditWorker } from "../../src/functions/auditWorker.js";
import { auditWorkerPoison } from "../../src/functions/auditWorkerPoison.js";
import { getAudit } from "../../src/functions/getAudit.js";
import { getSummary } from "../../src/functions/getSummary.js";
import { listAudits } from "../../src/functions/listAudits.js";
import { listFindings } from "../../src/functions/listFindings.js";
import { nightlyAudit } from "../../src/functions/nightlyAudit.js";
import { startAudit } from "../../src/functions/startAudit.js";
import { severityRank, type Severity } from "../../src/policy/types.js";
import { LOCK_BLOB } from "../../src/sinks/state-lock.js";
import { RUN_QUEUE } from "../../src/sinks/run-queue.js";
import { startAzurite, type Azurite } from "../helpers/azurite.js";
import { context, QueueHost, request, type LogLine } from "../helpers/functions-host.js";
import { AUTHORIZATION_FAILURE, startFaultProxy } from "../helpers/fault-proxy.js";
import { startReceiver } from "../helpers/receiver.js";
import { findingRows } from "../helpers/state.js";
import { startLogsReceiver, type LogsReceiver } from "../../src/emulator/logs-receiver.js";
import { FINDINGS_TABLE, RUNS_TABLE } from "../../src/sinks/log-analytics/schema.js";

const DEMO = join(__dirname, "../../examples/demo-tenant.json");
const KEY_FRAGMENT = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu";
const TIMER = {
  isPastDue: true,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};

interface Body {
  [key: string]: unknown;
}
const bodyOf = (response: HttpResponseInit) => response.jsonBody as Body;
const headerOf = (response: HttpResponseInit, name: string) =>
  (response.headers as Record<string, string> | undefined)?.[name];

/** Worker options for tests: short waits, the lease at its shortest, progress on every change. */
const FAST: WorkerOptions = {
  lockWaitSeconds: 1,
  lockSeconds: 15,
  progressIntervalMs: 0,
  storageRetry: { maxTries: 2, retryDelayInMs: 50, timeoutMs: 5_000 },
};

let azurite: Azurite;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let saved: NodeJS.ProcessEnv;
const responses: HttpResponseInit[] = [];
const log: LogLine[] = [];

function setEnv(values: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

async function call(
  handler: typeof startAudit,
  init: Parameters<typeof request>[0],
  name = "http",
): Promise<HttpResponseInit> {
  const response = await handler(request(init), context(name, log));
  responses.push(response);
  return response;
}

function tenantWithLatency(ms: number): string {
  const tenant = JSON.parse(readFileSync(DEMO, "utf8")) as { faults: unknown[] };
  tenant.faults.push({ path: "/subscriptions", latencyMs: ms });
  const path = join(mkdtempSync(join(tmpdir(), "tenant-")), "tenant.json");
  writeFileSync(path, JSON.stringify(tenant));
  return path;
}

function host(options: WorkerOptions = FAST, execute?: WorkerOptions["execute"]): QueueHost {
  const env = process.env;
  return new QueueHost(
    azurite.connectionString,
    RUN_QUEUE,
    (message, ctx) => processRunMessage(message, ctx, env, { ...options, ...(execute ? { execute } : {}) }),
    (message, ctx) => processPoisonMessage(message, ctx, env, options),
  );
}

async function tableRows(table: string): Promise<Record<string, unknown>[]> {
  const client = TableClient.fromConnectionString(azurite.connectionString, table, {
    allowInsecureConnection: true,
  });
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const e of client.listEntities<Record<string, unknown>>()) rows.push(e);
  } catch {
    return [];
  }
  return rows;
}

async function start(body: unknown = {}): Promise<string> {
  const response = await call(startAudit, {
    method: "POST",
    path: "/api/audits",
    body: JSON.stringify(body),
  });
  expect(response.status, JSON.stringify(response.jsonBody)).toBe(202);
  return bodyOf(response).runId as string;
}

async function audit(runId: string): Promise<Body> {
  const response = await call(getAudit, { method: "GET", path: `/api/audits/${runId}`, params: { runId } });
  expect(response.status).toBe(200);
  return bodyOf(response);
}

/**
 * Runs `body` with the app's Log Analytics settings pointed at a local ingestion receiver (its certificate in
 * AUDIT_LOGS_CA_FILE), and puts the settings back after.
 */
async function withLogsReceiver(body: (logs: LogsReceiver) => Promise<void>): Promise<void> {
  const logs = await startLogsReceiver();
  try {
    const caFile = join(mkdtempSync(join(tmpdir(), "logs-ca-")), "receiver.pem");
    writeFileSync(caFile, logs.ca);
    setEnv({ AUDIT_LOGS_ENDPOINT: logs.url, AUDIT_LOGS_RULE_ID: logs.ruleId, AUDIT_LOGS_CA_FILE: caFile });
    await body(logs);
  } finally {
    setEnv({ AUDIT_LOGS_ENDPOINT: undefined, AUDIT_LOGS_RULE_ID: undefined, AUDIT_LOGS_CA_FILE: undefined });
    await logs.close();
  }
}

beforeEach(async () => {
  saved = { ...process.env };
  azurite = await startAzurite();
  receiver = await startReceiver([{ status: 202 }]);
  setEnv({
    AUDIT_STORAGE: azurite.connectionString,
    AUDIT_TENANT_FILE: DEMO,
    TEAMS_WEBHOOK_URL: receiver.url,
    AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP: "true",
    AUDIT_TEAMS_MODE: "changes",
    AUDIT_SOURCE: "arg",
    AUDIT_POLICY: undefined,
    AUDIT_PROFILE: undefined,
  });
});

afterEach(async () => {
  process.env = saved;
  await receiver.close();
  await azurite.stop();
});

describe("the Functions app", () => {
  it("nightly: timer → queue → worker → tables, archive and digest; the run ends incomplete and getAudit says why", async () => {
    await nightlyAudit(TIMER, context("nightlyAudit", log));
    expect(log.some((l) => l.level === "warning" && /past due/.test(l.text))).toBe(true);
    const runner = new QueueHost(azurite.connectionString, RUN_QUEUE, auditWorker, auditWorkerPoison);
    await runner.drain();

    const list = bodyOf(await call(listAudits, { method: "GET", path: "/api/audits" }));
    const runs = list.value as Body[];
    expect(runs).toHaveLength(1);
    const run = await audit(runs[0]?.runId as string);
    expect(run).toMatchObject({ status: "incomplete", trigger: "schedule", attempt: 1, digest: "posted" });
    expect(run.message).toMatch(/not everything could be read/);
    const summary = run.summary as { complete: boolean; coverage: { subscriptions: { failed: number } } };
    expect(summary.complete).toBe(false);
    expect(summary.coverage.subscriptions.failed).toBe(2);

    const findings = [...(await findingRows(azurite.connectionString)).values()].filter(
      (r) => r.status === "open",
    );
    expect(findings.length).toBeGreaterThan(10);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      "audit",
    );
    const blobs: string[] = [];
    for await (const b of container.listBlobsFlat()) blobs.push(b.name);
    expect(blobs.filter((b) => b.startsWith("runs/"))).toHaveLength(4);
    expect(blobs).toContain("latest/summary.json");
    expect(blobs).toContain("latest/report.html");
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]?.body ?? "{}")).toMatchObject({ type: "message" });
  });

  it("startAudit → 202 → worker → getAudit shows progress, then the summary; listFindings filters and pages", async () => {
    setEnv({ AUDIT_TENANT_FILE: tenantWithLatency(60) });
    const response = await call(startAudit, {
      method: "POST",
      path: "/api/audits",
      body: "{}",
      query: { code: "KEY" },
    });
    expect(response.status).toBe(202);
    const runId = bodyOf(response).runId as string;
    expect(headerOf(response, "Location")).toBe(`http://localhost:7071/api/audits/${runId}`);
    expect(headerOf(response, "Retry-After")).toBe("10");
    expect((await audit(runId)).status).toBe("queued");

    const draining = host().drain();
    let sawProgress: Body | undefined;
    for (let i = 0; i < 400 && !sawProgress; i += 1) {
      const now = await audit(runId);
      const progress = now.progress as { subscriptions: { total: number } } | undefined;
      if (now.status === "running" && progress && progress.subscriptions.total > 0) sawProgress = now;
      else if (["succeeded", "incomplete"].includes(now.status as string)) break;
      await sleep(25);
    }
    await draining;
    expect(sawProgress, "getAudit never showed the run in progress").toBeDefined();
    expect(sawProgress?.message).toBe("reading the tenant");
    const done = await audit(runId);
    expect(done.status).toBe("incomplete");
    // The last figures reach the row before the run is published: every subscription read (or tried).
    const { subscriptions } = done.progress as { subscriptions: { done: number; total: number } };
    expect(subscriptions.done).toBe(subscriptions.total);
    expect(subscriptions.total).toBe(5);
    expect(done.digest).toBe("none"); // an on-demand run posts a digest only when asked

    const all = bodyOf(
      await call(listFindings, { method: "GET", path: "/api/findings", query: { top: "1000" } }),
    );
    const every = all.value as Body[];
    expect(all.continuationToken).toBeUndefined();
    const rows = await tableRows("findings");
    expect(every).toHaveLength(rows.length);

    const filtered = async (query: Record<string, string>) =>
      bodyOf(
        await call(listFindings, { method: "GET", path: "/api/findings", query: { top: "1000", ...query } }),
      ).value as Body[];
    const high = await filtered({ severity: "high" });
    expect(high.length).toBe(
      every.filter((f) => severityRank(f.severity as Severity) >= severityRank("high")).length,
    );
    expect(high.length).toBeGreaterThan(0);
    for (const [param, field] of [
      ["status", "status"],
      ["ruleId", "ruleId"],
      ["subscription", "subscriptionId"],
      ["workspace", "workspace"],
      ["account", "account"],
      ["resourceType", "resourceType"],
    ] as const) {
      const first = every.find((f) => typeof f[field] === "string" && f[field] !== "") as Body;
      const value = String(first[field]);
      const got = await filtered({ [param]: value });
      expect(got.length, param).toBe(every.filter((f) => String(f[field]) === value).length);
      expect(got.length, param).toBeGreaterThan(0);
    }
    // The type as a user would type it; the Foundry findings, and only they, under their account's type.
    const accounts = await filtered({ resourceType: "microsoft.cognitiveservices/accounts" });
    expect(accounts.length).toBe(
      every.filter((f) => f.resourceType === "Microsoft.CognitiveServices/accounts").length,
    );
    expect(accounts.map((f) => f.ruleId)).toEqual(expect.arrayContaining(["AIFNI001", "AIFNO001"]));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = bodyOf(
        await call(listFindings, {
          method: "GET",
          path: "/api/findings",
          query: { top: "4", ...(token ? { continuationToken: token } : {}) },
        }),
      );
      seen.push(...(page.value as Body[]).map((f) => f.id as string));
      expect((page.value as Body[]).length).toBeLessThanOrEqual(4);
      token = page.continuationToken as string | undefined;
      if (token) expect(page.nextLink).toContain("continuationToken=");
      pages += 1;
    } while (token && pages < 100);
    expect(seen.sort()).toEqual(every.map((f) => f.id as string).sort());
    expect(new Set(seen).size).toBe(seen.length);

    const csv = await call(listFindings, { method: "GET", path: "/api/findings", query: { format: "csv" } });
    expect(headerOf(csv, "Content-Type")).toMatch(/^text\/csv/);
    expect((csv.body as string).split("\r\n")[0]).toMatch(/^id,ruleId,severity,status/);

    const summary = bodyOf(await call(getSummary, { method: "GET", path: "/api/summary" }));
    expect((summary.latest as Body).runId).toBe(runId);
    expect(summary.trend).toEqual([expect.objectContaining({ runId, complete: false })]);
  });

  it("a message delivered twice: one run, one digest", async () => {
    const runId = await start({ notify: true });
    await QueueServiceClient.fromConnectionString(azurite.connectionString)
      .getQueueClient(RUN_QUEUE)
      .sendMessage(Buffer.from(JSON.stringify({ runId })).toString("base64"));
    const runner = host();
    await runner.drain();
    expect(receiver.received).toHaveLength(1);
    expect(runner.outcomes.filter((o) => o === "done")).toHaveLength(1);
    expect(runner.outcomes).toContain("already-finished");
    expect(await audit(runId)).toMatchObject({ status: "incomplete", attempt: 1, digest: "posted" });
  });

  it("two runs started together run one after the other, and the table matches the later one", async () => {
    setEnv({ AUDIT_TENANT_FILE: tenantWithLatency(40) });
    const first = await start();
    const second = await start();
    const runner = host();
    await runner.drain();
    expect(runner.outcomes).toContain("waiting");
    const [a, b] = [await audit(first), await audit(second)];
    for (const run of [a, b]) expect(run.status).toBe("incomplete");
    const [earlier, later] = String(a.finishedAt) < String(b.finishedAt) ? [a, b] : [b, a];
    // One after the other: the later one started only once the earlier one had finished.
    expect(String(later.startedAt) >= String(earlier.finishedAt)).toBe(true);
    const open = [...(await findingRows(azurite.connectionString)).values()].filter(
      (r) => r.status === "open",
    );
    expect(open.length).toBeGreaterThan(0);
    for (const row of open) expect(row.lastRunId).toBe(later.runId);
  });

  it("a worker that throws on every try: the run ends failed through the poison queue, and tells Log Analytics", async () => {
    await withLogsReceiver(async (logs) => {
      const runId = await start();
      const runner = host(FAST, () => Promise.reject(new Error("ARM went away (sig=SECRET-SIG-d41d8cd98f)")));
      await runner.drain();
      const run = await audit(runId);
      expect(run.status).toBe("failed");
      expect(run.attempt).toBe(5);
      expect(run.error).toMatch(/failed on every try.*ARM went away \(sig=\[redacted\]\)/);
      expect(JSON.stringify(run)).not.toContain("SECRET-SIG");
      // The one row the alert looks for: the run failed, with its redacted reason.
      expect(logs.rows[RUNS_TABLE.stream]).toHaveLength(1);
      expect(logs.rows[RUNS_TABLE.stream]?.[0]).toMatchObject({
        RunId: runId,
        Status: "failed",
        Trigger: "http",
      });
      expect(logs.rows[RUNS_TABLE.stream]?.[0]?.Error).toMatch(/ARM went away \(sig=\[redacted\]\)/);
      expect(JSON.stringify(logs.rows)).not.toContain("SECRET-SIG");
      expect(logs.problems).toEqual([]);
    });
  });

  it("a run that blob storage refuses before it holds the lease says why, through getAudit", async () => {
    const runId = await start();
    // Blob requests refused as a firewall or a missing role refuses them; tables and queues answer.
    const proxy = await startFaultProxy(azurite.ports.blob, () => AUTHORIZATION_FAILURE);
    try {
      setEnv({
        AUDIT_STORAGE: azurite.connectionString.replace(
          `BlobEndpoint=http://127.0.0.1:${azurite.ports.blob}/`,
          `BlobEndpoint=http://127.0.0.1:${proxy.port}/`,
        ),
      });
      const runner = host();
      await runner.drain();
      expect(proxy.refused).toBeGreaterThanOrEqual(5);
      const run = await audit(runId);
      expect(run.status).toBe("failed");
      expect(run.attempt).toBe(0); // it never got as far as claiming the run
      expect(run.error).toBe(
        "the worker failed on every try the host made; last error: Azure Storage refused the blob request " +
          "(403 AuthorizationFailure): the app's identity needs Storage Blob Data Contributor on storage account " +
          "devstoreaccount1, and the account's network rules must let the app reach its blob endpoint (a private " +
          "endpoint, or the app's subnet)",
      );
      expect(run.message).toBe(`failed: ${run.error as string}`);
      expect(
        runner.log.filter((l) => l.level === "error" && /AuthorizationFailure/.test(l.text)).length,
      ).toBeGreaterThanOrEqual(5);
      expect(JSON.stringify([run, runner.log])).not.toContain(KEY_FRAGMENT);
      // A request that meets the same refusal is told what to fix, not "the request failed".
      const refused = await call(startAudit, { method: "POST", path: "/api/audits", body: "{}" });
      expect(refused.status).toBe(503);
      expect(bodyOf(refused).error).toMatchObject({ code: "StorageUnavailable" });
      expect((bodyOf(refused).error as Body).message).toMatch(
        /^Azure Storage refused the blob request \(403 AuthorizationFailure\): the app's identity needs Storage Blob Data Contributor/,
      );
    } finally {
      await proxy.close();
    }
  });

  it("a worker that dies after writing the state: the run is done again, whole, with one digest", async () => {
    const runId = await start({ notify: true });
    let attempts = 0;
    const diesOnce = async (composition: Composition, hooks: RunHooks) => {
      attempts += 1;
      if (attempts > 1) return composition.execute(hooks);
      // What a dead attempt leaves: the audit read and the findings table written, then nothing more.
      const { Composition: Compose } = await import("../../src/compose.js");
      const dry = new Compose({ ...composition.config, storage: undefined, notify: undefined });
      const { result } = await dry.execute(hooks);
      const storage = composition.storage!;
      await storage.loadState();
      await storage.writeState(result.findings, result.resolved, result.summary.finishedAt, runId);
      throw new Error("the worker died");
    };
    const runner = host(FAST, diesOnce);
    await runner.drain();
    const run = await audit(runId);
    expect(run).toMatchObject({ status: "incomplete", attempt: 2, digest: "posted" });
    const summary = run.summary as { new: number };
    const open = [...(await findingRows(azurite.connectionString)).values()].filter(
      (r) => r.status === "open",
    );
    expect(summary.new).toBe(open.length); // a first run: every finding is new, as the dead attempt found
    expect(receiver.received).toHaveLength(1);
  });

  it.each([
    ["state", 1],
    ["archive", 1],
    ["digest", 2],
  ] as const)(
    "an attempt that fails after its publication's %s step: the retry reports the same findings, and %i digest(s) in all",
    async (step, digests) => {
      const runId = await start({ notify: true });
      let attempts = 0;
      const failsOnce = (composition: Composition, hooks: RunHooks) => {
        attempts += 1;
        return composition.execute({
          ...hooks,
          onPublishStep: (at) => {
            if (attempts === 1 && at === step) throw new Error(`the worker died after ${at}`);
          },
        });
      };
      const runner = host(FAST, failsOnce);
      await runner.drain();
      const run = await audit(runId);
      expect(run).toMatchObject({ status: "incomplete", attempt: 2, committed: true });
      const summary = run.summary as { new: number; resolved: number };
      const open = [...(await findingRows(azurite.connectionString)).values()].filter(
        (r) => r.status === "open",
      );
      expect(summary.new).toBe(open.length); // as the first attempt found them: every finding new
      expect(summary.resolved).toBe(0);
      expect(receiver.received.filter((r) => /New findings/.test(r.body))).toHaveLength(digests);
    },
  );

  it("a worker that died holding the lease: the lease lapses, the message comes back, the run is done once", async () => {
    const runId = await start({ notify: true });
    const { runs, storage } = services(process.env, FAST);
    const record = await runs.get(runId);
    await runs.claim(record!, new Date()); // the dead worker had claimed the run…
    const lock = storage.containerClient.getBlockBlobClient(LOCK_BLOB);
    await lock.upload("", 0);
    await lock.getBlobLeaseClient().acquireLease(15); // …and held the lock when it died
    const runner = host();
    await runner.drain(90_000);
    expect(runner.outcomes.filter((o) => o === "waiting").length).toBeGreaterThan(0);
    expect(runner.outcomes.filter((o) => o === "done")).toHaveLength(1);
    expect(await audit(runId)).toMatchObject({ status: "incomplete", attempt: 2, digest: "posted" });
    expect(receiver.received).toHaveLength(1);
  }, 120_000);

  it("refuses bad input on every HTTP function, naming the field", async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      call(startAudit, { method: "POST", path: "/api/audits", body, headers });
    const expectError = (response: HttpResponseInit, status: number, field?: string, message?: RegExp) => {
      expect(response.status, JSON.stringify(response.jsonBody)).toBe(status);
      const error = (bodyOf(response).error ?? {}) as Body;
      expect(typeof error.code).toBe("string");
      if (field !== undefined) expect(error.field).toBe(field);
      if (message) expect(error.message).toMatch(message);
    };
    expectError(await post("{not json"), 400, "body", /not valid JSON/);
    expectError(await post('{"notify":"yes"}'), 400, "notify");
    expectError(await post('{"source":"graph"}'), 400, "source");
    expectError(await post('{"subscriptions":["nope"]}'), 400, "subscriptions[0]", /GUID/);
    const many = Array.from({ length: 10_000 }, () => "11111111-1111-4111-8111-111111111111");
    expectError(await post(JSON.stringify({ subscriptions: many })), 413); // 10,000 ids are over 64 KB
    const tooMany = Array.from({ length: 1_001 }, () => "11111111-1111-4111-8111-111111111111");
    expectError(await post(JSON.stringify({ subscriptions: tooMany })), 400, "subscriptions", /at most 1000/);
    expectError(await post('{"subscription":[]}'), 400, "subscription", /subscription/);
    expectError(await post(JSON.stringify({ pad: "x".repeat(1024 * 1024) })), 413);
    expectError(await post("{}", { "content-length": String(2 * 1024 * 1024) }), 413);
    expectError(await post("[]"), 400);
    setEnv({ TEAMS_WEBHOOK_URL: undefined });
    expectError(await post('{"notify":true}'), 400, "notify", /TEAMS_WEBHOOK_URL/);

    const get = (runId: string) =>
      call(getAudit, { method: "GET", path: `/api/audits/${encodeURIComponent(runId)}`, params: { runId } });
    expectError(await get("../../etc/passwd"), 404);
    expectError(await get("20260101T000000Z-abcdef"), 404);

    const list = (query: Record<string, string>) =>
      call(listAudits, { method: "GET", path: "/api/audits", query });
    expectError(await list({ top: "0" }), 400, "top");
    expectError(await list({ top: "abc" }), 400, "top");
    expectError(await list({ continuationToken: "!!!" }), 400, "continuationToken");
    expectError(await list({ sort: "asc" }), 400, "sort", /sort/);

    const findings = (query: Record<string, string>) =>
      call(listFindings, { method: "GET", path: "/api/findings", query });
    expectError(await findings({ severity: "urgent" }), 400, "severity");
    expectError(await findings({ status: "closed" }), 400, "status");
    expectError(await findings({ ruleId: "XYZ001" }), 400, "ruleId");
    expectError(await findings({ subscription: "nope" }), 400, "subscription");
    expectError(await findings({ workspace: "a'b" }), 400, "workspace");
    expectError(await findings({ account: "a'b" }), 400, "account");
    expectError(await findings({ resourceType: "Microsoft.Compute/virtualMachines" }), 400, "resourceType");
    expectError(await findings({ top: "1001" }), 400, "top");
    expectError(await findings({ format: "xml" }), 400, "format");
    expectError(await findings({ continuationToken: "eyJ4IjoxfQ" }), 400, "continuationToken");
    const request2 = request({ method: "GET", path: "/api/findings?top=1&top=2" });
    const duplicate = await listFindings(request2, context("listFindings", log));
    responses.push(duplicate);
    expectError(duplicate, 400, "top");

    expectError(
      await call(getSummary, { method: "GET", path: "/api/summary", query: { runs: "0" } }),
      400,
      "runs",
    );

    for (const response of responses) {
      const text = JSON.stringify(response.jsonBody ?? response.body ?? "");
      expect(text).not.toMatch(/at \w+ \(|\/work\/|node_modules|SECRET-SIG|AccountKey/);
    }
  });

  it("refuses a missing or empty body instead of widening the run to the whole tenant", async () => {
    const chunked = await call(startAudit, {
      method: "POST",
      path: "/api/audits",
      body: JSON.stringify({ subscriptions: ["11111111-1111-4111-8111-111111111111"] }),
      chunked: true,
    });
    expect(chunked.status).toBe(411);
    expect(bodyOf(chunked).error).toMatchObject({ code: "LengthRequired", field: "body" });
    expect((bodyOf(chunked).error as Body).message).toMatch(/Content-Length.*\{\} audits the whole tenant/);
    const empty = await call(startAudit, { method: "POST", path: "/api/audits", body: "" });
    expect(empty.status).toBe(400);
    expect(bodyOf(empty).error).toMatchObject({ code: "InvalidRequest", field: "body" });
    const blank = await call(startAudit, { method: "POST", path: "/api/audits", body: "  \n" });
    expect(blank.status).toBe(400);
    expect(await tableRows("runs")).toHaveLength(0);
    await start({}); // `{}` is how a client asks for the whole tenant
  });

  it("lets a browser on the dashboard's origin read Location, Retry-After, Link and the continuation token", async () => {
    const runId = await start();
    await host().drain();
    const exposed = (response: HttpResponseInit) =>
      (headerOf(response, "Access-Control-Expose-Headers") ?? "").split(/,\s*/).sort();
    const wanted = ["Link", "Location", "Retry-After", "x-continuation-token"];
    const answers = [
      ...responses,
      await call(getAudit, { method: "GET", path: `/api/audits/${runId}`, params: { runId } }),
      await call(listFindings, { method: "GET", path: "/api/findings", query: { top: "1", format: "csv" } }),
      await call(listFindings, { method: "GET", path: "/api/findings", query: { top: "1" } }),
      await call(listAudits, { method: "GET", path: "/api/audits", query: { top: "oops" } }),
      await call(getSummary, { method: "GET", path: "/api/summary" }),
    ];
    for (const response of answers) expect(exposed(response)).toEqual(wanted);
    const csv = answers[answers.length - 4]!;
    expect(headerOf(csv, "x-continuation-token")).toBeTruthy();
    expect(headerOf(csv, "Link")).toMatch(/rel="next"/);
  });

  it("takes page sizes as plain decimal integers only, and every parameter once, as the host passes them", async () => {
    const expect400 = async (response: Promise<HttpResponseInit>, field: string, message: RegExp) => {
      const answer = await response;
      expect(answer.status, JSON.stringify(answer.jsonBody)).toBe(400);
      expect(bodyOf(answer).error).toMatchObject({ field });
      expect((bodyOf(answer).error as Body).message).toMatch(message);
    };
    for (const top of ["1e3", "0x10", " 5 ", "5.0", "+5", "05", "-1", "", "1000000000"]) {
      await expect400(
        call(listAudits, { method: "GET", path: "/api/audits", query: { top } }),
        "top",
        /whole number from 1 to 100/,
      );
      await expect400(
        call(listFindings, { method: "GET", path: "/api/findings", query: { top } }),
        "top",
        /whole number from 1 to 1000/,
      );
      await expect400(
        call(getSummary, { method: "GET", path: "/api/summary", query: { runs: top } }),
        "runs",
        /whole number from 1 to 100/,
      );
    }
    expect(
      (await call(listAudits, { method: "GET", path: "/api/audits", query: { top: "100" } })).status,
    ).toBe(200);
    // The host joins `severity=high&severity=low` into `high,low` before the app sees it.
    await expect400(
      call(listFindings, { method: "GET", path: "/api/findings", query: { severity: ["high", "low"] } }),
      "severity",
      /may be given once/,
    );
    await expect400(
      call(listAudits, { method: "GET", path: "/api/audits?top=1&top=2" }),
      "top",
      /may be given once/,
    );
    await expect400(
      call(getAudit, {
        method: "GET",
        path: "/api/audits/20260101T000000Z-abcdef",
        query: { verbose: "1" },
        params: { runId: "20260101T000000Z-abcdef" },
      }),
      "verbose",
      /verbose/,
    );
  });

  it("a run delivered twice at once runs once, and never shows itself or a finished run as what it waits for", async () => {
    const runId = await start();
    const { queue, runs, storage } = services(process.env, FAST);
    await queue.send({ runId }); // a second copy of the same message
    const seen: (string | undefined)[] = [];
    const watching = (async () => {
      for (let i = 0; i < 200; i += 1) {
        const run = await runs.get(runId);
        seen.push(run?.waitingFor);
        if (run && ["succeeded", "incomplete", "failed"].includes(run.status)) return;
        await sleep(25);
      }
    })();
    const runner = host();
    await runner.drain(90_000);
    await watching;
    expect(runner.outcomes.filter((o) => o === "done")).toHaveLength(1);
    expect(seen.filter((w) => w === runId)).toEqual([]);
    const finished = await audit(runId);
    expect(finished.waitingFor).toBeUndefined();
    expect((await runs.get(runId))?.waitingFor).toBeUndefined();

    // A holder that finished without clearing its name (an older version, or one that died): not named.
    const lock = storage.containerClient.getBlockBlobClient(LOCK_BLOB);
    const lease = lock.getBlobLeaseClient();
    await lease.acquireLease(15);
    await lock.setMetadata({ runid: runId }, { conditions: { leaseId: lease.leaseId } });
    const second = await start();
    const outcome = await processRunMessage(
      { runId: second },
      context("auditWorker", log),
      process.env,
      FAST,
    );
    expect(outcome).toBe("waiting");
    const waiting = await audit(second);
    expect(waiting.status).toBe("queued");
    expect(waiting.waitingFor).toBeUndefined();
    expect(waiting.message).toBe("queued");
    await lease.releaseLease();
  }, 120_000);

  it("refuses a token from another query and pages that go past the end", async () => {
    const runId = await start();
    await host().drain();
    expect((await audit(runId)).status).toBe("incomplete");
    const page = bodyOf(
      await call(listFindings, { method: "GET", path: "/api/findings", query: { top: "2" } }),
    );
    const token = page.continuationToken as string;
    expect(token).toBeTruthy();
    const other = await call(listFindings, {
      method: "GET",
      path: "/api/findings",
      query: { top: "2", severity: "high", continuationToken: token },
    });
    expect(other.status).toBe(400);
    expect((bodyOf(other).error as Body).message).toMatch(/another query|other filters/);
  });

  it("with AUDIT_LOGS_*: a run's findings and its row reach Log Analytics, and a run that fails sends its row too", async () => {
    await withLogsReceiver(async (logs) => {
      const runId = await start();
      await host().drain();
      expect((await audit(runId)).status).toBe("incomplete");
      expect(logs.problems).toEqual([]);
      const [row] = logs.rows[RUNS_TABLE.stream] ?? [];
      expect(row).toMatchObject({ RunId: runId, Trigger: "http", Status: "incomplete", Committed: true });
      expect((row?.UnknownScopes as unknown[]).length).toBeGreaterThan(0);
      const findings = logs.rows[FINDINGS_TABLE.stream] ?? [];
      expect(findings.length).toBeGreaterThan(10);
      expect(findings.every((f) => f.RunId === runId)).toBe(true);

      setEnv({ AUDIT_SOURCE: "graph" });
      const failed = await start();
      await host().drain();
      expect((await audit(failed)).status).toBe("failed");
      const failedRow = (logs.rows[RUNS_TABLE.stream] ?? []).find((r) => r.RunId === failed);
      expect(failedRow).toMatchObject({ Status: "failed", Trigger: "http", Committed: false });
      expect(failedRow?.Error).toMatch(/AUDIT_SOURCE/);
      expect(logs.problems).toEqual([]);
    });
  });

  it("a missing or invalid setting fails the invocation, naming the setting; the run is recorded failed", async () => {
    setEnv({ AUDIT_SOURCE: "graph" });
    const runId = await start();
    const worker = host();
    await worker.drain();
    expect(
      worker.log.some((l) => l.level === "error" && /AUDIT_SOURCE must be one of arg, arm/.test(l.text)),
    ).toBe(true);
    const run = await audit(runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/AUDIT_SOURCE/);

    setEnv({ AUDIT_SOURCE: "arg", AUDIT_POLICY: '{"profile":"paranoid"}' });
    const second = await start();
    await host().drain();
    const secondRun = await audit(second);
    expect(secondRun.status).toBe("failed");
    expect(secondRun.error).toMatch(/AUDIT_POLICY/);

    setEnv({ AUDIT_POLICY: undefined, AUDIT_STORAGE: undefined });
    const response = await call(startAudit, { method: "POST", path: "/api/audits", body: "{}" });
    expect(response.status).toBe(500);
    expect(bodyOf(response).error).toMatchObject({ code: "ConfigurationError", field: "AUDIT_STORAGE" });
  });

  it("never puts a secret in a response, a log line or a table row", async () => {
    const runId = await start({ notify: true });
    const runner = host();
    await runner.drain();
    await audit(runId);
    await call(listFindings, { method: "GET", path: "/api/findings", query: { code: "FUNCTION-KEY-123" } });
    const rows = [...(await tableRows("findings")), ...(await tableRows("runs"))];
    const haystack = JSON.stringify([responses, log, runner.log, rows]);
    for (const secret of ["SECRET-SIG", KEY_FRAGMENT, "emulator-token", "FUNCTION-KEY-123"])
      expect(haystack).not.toContain(secret);
    expect(receiver.received).toHaveLength(1);
  });
});
