/**
 * The Logs Ingestion API sink: a run's rows go to the data collection rule's streams through
 * `LogsIngestionClient` (its 1 MB chunks, its gzip, its retries on 429 and 5xx). Rows it could not send are
 * kept, one batch per run, and sent first by the next run: nothing is lost to an outage. Bounded like the
 * storage sink: every try has a deadline, a send has one too, the first call that fails keeps the rest of the
 * run's rows without trying them, and at most `LOGS_LIMITS.keptRuns` runs' rows are kept.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelineRetryOptions } from "@azure/core-rest-pipeline";
import { backOffUnsaidThrottling, tryDeadline } from "../../common/http-policies.js";
import { SHORT_FIELD_BYTES, fitRow, type Row } from "./schema.js";

export interface LogsTarget {
  /** The data collection rule's logs ingestion endpoint (`properties.endpoints.logsIngestion`). */
  endpoint: string;
  /** The rule's immutable id (`dcr-…`). */
  ruleId: string;
  credential: TokenCredential;
  /** A local receiver's certificate (tests, the demo). */
  ca?: string;
  retryOptions?: LogsRetry;
}

/** The pipeline's retries, and the deadlines of a try and of a whole send. */
export interface LogsRetry extends PipelineRetryOptions {
  timeoutMs?: number;
  sendTimeoutMs?: number;
}

/**
 * The storage sink's deadlines, for the Logs Ingestion API: 10 s a try (a try that gets no answer is not tried
 * again: the pipeline does not retry an aborted try), a 5xx or dropped connection tried 3 times at most 2 s
 * apart, a 429 waited out as the service says (or with backoff when it does not say), and a send bounded as a
 * whole (a long `Retry-After` included). A receiver that takes the rows and never answers costs a run 10 s.
 */
export const LOGS_LIMITS = {
  tryTimeoutMs: 10_000,
  maxRetries: 2,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 2_000,
  sendTimeoutMs: 60_000,
  /** Runs whose rows are kept while the endpoint does not take them: a week of nightly runs. */
  keptRuns: 7,
};

/** Rows by stream name. */
export type StreamRows = Record<string, Row[]>;

/** Rows kept for a later run, by the run that could not send them. */
export interface PendingBatch {
  runId: string;
  streams: StreamRows;
}

/** Where unsent rows wait: blob storage, or the CLI's folder. */
export interface PendingRows {
  load(): Promise<PendingBatch[]>;
  /** Replaces the batch of `runId` (removes it when it holds no rows). */
  save(batch: PendingBatch): Promise<void>;
}

export interface LogsDelivery {
  /** Rows accepted, this run's and earlier runs' together. */
  sent: number;
  /** Of those, rows earlier runs had kept. */
  sentFromEarlierRuns: number;
  /** Rows kept for the next run. */
  kept: number;
  /** Rows dropped: refused as too large even shortened, or kept by runs beyond the cap. */
  dropped: number;
  /** JSON bytes of the rows sent, before gzip. */
  bytes: number;
  /** What went wrong (no secrets: the endpoint's host and the status only). */
  errors: string[];
}

/** The minimum the sink needs of `LogsIngestionClient`. */
export interface Uploader {
  /** One call of at most 1 MB (the sink makes the chunks): resolves when taken, throws when not. */
  upload(
    ruleId: string,
    stream: string,
    logs: Record<string, unknown>[],
    options?: { abortSignal?: AbortSignal },
  ): Promise<void>;
  /** The deadline of a whole send, in ms. */
  readonly sendTimeoutMs?: number;
}

export async function logsClient(target: LogsTarget): Promise<Uploader> {
  // Loaded with the first upload: runs without Log Analytics never load it.
  const { LogsIngestionClient } = await import("@azure/monitor-ingestion");
  const { timeoutMs, sendTimeoutMs, ...retry } = target.retryOptions ?? {};
  const client = new LogsIngestionClient(target.endpoint, target.credential, {
    ...(target.ca ? { tlsOptions: { ca: target.ca } } : {}),
    retryOptions: {
      maxRetries: LOGS_LIMITS.maxRetries,
      retryDelayInMs: LOGS_LIMITS.retryDelayInMs,
      maxRetryDelayInMs: LOGS_LIMITS.maxRetryDelayInMs,
      ...retry,
    },
  });
  client.pipeline.addPolicy(tryDeadline(timeoutMs ?? LOGS_LIMITS.tryTimeoutMs, "logsTryDeadline"), {
    afterPhase: "Retry",
  });
  client.pipeline.addPolicy(backOffUnsaidThrottling(), { afterPhase: "Retry" });
  return {
    upload: async (ruleId, stream, logs, options) => {
      try {
        await client.upload(ruleId, stream, logs, {
          maxConcurrency: 1,
          ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
        });
      } catch (error) {
        // One chunk a call: the aggregate holds its one failure, whose status says what happened.
        const first = (error as { errors?: { cause?: unknown }[] }).errors?.[0]?.cause;
        throw first ?? error;
      }
    },
    sendTimeoutMs: sendTimeoutMs ?? LOGS_LIMITS.sendTimeoutMs,
  };
}

