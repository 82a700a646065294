/**
 * The storage sinks on a real Azurite: reconcile across runs through the findings table, the run
 * archive, Table limits, and outages that must not lose findings.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { AuditRequest } from "../../src/audit.js";
import { findingId, type Finding } from "../../src/findings/finding.js";
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import { InventorySpool } from "../../src/sinks/inventory-spool.js";
import { publishRun } from "../../src/sinks/publish.js";
import { AuditStorage, TABLE_LIMITS, toEntity } from "../../src/sinks/storage.js";
import { buildDigest } from "../../src/sinks/teams-card.js";
import { TeamsWebhook } from "../../src/sinks/teams-webhook.js";
import { startAzurite, useAzurite, type Azurite } from "../helpers/azurite.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import { startReceiver } from "../helpers/receiver.js";
import { findingRows } from "../helpers/state.js";
import {
  SUB,
  SUB2,
  account,
  privateWorkspace,
  publicWorkspace,
  tenant,
  workspaceId,
} from "../helpers/tenant.js";

const FAST = { maxTries: 2, retryDelayInMs: 20, timeoutMs: 5_000 };

const publicWs = publicWorkspace;
const fixedWs = privateWorkspace;

/** One run as the CLI does it with --storage: reconcile against the table, then publish. */
async function runWithStorage(
  storage: AuditStorage,
  t: TenantFile,
  now: string,
  extra: Partial<AuditRequest> = {},
) {
  const previous = await storage.loadState();
  const inventory = await InventorySpool.open();
  try {
    const { result } = await auditThroughEmulator(
      t,
      "arm",
      {},
      { previous, now: () => new Date(now), onInventory: (r) => inventory.add(r), ...extra },
    );
    const publication = await publishRun(result, { storage, inventory });
    return { result, publication };
  } finally {
    await inventory.discard();
  }
}

const rows = (azurite: Azurite) => findingRows(azurite.connectionString);

const idOf = (rule: string, name: string, sub: string) => findingId(rule, workspaceId(name, "rg", sub));

