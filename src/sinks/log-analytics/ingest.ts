/**
 * The Logs Ingestion API sink: a run's rows go to the data collection rule's streams through
 * `LogsIngestionClient` (its 1 MB chunks, its gzip, its retries on 429 and 5xx). Rows it could not send are
 * kept, one batch per run, and sent first by the next run: nothing is lost to an outage.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelineRetryOptions } from "@azure/core-rest-pipeline";
import type { Row } from "./schema.js";

export interface LogsTarget {
  /** The data collection rule's logs ingestion endpoint (`properties.endpoints.logsIngestion`). */
  endpoint: string;
  /** The rule's immutable id (`dcr-…`). */
  ruleId: string;
  credential: TokenCredential;
  /** A local receiver's certificate (tests, the demo). */
  ca?: string;
  retryOptions?: PipelineRetryOptions;
}

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
  /** JSON bytes of the rows sent, before gzip. */
  bytes: number;
  /** What went wrong (no secrets: the endpoint's host and the status only). */
  errors: string[];
}

/** The minimum the sink needs of `LogsIngestionClient`. */
export interface Uploader {
  upload(
    ruleId: string,
    stream: string,
    logs: Record<string, unknown>[],
    options?: { onError?: (e: { failedLogs: Record<string, unknown>[]; cause: Error }) => void },
  ): Promise<void>;
}

export async function logsClient(target: LogsTarget): Promise<Uploader> {
  // Loaded with the first upload: runs without Log Analytics never load it.
  const { LogsIngestionClient } = await import("@azure/monitor-ingestion");
  return new LogsIngestionClient(target.endpoint, target.credential, {
    ...(target.ca ? { tlsOptions: { ca: target.ca } } : {}),
    ...(target.retryOptions ? { retryOptions: target.retryOptions } : {}),
  });
}

function describe(error: Error): string {
  const e = error as Error & { statusCode?: number; code?: string };
  // A RestError's message may quote the response; its status and code say enough, and hold no secret.
  return (
    [e.name, e.statusCode, e.code].filter((v) => v !== undefined && v !== "").join(" ") || "upload failed"
  );
}

export class LogsSink {
  constructor(
    private readonly target: Pick<LogsTarget, "endpoint" | "ruleId">,
    private readonly uploader: () => Promise<Uploader>,
    private readonly pending: PendingRows,
  ) {}

  /**
   * Sends what earlier runs kept, then these rows; keeps what was not taken under `batch` (the run id unless
   * given: a run that sends twice keeps each part apart). `earlier: false` leaves the kept rows for later.
   */
  async send(
    runId: string,
    rows: StreamRows,
    options: { batch?: string; earlier?: boolean } = {},
  ): Promise<LogsDelivery> {
    const delivery: LogsDelivery = { sent: 0, sentFromEarlierRuns: 0, kept: 0, bytes: 0, errors: [] };
    const batch = options.batch ?? runId;
    let earlier: PendingBatch[] = [];
    if (options.earlier !== false) {
      try {
        earlier = await this.pending.load();
      } catch (error) {
        delivery.errors.push(`the rows earlier runs kept could not be read (${describe(error as Error)})`);
      }
    }
    let client: Uploader;
    try {
      client = await this.uploader();
    } catch (error) {
      delivery.errors.push(`no Logs Ingestion client (${describe(error as Error)})`);
      await this.keep({ runId: batch, streams: rows }, delivery);
      return delivery;
    }
    for (const kept of earlier.filter((b) => b.runId !== batch && !b.runId.startsWith(`${runId}.`))) {
      const left = await this.upload(client, kept.streams, delivery);
      delivery.sentFromEarlierRuns += count(kept.streams) - count(left);
      await this.keep({ runId: kept.runId, streams: left }, delivery, true);
    }
    const left = await this.upload(client, rows, delivery);
    await this.keep({ runId: batch, streams: left }, delivery);
    return delivery;
  }

  /** Uploads each stream; returns the rows that were not taken. */
  private async upload(client: Uploader, streams: StreamRows, delivery: LogsDelivery): Promise<StreamRows> {
    const left: StreamRows = {};
    for (const [stream, rows] of Object.entries(streams)) {
      if (rows.length === 0) continue;
      const failed: Row[] = [];
      const causes = new Set<string>();
      try {
        await client.upload(this.target.ruleId, stream, rows, {
          onError: (e) => {
            failed.push(...e.failedLogs);
            causes.add(describe(e.cause));
          },
        });
      } catch (error) {
        // AggregateLogsUploadError: the chunks in it were reported to onError already.
        if (failed.length === 0) {
          failed.push(...rows);
          causes.add(describe(error as Error));
        }
      }
      const taken = rows.length - failed.length;
      delivery.sent += taken;
      if (taken > 0) delivery.bytes += jsonBytes(rows.filter((r) => !failed.includes(r)));
      if (failed.length > 0) {
        left[stream] = failed;
        delivery.errors.push(
          `${stream}: ${failed.length} of ${rows.length} rows not taken by ${hostOf(this.target.endpoint)} (${[...causes].join("; ")})`,
        );
      }
    }
    return left;
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