function describe(error: Error): string {
  const e = error as Error & { statusCode?: number; code?: string };
  if (e.name === "AbortError" || e.name === "TimeoutError") return "no answer in time";
  // A RestError's message may quote the response; its status and code say enough, and hold no secret.
  return (
    [e.name, e.statusCode, e.code].filter((v) => v !== undefined && v !== "").join(" ") || "upload failed"
  );
}

/**
 * The client's own chunking is not used: when a send's deadline aborts it, the chunks it had not started are
 * neither sent nor reported as failed. Chunks are made here, under the same limit, and sent one at a time.
 */
const CHUNK_BYTES = 1_000_000;

/** A failure that says nothing of the endpoint's health: the rows were refused for their size. */
function tooLarge(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 413;
}

export class LogsSink {
  /** Why the endpoint is taken to be unavailable for the rest of this run (the first call that failed). */
  private unavailable?: string;

  constructor(
    private readonly target: Pick<LogsTarget, "endpoint" | "ruleId">,
    private readonly uploader: () => Promise<Uploader>,
    private readonly pending: PendingRows,
  ) {}

  /**
   * Sends what earlier runs kept, then these rows; keeps what was not taken under `batch` (the run id unless
   * given: a run that sends twice keeps each part apart). `earlier: false` leaves the kept rows for later.
   * Once a call fails (the endpoint down, silent, refusing the identity), the rest is kept without being tried.
   */
  async send(
    runId: string,
    rows: StreamRows,
    options: { batch?: string; earlier?: boolean } = {},
  ): Promise<LogsDelivery> {
    const delivery: LogsDelivery = {
      sent: 0,
      sentFromEarlierRuns: 0,
      kept: 0,
      dropped: 0,
      bytes: 0,
      errors: [],
    };
    const batch = options.batch ?? runId;
    let earlier: PendingBatch[] = [];
    if (options.earlier !== false) {
      try {
        earlier = (await this.pending.load()).filter(
          (b) => b.runId !== batch && !b.runId.startsWith(`${runId}.`),
        );
      } catch (error) {
        delivery.errors.push(`the rows earlier runs kept could not be read (${describe(error as Error)})`);
      }
    }
    let client: Uploader | undefined;
    if (this.unavailable === undefined) {
      try {
        client = await this.uploader();
      } catch (error) {
        this.unavailable = `no Logs Ingestion client (${describe(error as Error)})`;
        delivery.errors.push(this.unavailable);
      }
    }
    const deadline = Date.now() + (client?.sendTimeoutMs ?? LOGS_LIMITS.sendTimeoutMs);
    for (const kept of earlier) {
      const left = await this.upload(client, kept.streams, delivery, deadline);
      delivery.sentFromEarlierRuns += count(kept.streams) - count(left);
      await this.keep({ runId: kept.runId, streams: left }, delivery, true);
    }
    const left = await this.upload(client, rows, delivery, deadline);
    await this.keep({ runId: batch, streams: left }, delivery);
    if (delivery.kept > 0 && this.unavailable !== undefined)
      delivery.errors.push(
        `${delivery.kept} rows kept for the next run: ${hostOf(this.target.endpoint)} did not take them (${this.unavailable})`,
      );
    await this.bound(delivery);
    return delivery;
  }

  /** Uploads each stream in chunks under 1 MB; returns the rows that were not taken and are worth keeping. */
  private async upload(
    client: Uploader | undefined,
    streams: StreamRows,
    delivery: LogsDelivery,
    deadline: number,
  ): Promise<StreamRows> {
    const left: StreamRows = {};
    for (const [stream, given] of Object.entries(streams)) {
      if (given.length === 0) continue;
      // Every row fits the service's limits before it goes (a kept row of an older version included).
      const rows = given.map((row) => fitRow(row));
      const failed: Row[] = [];
      let refused = 0;
      for (const chunk of chunks(rows)) {
        if (client === undefined || this.unavailable !== undefined || Date.now() >= deadline) {
          failed.push(...chunk);
          continue;
        }
        try {
          await client.upload(this.target.ruleId, stream, chunk, {
            abortSignal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
          });
          delivery.sent += chunk.length;
          delivery.bytes += jsonBytes(chunk);
        } catch (error) {
          if (tooLarge(error)) {
            // Never kept, never sent again as it was: shortened harder, tried once more, and dropped if refused.
            refused += await this.sendShortened(client, stream, chunk, delivery, failed);
            continue;
          }
          this.unavailable ??= describe(error as Error);
          failed.push(...chunk);
        }
      }
      if (refused > 0)
        delivery.errors.push(
          `${stream}: ${refused} rows dropped: ${hostOf(this.target.endpoint)} refused them as too large (413) even shortened; their findings are in the run's output`,
        );
      if (failed.length > 0) {
        left[stream] = failed;
        delivery.errors.push(
          `${stream}: ${failed.length} of ${given.length} rows not taken by ${hostOf(this.target.endpoint)} (${this.unavailable ?? "the send's deadline passed"})`,
        );
      }
    }
    return left;
  }