describe("Azure Storage on Azurite", () => {
  const azurite = useAzurite();

  it("reconciles across runs: new, open, resolved, and a 403 subscription keeps its findings open", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const subs = [SUB, SUB2];
    const both = tenant([publicWs("a", SUB), publicWs("b", SUB), publicWs("c", SUB2)], [], subs);

    const first = await runWithStorage(storage, both, "2026-11-20T02:00:00Z");
    expect(first.result.findings.map((f) => f.status)).toEqual(Array(6).fill("new"));
    expect(first.publication.storageErrors).toEqual([]);
    expect(first.publication.tableWrites).toEqual({ upserted: 6, resolved: 0, transactions: 2, failed: 0 });

    const second = await runWithStorage(storage, both, "2026-11-21T02:00:00Z");
    expect(second.result.findings.map((f) => f.status)).toEqual(Array(6).fill("open"));

    const fixed = tenant([fixedWs("a", SUB), publicWs("b", SUB), publicWs("c", SUB2)], [], subs);
    const third = await runWithStorage(storage, fixed, "2026-11-22T02:00:00Z");
    expect(third.result.resolved.map((f) => f.id).sort()).toEqual(
      [idOf("AMLNI003", "a", SUB), idOf("AMLNI005", "a", SUB)].sort(),
    );
    const afterThird = await rows(azurite());
    expect(afterThird.get(idOf("AMLNI003", "a", SUB))).toMatchObject({
      status: "resolved",
      resolvedAt: "2026-11-22T02:00:00.000Z",
    });
    expect(afterThird.get(idOf("AMLNI003", "b", SUB))).toMatchObject({
      status: "open",
      firstSeen: "2026-11-20T02:00:00.000Z",
    });

    const denied = tenant(fixed.resources, [{ path: `/subscriptions/${SUB2}`, status: 403 }], subs);
    const fourth = await runWithStorage(storage, denied, "2026-11-23T02:00:00Z");
    expect(fourth.result.resolved).toEqual([]);
    const afterFourth = await rows(azurite());
    expect(afterFourth.get(idOf("AMLNI003", "c", SUB2))).toMatchObject({
      status: "open",
      lastSeen: "2026-11-22T02:00:00.000Z",
    });
    expect(afterFourth.get(findingId("AUDIT001", `/subscriptions/${SUB2}`))).toMatchObject({
      status: "open",
    });

    // A finding that comes back after being resolved is new again, with its history kept.
    const fifth = await runWithStorage(storage, both, "2026-11-24T02:00:00Z");
    expect(fifth.result.findings.find((f) => f.id === idOf("AMLNI003", "a", SUB))?.status).toBe("new");
    expect((await rows(azurite())).get(idOf("AMLNI003", "a", SUB))).toMatchObject({
      status: "open",
      firstSeen: "2026-11-20T02:00:00.000Z",
      reopenedCount: 1,
      resolvedAt: "",
    });
  });

  it("archives each run and replaces latest/ only when the run has ended", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const { result } = await runWithStorage(storage, tenant([publicWs("arch", SUB)]), "2026-11-25T03:00:00Z");
    const container = BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(
      "audit",
    );
    const prefix = `runs/2026/11/25/${result.summary.runId}/`;
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name.slice(prefix.length));
    expect(names.sort()).toEqual(["findings.json", "inventory.json.gz", "report.html", "summary.json"]);
    // The run as a page, in the archive and in latest/, served as HTML.
    for (const name of [`${prefix}report.html`, "latest/report.html"]) {
      const page = container.getBlockBlobClient(name);
      expect((await page.getProperties()).contentType).toBe("text/html; charset=utf-8");
      expect((await page.downloadToBuffer()).toString().startsWith("<!doctype html>")).toBe(true);
    }
    const inventory = JSON.parse(
      gunzipSync(
        await container.getBlockBlobClient(`${prefix}inventory.json.gz`).downloadToBuffer(),
      ).toString(),
    ) as { resources: unknown[] };
    expect(inventory.resources).toHaveLength(1);
    const latest = JSON.parse(
      (await container.getBlockBlobClient("latest/summary.json").downloadToBuffer()).toString(),
    ) as {
      runId: string;
    };
    expect(latest.runId).toBe(result.summary.runId);
    const runs = await storage.recentRuns(1);
    expect(runs[0]?.runId).toBe(result.summary.runId);
  });

  it("keeps a runs row readable when a run's storage errors would not fit in it", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const { result } = await runWithStorage(
      storage,
      tenant([publicWs("noisy", SUB)]),
      "2026-11-28T02:00:00Z",
    );
    const storageErrors = Array.from(
      { length: 2_000 },
      (_, i) => `findings table: 100 rows not written (RestError 503 ServerBusy) #${i}`,
    );
    await storage.recordRun(
      { ...result.summary, finishedAt: "2026-11-28T03:00:00Z", storageErrors },
      { committed: true },
    );
    const [latest] = await storage.recentRuns(1);
    expect(latest?.storageErrors).toHaveLength(21);
    expect(latest?.storageErrors?.at(-1)).toBe("…and 1980 more in the run archive's summary.json");
  });

  it("keeps a Foundry finding's account through the table, so a run that cannot read the accounts shows it whole", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const estate = tenant([
      account({ publicNetworkAccess: "Enabled" }, "aif-open"),
      privateWorkspace("ws", SUB),
    ]);
    const first = await runWithStorage(storage, estate, "2026-12-01T02:00:00Z");
    const open = first.result.findings.filter((f) => f.ruleId.startsWith("AIF"));
    expect(open.map((f) => f.ruleId).sort()).toEqual(["AIFNI001", "AIFNI003"]);
    expect((await rows(azurite())).get(open[0]?.id ?? "")?.account).toBe("aif-open");
    // The next run's role reads ML but not Cognitive Services: what it keeps comes back from the table.
    const mlOnly: TenantFile = {
      ...estate,
      access: [
        {
          scope: `/subscriptions/${SUB}`,
          actions: [
            "Microsoft.MachineLearningServices/*/read",
            "Microsoft.Resources/*/read",
            "Microsoft.Authorization/*/read",
          ],
        },
      ],
    };
    const second = await runWithStorage(storage, mlOnly, "2026-12-02T02:00:00Z");
    const kept = second.result.findings.filter((f) => f.ruleId.startsWith("AIF"));
    expect(kept.map((f) => `${f.ruleId} ${f.account} ${f.stale}`).sort()).toEqual([
      "AIFNI001 aif-open true",
      "AIFNI003 aif-open true",
    ]);
    expect(second.result.resolved).toEqual([]);
  });

  it("keeps rows within Table limits and writes large partitions in batches of 100", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const base = (await runWithStorage(storage, tenant([publicWs("limits", SUB)]), "2026-11-26T02:00:00Z"))
      .result.findings[0] as Finding;
    const huge: Finding = {
      ...base,
      id: "huge",
      evidence: { blob: "x".repeat(100_000) },
      message: "m".repeat(40_000),
    };
    const entity = toEntity(huge, { status: "open" });
    for (const value of Object.values(entity)) {
      if (typeof value === "string") expect(value.length).toBeLessThanOrEqual(TABLE_LIMITS.stringChars);
    }
    const many = Array.from({ length: 250 }, (_, i) => ({ ...base, id: `bulk-${i}` }));
    const written = await storage.writeState([huge, ...many], [], "2026-11-26T02:00:00Z", base.runId);
    expect(written).toEqual({ upserted: 251, resolved: 0, transactions: 3, failed: 0, errors: [] });
    expect((await rows(azurite())).get("huge")?.message).toMatch(/…\[truncated\]$/);
  });

  it("keeps each transaction within 4 MiB, however large the rows", async () => {
    const storage = new AuditStorage(azurite().connectionString, FAST);
    const base = (await runWithStorage(storage, tenant([publicWs("payload", SUB)]), "2026-11-27T02:00:00Z"))
      .result.findings[0] as Finding;
    // 100 rows of about 64 KB each (the fields are cut to 32K characters): as one transaction, 6.5 MiB.
    const large = Array.from({ length: 100 }, (_, i) => ({
      ...base,
      id: `large-${i}`,
      evidence: { blob: "e".repeat(40_000) },
      message: "m".repeat(40_000),
    }));
    const written = await storage.writeState(large, [], "2026-11-27T02:00:00Z", base.runId);
    expect(written).toMatchObject({ upserted: 100, failed: 0, errors: [] });
    expect(written.transactions).toBe(2);
    const stored = await rows(azurite());
    expect(large.every((f) => stored.get(f.id)?.status === "open")).toBe(true);
  });
});

