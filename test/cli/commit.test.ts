/**
 * A run commits whole or not at all (DESIGN §6): the CLI, with --storage on a real Azurite and --notify to a
 * local receiver, is killed (SIGKILL) at each step of its publication, and the next run must report exactly
 * the changes the killed one would have, and announce them — once, or twice when the killed run had already
 * posted its digest, never zero times.
 *
 * Tenant T is published first; T′ then resolves 120 findings and adds 120 (two subscriptions, 180 rows each:
 * two table transactions each). Proxies in front of Azurite's table and blob ports, and the receiver, see
 * each step go by and kill the run there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Summary } from "../../src/findings/summary.js";
import type { ArmResource } from "../../src/model/snapshot.js";
import { queryFindings } from "../../src/sinks/feed.js";
import { StateLock } from "../../src/sinks/state-lock.js";
import { AuditStorage } from "../../src/sinks/storage.js";
import { LOOPBACK_SETTING } from "../../src/sinks/teams-webhook.js";
import { startAzurite, type Azurite } from "../helpers/azurite.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { startReceiver } from "../helpers/receiver.js";
import { findingRows } from "../helpers/state.js";
import { SUB, SUB2, privateWorkspace, publicWorkspace, tenant } from "../helpers/tenant.js";

const CLI = join(__dirname, "../../dist/src/cli/main.js");

const open = publicWorkspace;
const closed = privateWorkspace;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** T: 60 open workspaces in each subscription, two findings each. */
const before = tenant(
  [SUB, SUB2].flatMap((sub) => range(60).map((i) => open(`p${i}`, sub))),
  [],
  [SUB, SUB2],
);
/** T′: half of them closed (120 findings resolved), 30 new open ones in each (120 new findings). */
const after = tenant(
  [SUB, SUB2].flatMap((sub): ArmResource[] => [
    ...range(30).map((i) => open(`p${i}`, sub)),
    ...range(30).map((i) => closed(`p${30 + i}`, sub)),
    ...range(30).map((i) => open(`q${i}`, sub)),
  ]),
  [],
  [SUB, SUB2],
);

type Step = "after-first-batch" | "after-last-batch" | "after-archive" | "after-post" | "before-runs-row";

interface World {
  dir: string;
  azurite: Azurite;
  table: FaultProxy;
  blob: FaultProxy;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** Kills the running CLI when this step goes by. */
  killAt?: Step;
  child?: ChildProcess;
  batches: number;
  killed?: Step;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    w.child?.kill("SIGKILL");
    await Promise.all([w.table.close(), w.blob.close(), w.receiver.close(), w.azurite.stop()]);
  }
});

async function world(): Promise<World> {
  const azurite = await startAzurite();
  const w = { dir: mkdtempSync(join(tmpdir(), "commit-")), azurite, batches: 0 } as World;
  const kill = (step: Step) => {
    if (w.killAt !== step || !w.child) return false;
    w.child.kill("SIGKILL");
    w.killed = step;
    w.killAt = undefined;
    return true;
  };
  const isWrite = (req: IncomingMessage) => req.method !== "GET" && req.method !== "HEAD";
  w.table = await startFaultProxy(azurite.ports.table, (req) => {
    const url = req.url ?? "";
    if (url.includes("$batch")) {
      w.batches += 1;
      if (w.batches === 2 && kill("after-first-batch")) return "hold";
    }
    if (/\/runs\(/.test(url) && isWrite(req) && kill("before-runs-row")) return "hold";
    return undefined;
  });
  w.blob = await startFaultProxy(azurite.ports.blob, (req) => {
    const url = req.url ?? "";
    if (url.includes("/audit/runs/") && isWrite(req) && kill("after-last-batch")) return "hold";
    if (url.includes("/audit/teams/pending-digests.json") && kill("after-archive")) return "hold";
    return undefined;
  });
  w.receiver = await startReceiver([{ status: 202 }], {
    onReceive: () => setImmediate(() => kill("after-post")),
  });
  worlds.push(w);
  return w;
}

function storageOf(w: World): string {
  return w.azurite.connectionString
    .replace(
      `BlobEndpoint=http://127.0.0.1:${w.azurite.ports.blob}/`,
      `BlobEndpoint=http://127.0.0.1:${w.blob.port}/`,
    )
    .replace(
      `TableEndpoint=http://127.0.0.1:${w.azurite.ports.table}/`,
      `TableEndpoint=http://127.0.0.1:${w.table.port}/`,
    );
}

let runs = 0;
function run(
  w: World,
  tenantFile: object,
  extra: string[] = [],
): Promise<{ code: number | null; signal: string | null; summary?: Summary; stderr: string }> {
  runs += 1;
  const file = join(w.dir, `tenant-${runs}.json`);
  writeFileSync(file, JSON.stringify(tenantFile));
  const out = join(w.dir, `out-${runs}`);
  w.batches = 0;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, "--tenant", file, "--storage", storageOf(w), "--notify", "--out", out, ...extra],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, TEAMS_WEBHOOK_URL: w.receiver.url, [LOOPBACK_SETTING]: "true" },
      },
    );
    w.child = child;
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      w.child = undefined;
      let summary: Summary | undefined;
      try {
        summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary;
      } catch {
        summary = undefined; // a killed run leaves --out as it was
      }
      // A run refused the lock leaves no summary, and says why.
      if (code !== 0 && code !== 3 && signal === null && !summary) reject(new Error(stderr));
      resolve({ code, signal, stderr, ...(summary ? { summary } : {}) });
    });
  });
}