  /** The rows of a chunk refused for its size, each shortened to its core and sent alone. */
  private async sendShortened(
    client: Uploader,
    stream: string,
    chunk: Row[],
    delivery: LogsDelivery,
    failed: Row[],
  ): Promise<number> {
    let refused = 0;
    for (const row of chunk) {
      const small = fitRow(row, SHORT_FIELD_BYTES);
      try {
        await client.upload(this.target.ruleId, stream, [small]);
        delivery.sent += 1;
        delivery.bytes += jsonBytes([small]);
      } catch (error) {
        if (tooLarge(error)) {
          refused += 1;
          delivery.dropped += 1;
        } else {
          this.unavailable ??= describe(error as Error);
          failed.push(small);
        }
      }
    }
    return refused;
  }

  private async keep(batch: PendingBatch, delivery: LogsDelivery, earlier = false): Promise<void> {
    const rows = count(batch.streams);
    if (rows === 0 && !earlier) return;
    try {
      await this.pending.save(batch);
      delivery.kept += rows;
    } catch (error) {
      if (rows > 0)
        delivery.errors.push(
          `${rows} rows of run ${batch.runId} could not be kept for the next run (${describe(error as Error)})`,
        );
    }
  }

  /**
   * At most `LOGS_LIMITS.keptRuns` runs' rows stay kept: the oldest beyond that are dropped, each named in a
   * warning (their findings are in those runs' archives and outputs; Log Analytics will not have them).
   */
  private async bound(delivery: LogsDelivery): Promise<void> {
    if (delivery.kept === 0) return;
    let kept: PendingBatch[];
    try {
      kept = (await this.pending.load()).filter((b) => count(b.streams) > 0);
    } catch {
      return; // reported by the next run's load
    }
    const runOf = (b: PendingBatch) => b.runId.replace(/\.run$/, "");
    const runs = [...new Set(kept.map(runOf))].sort();
    const over = runs.slice(0, Math.max(0, runs.length - LOGS_LIMITS.keptRuns));
    for (const run of over) {
      const batches = kept.filter((b) => runOf(b) === run);
      const rows = batches.reduce((n, b) => n + count(b.streams), 0);
      try {
        for (const b of batches) await this.pending.save({ runId: b.runId, streams: {} });
        delivery.kept -= Math.min(delivery.kept, rows);
        delivery.dropped += rows;
        delivery.errors.push(
          `the ${rows} rows run ${run} kept were dropped: at most ${LOGS_LIMITS.keptRuns} runs' rows are kept while Log Analytics does not take them (that run's findings are in its archive and output)`,
        );
      } catch (error) {
        delivery.errors.push(`the rows of run ${run} could not be dropped (${describe(error as Error)})`);
      }
    }
  }
}

function* chunks(rows: Row[]): Generator<Row[]> {
  let chunk: Row[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (chunk.length > 0 && size + bytes >= CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      size = 0;
    }
    chunk.push(row);
    size += bytes;
  }
  if (chunk.length > 0) yield chunk;
}

function count(streams: StreamRows): number {
  return Object.values(streams).reduce((n, rows) => n + rows.length, 0);
}

function jsonBytes(rows: readonly Row[]): number {
  return rows.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "the ingestion endpoint";
  }
}

/** A batch as it is kept: gzipped JSON. */
export function encodeBatch(batch: PendingBatch): Buffer {
  return gzipSync(JSON.stringify(batch));
}

export function decodeBatch(bytes: Buffer): PendingBatch | undefined {
  try {
    const parsed = JSON.parse(gunzipSync(bytes).toString("utf8")) as Partial<PendingBatch>;
    if (typeof parsed.runId !== "string" || typeof parsed.streams !== "object" || parsed.streams === null)
      return undefined;
    return { runId: parsed.runId, streams: parsed.streams };
  } catch {
    return undefined;
  }
}
