/**
 * The `runs` table: one row per run, from the moment it is requested to its summary. The Functions app
 * records a run `queued`, the worker claims it with an ETag update (so a message delivered twice runs it
 * once), writes its progress while it reads the tenant, and records how it ended. The CLI records its runs
 * in the same table when it has storage, so the dashboard sees every run.
 */
import { isRestError } from "@azure/core-rest-pipeline";
import type { TableClient, TableEntityResult } from "@azure/data-tables";
import type { Progress } from "../inventory/index.js";
import type { Summary } from "../findings/summary.js";

export const RUN_STATUSES = ["queued", "running", "succeeded", "incomplete", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED: readonly RunStatus[] = ["succeeded", "incomplete", "failed"];

export type RunTrigger = "schedule" | "http" | "cli";

/** What a requester may narrow for one run; the rest comes from the app's settings. */
export interface RunRequest {
  subscriptions?: string[];
  managementGroups?: string[];
  excludeSubscriptions?: string[];
  notify?: boolean;
  source?: "arg" | "arm";
}

/** The digest of a run: posted once; `posted` survives a crash of the worker that posted it. */
/**
 * What became of a run's digest: `withheld` when the run could not commit (it announces no change; the next
 * run that commits does).
 */
export type DigestState = "none" | "posted" | "kept" | "not-needed" | "withheld";

export interface RunRecord {
  runId: string;
  status: RunStatus;
  trigger: RunTrigger;
  requestedAt: string;
  request: RunRequest;
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  progress?: Progress;
  progressAt?: string;
  /** The run holding the state lock while this one waits. */
  waitingFor?: string;
  /**
   * The run's changes to the `findings` table are the state (its last write). Undefined on rows written
   * before commits were recorded, whose finished runs count as committed.
   */
  committed?: boolean;
  digest: DigestState;
  error?: string;
  complete?: boolean;
  new?: number;
  resolved?: number;
  summary?: Omit<Summary, "resolvedFindings">;
  /** The table's ETag, for a conditional update. */
  etag: string;
}

/** `20261123T020000Z-1a2b3c`: the time the run was requested, then a random part. */
export const RUN_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{6}$/;

/** Table storage limits on one string property (UTF-16 code units). */
const STRING_LIMIT = 32_000;

/** Storage errors a `runs` row keeps when the whole list would not fit in one property. */
const ROW_ERRORS = 20;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

/** RowKey of a run: newest first, derived from the run id alone so that a run can be read by its id. */
export function runRowKey(runId: string): string {
  const m = RUN_ID.exec(runId);
  if (!m) throw new Error(`not a run id: ${runId}`);
  const at = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return `${String(8_640_000_000_000_000 - at).padStart(16, "0")}_${runId}`;
}

function fit(text: string): string {
  const marker = "…[truncated]";
  return text.length <= STRING_LIMIT ? text : text.slice(0, STRING_LIMIT - marker.length) + marker;
}

/** A summary as one row property: the one list that grows with the tenant is cut, never the JSON. */
export function summaryText(summary: Summary): string {
  const { resolvedFindings: _resolved, ...rest } = summary;
  let text = JSON.stringify(rest);
  const errors = rest.storageErrors ?? [];
  if (text.length > STRING_LIMIT && errors.length > ROW_ERRORS) {
    const kept = errors.slice(0, ROW_ERRORS);
    text = JSON.stringify({
      ...rest,
      storageErrors: [...kept, `…and ${errors.length - kept.length} more in the run archive's summary.json`],
    });
  }
  return fit(text);
}

function parseJson<T>(text: unknown): T | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

type RunRow = TableEntityResult<Record<string, unknown>>;

export function recordOf(row: RunRow): RunRecord {
  const text = (key: string) => (typeof row[key] === "string" && row[key] !== "" ? row[key] : undefined);
  const status = text("status");
  const summary = parseJson<RunRecord["summary"]>(row.summary);
  const record: RunRecord = {
    runId: text("runId") ?? "",
    // Rows written before runs had a status are finished runs with a summary.
    status: RUN_STATUSES.includes(status as RunStatus)
      ? (status as RunStatus)
      : summary?.complete === false
        ? "incomplete"
        : "succeeded",
    trigger: (text("trigger") as RunTrigger | undefined) ?? "cli",
    requestedAt: text("requestedAt") ?? summary?.startedAt ?? "",
    request: parseJson<RunRequest>(row.request) ?? {},
    attempt: typeof row.attempt === "number" ? row.attempt : Number(row.attempt ?? 0) || 0,
    digest: (text("digest") as DigestState | undefined) ?? "none",
    etag: row.etag,
  };
  const optional = {
    startedAt: text("startedAt"),
    finishedAt: text("finishedAt"),
    progress: parseJson<Progress>(row.progress),
    progressAt: text("progressAt"),
    waitingFor: text("waitingFor"),
    error: text("error"),
    complete: typeof row.complete === "boolean" ? row.complete : undefined,
    committed: typeof row.committed === "boolean" ? row.committed : undefined,
    new: typeof row.new === "number" ? row.new : undefined,
    resolved: typeof row.resolved === "number" ? row.resolved : undefined,
    summary,
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (record as unknown as Record<string, unknown>)[key] = value;
  return record;
}

export interface RunPage {
  runs: RunRecord[];
  continuationToken?: string;
}

export class RunStore {
  constructor(private readonly table: TableClient) {}

  async get(runId: string): Promise<RunRecord | undefined> {
    try {
      return recordOf(await this.table.getEntity<Record<string, unknown>>("run", runRowKey(runId)));
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** A run requested now: the worker finds it `queued`. */
  async enqueue(runId: string, trigger: RunTrigger, request: RunRequest, at: Date): Promise<void> {
    await this.table.createEntity({
      partitionKey: "run",
      rowKey: runRowKey(runId),
      runId,
      status: "queued",
      trigger,
      requestedAt: at.toISOString(),
      request: JSON.stringify(request),
      attempt: 0,
      digest: "none",
    });
  }

  /**
   * Takes the run for this worker: only if it is not finished and nobody updated the row since it was
   * read. Returns the claimed record, or undefined when another worker got there first or it is done.
   */
  async claim(record: RunRecord, at: Date): Promise<RunRecord | undefined> {
    if (FINISHED.includes(record.status)) return undefined;
    const update = {
      partitionKey: "run",
      rowKey: runRowKey(record.runId),
      status: "running",
      attempt: record.attempt + 1,
      startedAt: at.toISOString(),
      waitingFor: "",
      progress: "",
      progressAt: "",
    };
    try {
      await this.table.updateEntity(update, "Merge", { etag: record.etag });
    } catch (error) {
      if (isRestError(error) && error.statusCode === 412) return undefined;
      throw error;
    }
    return this.get(record.runId);
  }

  /**
   * Which run a queued run waits for (none: the holder is not known), written only while the row is as it was
   * read: a run claimed or finished meanwhile waits for nothing.
   */
  async setWaitingFor(record: RunRecord, holder: string | undefined): Promise<void> {
    if (record.status !== "queued" || (record.waitingFor ?? "") === (holder ?? "")) return;
    try {
      await this.table.updateEntity(
        { partitionKey: "run", rowKey: runRowKey(record.runId), waitingFor: holder ?? "" },
        "Merge",
        { etag: record.etag },
      );
    } catch (error) {
      if (isRestError(error) && error.statusCode === 412) return;
      throw error;
    }
  }

  async update(runId: string, fields: Record<string, string | number | boolean>): Promise<void> {
    await this.table.updateEntity({ partitionKey: "run", rowKey: runRowKey(runId), ...fields }, "Merge");
  }

  async progress(runId: string, progress: Progress, at: Date): Promise<void> {
    await this.update(runId, { progress: JSON.stringify(progress), progressAt: at.toISOString() });
  }

  /** Whether this run's changes to the `findings` table are the state: its row says it committed. */
  async isCommitted(runId: string): Promise<boolean> {
    const run = await this.get(runId);
    if (!run) return false;
    if (run.committed !== undefined) return run.committed;
    return run.status === "succeeded" || run.status === "incomplete";
  }

  /**
   * How a run ended, with its summary; creates the row for a run nobody queued (the CLI's). With
   * `committed`, this write is the run's commit: its changes to the `findings` table become the state.
   */
  async finish(summary: Summary, extra: { digest?: DigestState; committed: boolean }): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: "run",
        rowKey: runRowKey(summary.runId),
        runId: summary.runId,
        status: summary.complete ? "succeeded" : "incomplete",
        startedAt: summary.startedAt,
        finishedAt: summary.finishedAt,
        complete: summary.complete,
        new: summary.new,
        resolved: summary.resolved,
        summary: summaryText(summary),
        error: "",
        waitingFor: "",
        committed: extra.committed,
        ...(extra.digest ? { digest: extra.digest } : {}),
      },
      "Merge",
    );
  }

  /** A run that cannot go on: its reason, kept to what a row can hold. */
  async fail(runId: string, reason: string, at: Date): Promise<void> {
    await this.update(runId, {
      status: "failed",
      error: fit(reason),
      finishedAt: at.toISOString(),
      waitingFor: "",
    });
  }

  /** The newest runs first, a page at a time; `continuationToken` is the table's own. */
  async page(top: number, continuationToken?: string): Promise<RunPage> {
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'run'" } })
      .byPage({ maxPageSize: top, ...(continuationToken ? { continuationToken } : {}) });
    try {
      for await (const page of pages) {
        return {
          runs: page.map(recordOf),
          ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
        };
      }
    } catch (error) {
      // No run was ever recorded: the table does not exist yet.
      if (isRestError(error) && error.statusCode === 404) return { runs: [] };
      throw error;
    }
    return { runs: [] };
  }

  /** The newest finished runs that have a summary, newest first (at most `count`). */
  async recentSummaries(count: number): Promise<RunRecord[]> {
    const found: RunRecord[] = [];
    let token: string | undefined;
    // Bounded: a table of nothing but failed or queued runs must not be read whole for a summary.
    for (let pages = 0; pages < 10 && found.length < count; pages += 1) {
      const page = await this.page(100, token);
      // A run that did not commit changed nothing anyone reads: its summary is not the trend's.
      for (const run of page.runs)
        if (run.summary && run.committed !== false && found.length < count) found.push(run);
      token = page.continuationToken;
      if (!token) break;
    }
    return found;
  }
}