/** Cards that announce T′'s changes: 120 new and 120 resolved. */
const announcing = (w: World) =>
  w.receiver.received.filter(
    (r) => /New findings \(120\)/.test(r.body) && /120 findings resolved/.test(r.body),
  );

describe("a run killed during its publication", () => {
  it.each<[Step, number]>([
    ["after-first-batch", 1],
    ["after-last-batch", 1],
    ["after-archive", 1],
    ["after-post", 2],
    ["before-runs-row", 2],
  ])(
    "killed %s: the next run reports the same 120 new and 120 resolved, announced %i time(s) in all",
    async (step, announcements) => {
      const w = await world();
      const first = await run(w, before);
      expect(first.code).toBe(0);
      expect(first.summary?.new).toBe(240);
      const committedRows = await findingRows(w.azurite.connectionString);
      expect([...committedRows.values()].filter((r) => r.status === "open")).toHaveLength(240);

      w.killAt = step;
      const killed = await run(w, after);
      expect(killed.signal).toBe("SIGKILL");
      expect(w.killed).toBe(step);
      // What the killed run wrote is not the state: readers see T's findings as they were.
      const rows = await findingRows(w.azurite.connectionString);
      expect([...rows.values()].filter((r) => r.status === "open")).toHaveLength(240);
      expect([...rows.values()].filter((r) => r.status === "resolved")).toHaveLength(0);
      // The dashboard feed reads the same: what the killed run wrote is not shown.
      const storage = new AuditStorage(w.azurite.connectionString);
      const feed = (status: "open" | "resolved") =>
        queryFindings(storage.findingsTable, { status, top: 1000 }, storage.ledger());
      expect((await feed("open")).findings).toHaveLength(240);
      expect((await feed("resolved")).findings).toHaveLength(0);

      const next = await run(w, after);
      expect(next.code).toBe(0);
      expect(next.summary).toMatchObject({ new: 120, resolved: 120, complete: true });
      expect(announcing(w)).toHaveLength(announcements);

      // And the state is T′'s now: a further run finds nothing new and posts nothing.
      const quiet = await run(w, after);
      expect(quiet.summary).toMatchObject({ new: 0, resolved: 0 });
      expect(announcing(w)).toHaveLength(announcements);
      const final = [...(await findingRows(w.azurite.connectionString)).values()];
      expect(final.filter((r) => r.status === "open")).toHaveLength(240);
      expect(final.filter((r) => r.status === "resolved")).toHaveLength(120);
    },
    120_000,
  );
});

describe("the state lock", () => {
  it("two CLI runs at once on the same storage: one commits and announces T′, the other waits and finds nothing new", async () => {
    const w = await world();
    expect((await run(w, before)).summary?.new).toBe(240);

    const [a, b] = await Promise.all([run(w, after), run(w, after)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const summaries = [a.summary, b.summary].sort((x, y) => (y?.new ?? 0) - (x?.new ?? 0));
    expect(summaries[0]).toMatchObject({ new: 120, resolved: 120, complete: true });
    expect(summaries[1]).toMatchObject({ new: 0, resolved: 0, complete: true });
    // The one that waited said so, and the changes were announced once. The holder is named when the lock blob
    // names it: a look between the other run's lease and its writing its name finds the lock held, unnamed.
    expect(`${a.stderr}${b.stderr}`).toMatch(
      /waiting: the state lock on Azure Storage is held by another run( \(run \S+\))?; looking again/,
    );
    expect(announcing(w)).toHaveLength(1);

    // The state is T′'s, as one run left it: a further run finds nothing to announce.
    const quiet = await run(w, after);
    expect(quiet.summary).toMatchObject({ new: 0, resolved: 0 });
    expect(announcing(w)).toHaveLength(1);
    const final = [...(await findingRows(w.azurite.connectionString)).values()];
    expect(final.filter((r) => r.status === "open")).toHaveLength(240);
    expect(final.filter((r) => r.status === "resolved")).toHaveLength(120);
  }, 120_000);

  it("a run that finds the lock held, told not to wait, reads and writes nothing and exits 3", async () => {
    const w = await world();
    expect((await run(w, before)).summary?.new).toBe(240);
    // Another writer (the Function App's worker, say) holds the lock.
    const storage = new AuditStorage(w.azurite.connectionString);
    const taken = await new StateLock(storage.containerClient, { durationSeconds: 15 }).tryAcquire(
      "20261205T020000Z-abcdef",
    );
    if (!taken.acquired) throw new Error("the test could not take the lock");
    try {
      const refused = await run(w, after, ["--lock-wait", "0"]);
      expect(refused.code).toBe(3);
      expect(refused.summary).toBeUndefined();
      expect(refused.stderr).toMatch(
        /error: the state lock on Azure Storage \(audit\/locks\/state\) is held by another run \(run 20261205T020000Z-abcdef\); nothing was read or written/,
      );
      const rows = [...(await findingRows(w.azurite.connectionString)).values()];
      expect(rows.filter((r) => r.status === "open")).toHaveLength(240);
      expect(announcing(w)).toHaveLength(0);
    } finally {
      await taken.lock.release();
    }
    // Released: the same run now goes through.
    const next = await run(w, after, ["--lock-wait", "0"]);
    expect(next.summary).toMatchObject({ new: 120, resolved: 120 });
  }, 120_000);
});