describe("a storage outage", () => {
  it("loses no finding: the run reports incomplete, and the next run completes the state", async () => {
    const location = mkdtempSync(join(tmpdir(), "azurite-"));
    let azurite = await startAzurite({ location });
    const ports = azurite.ports;
    try {
      const storage = new AuditStorage(azurite.connectionString, FAST);
      await runWithStorage(storage, tenant([publicWs("a", SUB)]), "2026-11-20T02:00:00Z");

      // Azurite goes away after the state was read and before anything is written.
      const previous = await storage.loadState();
      await azurite.stop();
      const t = tenant([fixedWs("a", SUB), publicWs("b", SUB)]);
      const { result } = await auditThroughEmulator(
        t,
        "arm",
        {},
        { previous, now: () => new Date("2026-11-21T02:00:00Z") },
      );
      const failed = await publishRun(result, { storage });
      expect(failed.summary.complete).toBe(false);
      expect(failed.storageErrors.length).toBeGreaterThan(0);
      expect(failed.summary.storageErrors?.join(" ")).toMatch(/findings table/);
      // The findings are all still there for the local folder and the caller.
      expect(result.findings.map((f) => f.workspace)).toEqual(["b", "b"]);

      azurite = await startAzurite({ location, ports });
      const next = await runWithStorage(storage, t, "2026-11-22T02:00:00Z");
      expect(next.publication.storageErrors).toEqual([]);
      expect(next.result.resolved.map((f) => f.workspace)).toEqual(["a", "a"]);
      const state = await rows(azurite);
      expect(state.get(idOf("AMLNI003", "a", SUB))?.status).toBe("resolved");
      expect(state.get(idOf("AMLNI003", "b", SUB))?.status).toBe("open");
    } finally {
      await azurite.stop();
    }
  });
});

