/**
 * The CLI's output folder: findings.json, summary.json, report.html (the run as a page), history.json (the
 * recent runs' counts, the report's trend) and state.json, which the next run in the same folder reconciles
 * against. Files are written to temporary names and renamed once all are written, so a failed run leaves the
 * folder as it was.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Finding } from "../findings/finding.js";
import { prettyJsonStream } from "./json-stream.js";
import { formatIssues } from "../common/validation.js";
import type { Summary } from "../findings/summary.js";
import { REPORT_FILE, reportStream, TREND_RUNS, trendPoint, type TrendPoint } from "../report/page.js";
import { parsePendingDigests, type PendingDigests } from "./teams-webhook.js";
import { decodeBatch, encodeBatch, type PendingBatch, type PendingRows } from "./log-analytics/ingest.js";

export const STATE_FILE = "state.json";
const HISTORY_FILE = "history.json";
export const PENDING_DIGESTS_FILE = "pending-digests.json";

export interface LocalState {
  version: 1;
  runId: string;
  updatedAt: string;
  /** Open and exempted findings, including those of subscriptions the last run did not audit. */
  findings: Finding[];
}

/** What reconcile relies on in each earlier finding; the rest is carried as it was written. */
const stateSchema = z.object({
  version: z.literal(1, { error: "must be 1 (a state file of this version)" }),
  findings: z.array(
    z.looseObject({
      id: z.string().min(1),
      ruleId: z.string().min(1),
      resourceId: z.string().min(1),
      subscriptionId: z.string(),
      status: z.enum(["new", "open", "exempted"]),
      firstSeen: z.string(),
      lastSeen: z.string(),
    }),
  ),
});

export class StateError extends Error {
  override name = "StateError";
}

export async function readState(dir: string): Promise<Finding[]> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new StateError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(formatIssues(parsed.error));
    return parsed.data.findings as unknown as Finding[];
  } catch (error) {
    throw new StateError(
      `${path} is not a valid audit state (${(error as Error).message}); move it away to start a fresh history`,
    );
  }
}

export interface RunOutput {
  findings: Finding[];
  summary: Summary;
  state: Finding[];
}

/**
 * A run's output in the folder, in two steps, so that the folder can be the commit of a run without storage:
 * `prepare` writes findings.json and state.json to temporary names (what can fail for a full disk, say);
 * `commit` writes summary.json (the summary as published) and renames the three into place, the state last. A
 * run whose `prepare` failed changes nothing: the next run reconciles against the old state.
 */
export class LocalRun {
  private readonly files = ["findings.json", "summary.json", REPORT_FILE, HISTORY_FILE, STATE_FILE] as const;
  private prepared: readonly Finding[] | undefined;

  constructor(
    readonly dir: string,
    private readonly runId: string,
  ) {}

  private temporary(name: string): string {
    return join(this.dir, `.${name}.${this.runId}.tmp`);
  }

  async prepare(
    output: Omit<RunOutput, "summary"> & { summary: Pick<Summary, "runId" | "finishedAt"> },
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const state = { version: 1, runId: output.summary.runId, updatedAt: output.summary.finishedAt };
    try {
      // One after another, a finding at a time: a run's findings never become one string (hundreds of MB for
      // a large tenant), and each file's text is garbage as soon as it is written.
      await pipeline(prettyJsonStream(output.findings), createWriteStream(this.temporary("findings.json")));
      await pipeline(
        prettyJsonStream(output.state, { head: state, key: "findings" }),
        createWriteStream(this.temporary(STATE_FILE)),
      );
      this.prepared = output.findings;
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  async commit(summary: Summary): Promise<string[]> {
    const findings = this.prepared;
    if (!findings) throw new Error("the run's output was not prepared");
    try {
      await writeFile(this.temporary("summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
      const trend = [...(await this.history()), trendPoint(summary)].slice(-TREND_RUNS);
      await writeFile(this.temporary(HISTORY_FILE), `${JSON.stringify({ version: 1, runs: trend })}\n`);
      await pipeline(
        reportStream({ summary, findings, trend }),
        createWriteStream(this.temporary(REPORT_FILE)),
      );
    } catch (error) {
      await this.discard();
      throw error;
    }
    // The state is renamed last: if anything before it fails, the next run still reconciles against the old one.
    for (const name of this.files) await rename(this.temporary(name), join(this.dir, name));
    return this.files.map((name) => join(this.dir, name));
  }

  /** The earlier runs' counts; a history that cannot be read only shortens the trend. */
  private async history(): Promise<TrendPoint[]> {
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, HISTORY_FILE), "utf8")) as { runs?: unknown };
      if (!Array.isArray(parsed.runs)) return [];
      return (parsed.runs as Partial<TrendPoint>[]).filter(
        (run): run is TrendPoint => typeof run?.runId === "string" && typeof run.bySeverity === "object",
      );
    } catch {
      return [];
    }
  }

  /** Best effort: a temporary file that cannot be removed must not hide why the run failed. */
  async discard(): Promise<void> {
    await Promise.all(
      this.files.map((name) => rm(this.temporary(name), { force: true }).catch(() => undefined)),
    );
  }
}

export async function writeRun(dir: string, output: RunOutput): Promise<string[]> {
  const run = new LocalRun(dir, output.summary.runId);
  await run.prepare(output);
  return run.commit(output.summary);
}

/** Digests Teams did not accept, kept in the folder for the next run (when there is no storage). */
export function localPendingDigests(dir: string): PendingDigests {
  const path = join(dir, PENDING_DIGESTS_FILE);
  return {
    load: async () => {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return { digests: [] };
        throw error;
      }
      const digests = parsePendingDigests(text);
      if (digests) return { digests };
      // Unreadable: kept aside for a person to look at, and this run's digest still goes out.
      const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "")}`;
      await rename(path, aside);
      return { digests: [], setAside: aside };
    },
    save: async (digests) => {
      if (digests.length === 0) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dir, { recursive: true });
      await writeFile(`${path}.tmp`, JSON.stringify(digests));
      await rename(`${path}.tmp`, path);
    },
  };
}

const PENDING_LOGS_DIR = "logs-pending";

/** Log Analytics rows not yet taken, kept in the folder when there is no storage: a file per run. */
export function localPendingRows(dir: string): PendingRows {
  const folder = join(dir, PENDING_LOGS_DIR);
  const fileOf = (runId: string) => join(folder, `${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.json.gz`);
  return {
    load: async () => {
      let names: string[];
      try {
        names = (await readdir(folder)).filter((n) => n.endsWith(".json.gz")).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const batches: PendingBatch[] = [];
      for (const name of names) {
        const batch = decodeBatch(await readFile(join(folder, name)));
        // Unreadable: set aside for a person to look at; the others still go.
        if (batch) batches.push(batch);
        else await rename(join(folder, name), join(folder, `${name}.corrupt`));
      }
      return batches;
    },
    save: async (batch) => {
      const path = fileOf(batch.runId);
      if (Object.values(batch.streams).every((rows) => rows.length === 0)) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(folder, { recursive: true });
      await writeFile(`${path}.tmp`, encodeBatch(batch));
      await rename(`${path}.tmp`, path);
    },
  };
}