describe("a digest Teams does not accept", () => {
  it("is kept in blob storage and sent first by the next run", async () => {
    const azurite = await startAzurite();
    const failing = await startReceiver([{ status: 500 }]);
    const working = await startReceiver([{ status: 202 }]);
    try {
      const storage = new AuditStorage(azurite.connectionString, FAST);
      const webhookOptions = {
        allowLoopbackHttp: true,
        retryDelayInMs: 10,
        maxRetryDelayInMs: 20,
        maxRetries: 1,
      };
      const t = tenant([publicWs("teams", SUB)]);
      const { result } = await auditThroughEmulator(t, "arm", {}, { previous: await storage.loadState() });
      const first = await publishRun(result, {
        storage,
        notify: {
          webhook: new TeamsWebhook(failing.url, webhookOptions),
          mode: "changes",
          pending: storage.pendingDigests(),
        },
      });
      expect(first.delivery).toMatchObject({ delivered: 0, kept: 1 });
      expect((await storage.pendingDigests().load()).digests).toHaveLength(1);

      const again = await auditThroughEmulator(t, "arm", {}, { previous: await storage.loadState() });
      const second = await publishRun(again.result, {
        storage,
        notify: {
          webhook: new TeamsWebhook(working.url, webhookOptions),
          mode: "always",
          pending: storage.pendingDigests(),
        },
      });
      expect(second.delivery).toEqual({ delivered: 2, kept: 0 });
      const sent = working.received.map((r) => r.body);
      expect(sent[0]).toBe(
        JSON.stringify(buildDigest({ summary: first.summary, findings: result.findings })),
      );
      expect(await storage.pendingDigests().load()).toEqual({ digests: [] });
    } finally {
      await Promise.all([failing.close(), working.close(), azurite.stop()]);
    }
  });

  it("is withheld when storage went down during the run: a short card says so, and no change list is posted", async () => {
    const azurite = await startAzurite();
    const receiver = await startReceiver([{ status: 202 }]);
    try {
      const storage = new AuditStorage(azurite.connectionString, FAST);
      const { result } = await auditThroughEmulator(
        tenant([publicWs("down", SUB)]),
        "arm",
        {},
        {
          previous: await storage.loadState(),
        },
      );
      await azurite.stop();
      const published = await publishRun(result, {
        storage,
        notify: {
          webhook: new TeamsWebhook(receiver.url, {
            allowLoopbackHttp: true,
            retryDelayInMs: 10,
            maxRetries: 1,
          }),
          mode: "changes",
          pending: storage.pendingDigests(),
        },
      });
      expect(storage.unavailable).toBeDefined();
      expect(published.digest).toBe("withheld");
      expect(published.committed).toBeUndefined();
      expect(receiver.received).toHaveLength(1);
      const card = receiver.received[0]?.body ?? "";
      expect(card).toMatch(
        /Run incomplete: its results could not be saved to Azure Storage\. Its changes will be reported by the next run\./,
      );
      expect(card).not.toMatch(/New findings/);
      expect(published.storageErrors.at(-1)).toMatch(/not attempted \(Azure Storage is unavailable\)/);
    } finally {
      await Promise.all([receiver.close(), azurite.stop()]);
    }
  });
});
