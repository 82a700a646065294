/**
 * Azure Storage: the run archive in Blob storage (DESIGN §6) and the current state in Table storage,
 * which the next run reconciles against. Writes are idempotent by key and retried by the SDKs; what
 * still fails is counted and reported, and the run is marked incomplete — never silently dropped.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { TableClient, TableEntity, TransactionAction } from "@azure/data-tables";
import { Readable } from "node:stream";
import type { Finding, FindingStatus } from "../findings/finding.js";
import type { Summary } from "../findings/summary.js";
import type { InventorySpool } from "./inventory-spool.js";
import {
  REPORT_CONTENT_TYPE,
  REPORT_FILE,
  reportStream,
  TREND_RUNS,
  trendPoint,
  type TrendPoint,
} from "../report/page.js";
import { prettyJsonStream } from "./json-stream.js";
import { parsePendingDigests, type PendingDigests } from "./teams-webhook.js";
import { decodeBatch, encodeBatch, type PendingBatch, type PendingRows } from "./log-analytics/ingest.js";
import { RunStore, type DigestState } from "./runs.js";
import {
  ABSENT,
  changedBy,
  CommitLedger,
  effectiveState,
  rowStateProperties,
  withState,
  type RowState,
} from "./row-state.js";
export type { StoredStatus } from "./row-state.js";
import { blobService, tableClient, type StorageRetry, type StorageTarget } from "./storage-target.js";

/** Blocks of 4 MiB, two in flight: what an upload holds in memory, whatever the size of the run. */
const UPLOAD_BLOCK = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;
const jsonStream = (value: unknown) => Readable.from([`${JSON.stringify(value, null, 2)}\n`]);

export const CONTAINER = "audit";
export const FINDINGS_TABLE = "findings";
export const RUNS_TABLE = "runs";
const PENDING_DIGESTS_BLOB = "teams/pending-digests.json";
const PENDING_ROWS_PREFIX = "logs/pending/";

/** Table storage limits that Azurite does not enforce (entity size, property count): the code must. */
export const TABLE_LIMITS = {
  stringChars: 32_000,
  entityBytes: 1024 * 1024,
  properties: 255,
  /** An entity group transaction holds at most 100 entities and 4 MiB of payload. */
  batch: 100,
  batchBytes: 4 * 1024 * 1024,
};

/** What a transaction's multipart envelope adds per operation (headers, boundaries, URL), generously. */
const BATCH_OVERHEAD_PER_OPERATION = 1024;

/**
 * Splits rows of one partition into transactions within both limits. The size of a row is its JSON in
 * UTF-8 plus its envelope; a row that alone exceeds the limit still goes out alone, to fail on its own.
 */
export function transactionsOf<T>(rows: readonly T[], size: (row: T) => number): T[][] {
  const budget = TABLE_LIMITS.batchBytes - 64 * 1024; // the batch's own envelope
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = size(row) + BATCH_OVERHEAD_PER_OPERATION;
    if (current.length > 0 && (current.length === TABLE_LIMITS.batch || bytes + rowBytes > budget)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += rowBytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export type StorageOptions = StorageRetry;

export interface StateWrite {
  upserted: number;
  resolved: number;
  /** Entity group transactions sent (each one request). */
  transactions: number;
  /** Entities whose write failed after retries: the run is incomplete, the next run writes them. */
  failed: number;
  errors: string[];
}

/** Keeps a string within a Table property's limit, saying so when it cut. */
function fit(text: string): string {
  const marker = "…[truncated]";
  return text.length <= TABLE_LIMITS.stringChars
    ? text
    : text.slice(0, TABLE_LIMITS.stringChars - marker.length) + marker;
}

function storageError(error: unknown): string {
  const e = error as { statusCode?: number; code?: string; name?: string };
  return [e.name, e.statusCode, e.code].filter((v) => v !== undefined).join(" ") || "storage error";
}

/**
 * A finding as a `findings` row: PartitionKey = subscription, RowKey = finding id. Its status fields are the
 * caller's (see row-state.ts): what the run read as committed, and its own change.
 */
export function toEntity(finding: Finding, state: Record<string, string> = {}): TableEntity {
  const entity: TableEntity<Record<string, string | boolean>> = {
    partitionKey: finding.subscriptionId.toLowerCase(),
    rowKey: finding.id,
    ruleId: finding.ruleId,
    slug: finding.slug,
    title: finding.title,
    severity: finding.severity,
    resourceId: fit(finding.resourceId),
    resourceType: finding.resourceType,
    subscriptionName: fit(finding.subscriptionName),
    resourceGroup: finding.resourceGroup,
    workspace: finding.workspace ?? "",
    account: finding.account ?? "",
    project: finding.project ?? "",
    endpoint: finding.endpoint ?? "",
    deployment: finding.deployment ?? "",
    configuration: finding.configuration ?? "",
    message: fit(finding.message),
    remediation: fit(finding.remediation),
    seed: finding.seed.join(","),
    evidence: fit(JSON.stringify(finding.evidence)),
    exemption: finding.exemption ? fit(JSON.stringify(finding.exemption)) : "",
    lastSeen: finding.lastSeen,
    lastRunId: finding.runId,
    ...state,
  };
  const properties = Object.keys(entity).length;
  const bytes = Buffer.byteLength(JSON.stringify(entity), "utf8") * 2; // strings are stored as UTF-16
  if (properties > TABLE_LIMITS.properties || bytes > TABLE_LIMITS.entityBytes) {
    // Cannot happen with the fields above (25 properties of at most 32K chars each), but the limit is the service's.
    throw new Error(`entity ${finding.id} exceeds Table limits (${properties} properties, ~${bytes} bytes)`);
  }
  return entity;
}

/** A `findings` row back as a finding, for reconcile. */
export function fromEntity(
  entity: Record<string, unknown> & { partitionKey?: string; rowKey?: string },
): Finding {
  const s = (key: string) => (typeof entity[key] === "string" ? entity[key] : "");
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return { truncated: text };
    }
  };
  const status = s("status");
  const finding: Finding = {
    id: entity.rowKey ?? "",
    ruleId: s("ruleId"),
    slug: s("slug"),
    title: s("title"),
    severity: s("severity") as Finding["severity"],
    status: (status === "exempted" ? "exempted" : "open") satisfies FindingStatus,
    resourceId: s("resourceId"),
    resourceType: s("resourceType"),
    subscriptionId: entity.partitionKey ?? "",
    subscriptionName: s("subscriptionName"),
    resourceGroup: s("resourceGroup"),
    evidence: (parse(s("evidence")) ?? {}) as Record<string, unknown>,
    message: s("message"),
    remediation: s("remediation"),
    seed: s("seed") ? s("seed").split(",") : [],
    firstSeen: s("firstSeen"),
    lastSeen: s("lastSeen"),
    runId: s("lastRunId"),
  };
  for (const key of ["workspace", "account", "project", "endpoint", "deployment"] as const)
    if (s(key)) finding[key] = s(key);
  if (s("configuration")) finding.configuration = s("configuration") as Finding["configuration"];
  if (s("exemption")) finding.exemption = parse(s("exemption")) as Finding["exemption"];
  return finding;
}

/**
 * Whether a write that failed past the SDK's retries means the service is not answering (network, timeout,
 * 5xx, throttling) rather than refusing that one request: then the run's other writes would fail alike.
 */
export function isUnavailable(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

export class AuditStorage {
  /** Set once a write fails because storage is not answering: the run's later writes are not attempted. */
  unavailable?: string;

  private readonly container: ContainerClient;
  private readonly findings: TableClient;
  readonly runs: RunStore;
  private readonly runsTable: TableClient;
  private ready?: Promise<void>;

  /** `target`: a connection string, or an identity-based connection (the Functions app's). */
  constructor(target: string | StorageTarget, options: StorageOptions = {}) {
    const resolved: StorageTarget =
      typeof target === "string" ? { kind: "connectionString", connectionString: target } : target;
    this.container = blobService(resolved, options).getContainerClient(CONTAINER);
    this.findings = tableClient(resolved, FINDINGS_TABLE, options);
    this.runsTable = tableClient(resolved, RUNS_TABLE, options);
    this.runs = new RunStore(this.runsTable);
  }

  /** The findings table, for the dashboard feed's queries. */
  get findingsTable(): TableClient {
    return this.findings;
  }

  /** The run container, for the state lock. */
  get containerClient(): ContainerClient {
    return this.container;
  }

  /** Creates the container and tables once; they may already exist. */
  prepare(): Promise<void> {
    this.ready ??= (async () => {
      await this.container.createIfNotExists();
      await Promise.all([this.findings.createTable(), this.runsTable.createTable()]);
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** The effective state of every row `loadState` read: what this run's writes fold in as committed. */
  private readState = new Map<string, RowState>();

  /** Whether a run's changes are the state: its `runs` row says it committed (row-state.ts). */
  ledger(): CommitLedger {
    return new CommitLedger((runId) => this.runs.isCommitted(runId));
  }

  /**
   * The open and exempted findings as the last committed runs left them: what this run reconciles
   * against. One listing of the table; a row changed by a run that did not commit — one killed or cut off
   * before its `runs` row, this very run's earlier attempt included — reads as it was before that run, so
   * that the next run finds the same new and resolved findings.
   */
  async loadState(): Promise<Finding[]> {
    this.unavailable = undefined; // a new run: storage gets another chance
    await this.prepare();
    const state: Finding[] = [];
    const ledger = this.ledger();
    this.readState = new Map();
    for await (const page of this.findings.listEntities<Record<string, unknown>>().byPage()) {
      await ledger.learn(page.map((row) => changedBy(row)));
      for (const row of page) {
        const effective = effectiveState(row, ledger.committed);
        this.readState.set(row.rowKey ?? "", effective);
        if (effective.status === "open" || effective.status === "exempted")
          state.push(fromEntity(withState(row, effective)));
      }
    }
    return state;
  }

  /**
   * Writes what this run saw and what reconcile resolved as this run's change to each row, in same-partition
   * transactions within Table's limits (100 rows, 4 MiB). Nothing of it is the state until the run commits.
   * A finding that comes back after it was resolved keeps its history (`firstSeen`, `reopenedCount`).
   */
  async writeState(
    findings: readonly Finding[],
    resolved: readonly Finding[],
    resolvedAt: string,
    runId: string,
  ): Promise<StateWrite> {
    await this.prepare();
    const result: StateWrite = { upserted: 0, resolved: 0, transactions: 0, failed: 0, errors: [] };
    const actions = new Map<string, { action: TransactionAction; kind: "upserted" | "resolved" }[]>();
    const add = (entity: TableEntity, kind: "upserted" | "resolved") => {
      const list = actions.get(entity.partitionKey) ?? [];
      list.push({ action: ["upsert", entity, "Merge"], kind });
      actions.set(entity.partitionKey, list);
    };
    for (const f of findings) {
      if (f.stale) continue; // not seen this run: its row stays as the run that saw it wrote it
      const read = this.readState.get(f.id) ?? ABSENT;
      const reopened = read.status === "resolved";
      const change: RowState = {
        status: f.status === "exempted" ? "exempted" : "open",
        resolvedAt: "",
        firstSeen: read.status === "" ? f.firstSeen : read.firstSeen,
        reopenedAt: reopened ? f.lastSeen : read.reopenedAt,
        reopenedCount: reopened ? read.reopenedCount + 1 : read.reopenedCount,
      };
      add(toEntity(f, rowStateProperties(read, change, runId)), "upserted");
    }
    for (const f of resolved) {
      const read = this.readState.get(f.id) ?? { ...ABSENT, status: "open", firstSeen: f.firstSeen };
      add(
        {
          partitionKey: f.subscriptionId.toLowerCase(),
          rowKey: f.id,
          ...rowStateProperties(read, { ...read, status: "resolved", resolvedAt }, runId),
        },
        "resolved",
      );
    }
    const batches = [...actions.values()].flatMap((list) =>
      transactionsOf(list, (b) => Buffer.byteLength(JSON.stringify(b.action[1]))),
    );
    for (const [i, batch] of batches.entries()) {
      if (this.unavailable !== undefined) {
        // Storage stopped answering past the SDK's retries: the rest is not tried, but counted and reported once.
        const rest = batches.slice(i);
        const rows = rest.reduce((n, b) => n + b.length, 0);
        result.failed += rows;
        result.errors.push(
          `findings table: ${rows} rows in ${rest.length} transactions not attempted (Azure Storage is unavailable: ${this.unavailable}); the next run writes them`,
        );
        break;
      }
      result.transactions += 1;
      try {
        await this.findings.submitTransaction(batch.map((b) => b.action));
        for (const b of batch) result[b.kind] += 1;
      } catch (error) {
        result.failed += batch.length;
        result.errors.push(`findings table: ${batch.length} rows not written (${storageError(error)})`);
        if (isUnavailable(error)) this.unavailable = storageError(error);
      }
    }
    return result;
  }

  /**
   * The run's archive; `latest/` only after everything else of the run is written. The findings and the
   * inventory are streamed: neither is built as one string or buffer.
   */
  async archiveRun(
    summary: Summary,
    findings: readonly Finding[],
    inventory?: InventorySpool,
  ): Promise<string[]> {
    await this.prepare();
    const [date] = summary.startedAt.split("T");
    const prefix = `runs/${(date ?? "").replace(/-/g, "/")}/${summary.runId}`;
    const upload = async (name: string, body: Readable, contentType: string, encoding?: string) => {
      await this.container.getBlockBlobClient(name).uploadStream(body, UPLOAD_BLOCK, UPLOAD_CONCURRENCY, {
        blobHTTPHeaders: {
          blobContentType: contentType,
          ...(encoding ? { blobContentEncoding: encoding } : {}),
        },
      });
      return name;
    };
    const trend = await this.trend(summary);
    return Promise.all([
      upload(`${prefix}/findings.json`, prettyJsonStream(findings), "application/json"),
      upload(`${prefix}/summary.json`, jsonStream(summary), "application/json"),
      upload(`${prefix}/${REPORT_FILE}`, reportStream({ summary, findings, trend }), REPORT_CONTENT_TYPE),
      ...(inventory
        ? [upload(`${prefix}/inventory.json.gz`, Readable.from(inventory.read()), "application/json", "gzip")]
        : []),
    ]);
  }

  async publishLatest(summary: Summary, findings: readonly Finding[]): Promise<void> {
    const options = { blobHTTPHeaders: { blobContentType: "application/json" } };
    await this.container
      .getBlockBlobClient("latest/findings.json")
      .uploadStream(prettyJsonStream(findings), UPLOAD_BLOCK, UPLOAD_CONCURRENCY, options);
    await this.container
      .getBlockBlobClient(`latest/${REPORT_FILE}`)
      .uploadStream(
        reportStream({ summary, findings, trend: await this.trend(summary) }),
        UPLOAD_BLOCK,
        UPLOAD_CONCURRENCY,
        { blobHTTPHeaders: { blobContentType: REPORT_CONTENT_TYPE } },
      );
    await this.container
      .getBlockBlobClient("latest/summary.json")
      .uploadStream(jsonStream(summary), UPLOAD_BLOCK, UPLOAD_CONCURRENCY, options);
  }

  /** The report's trend: the recent runs the runs table holds, oldest first, ending with this one. */
  private async trend(summary: Summary): Promise<TrendPoint[]> {
    // Without the runs table the report still goes out, its trend only the run itself.
    const earlier = await this.recentRuns(TREND_RUNS).catch(() => []);
    return [
      ...earlier
        .filter((run) => run.runId !== summary.runId)
        .reverse()
        .map(trendPoint),
      trendPoint(summary),
    ].slice(-TREND_RUNS);
  }

  /** The run's row, written last: with `committed`, the run's changes become the state (row-state.ts). */
  async recordRun(summary: Summary, extra: { digest?: DigestState; committed: boolean }): Promise<void> {
    await this.prepare();
    await this.runs.finish(summary, extra);
  }

  /** The most recent runs' summaries, newest first. */
  async recentRuns(count: number): Promise<Omit<Summary, "resolvedFindings">[]> {
    return (await this.runs.recentSummaries(count)).flatMap((run) => (run.summary ? [run.summary] : []));
  }

  /** Digests Teams did not accept, kept in blob storage for the next run. */
  pendingDigests(): PendingDigests {
    const blob = () => this.container.getBlockBlobClient(PENDING_DIGESTS_BLOB);
    return {
      load: async () => {
        await this.prepare();
        if (!(await blob().exists())) return { digests: [] };
        const bytes = await blob().downloadToBuffer();
        const digests = parsePendingDigests(bytes.toString("utf8"));
        if (digests) return { digests };
        // Unreadable: kept aside for a person to look at, and this run's digest still goes out.
        const aside = `teams/pending-digests.corrupt-${new Date().toISOString().replace(/[:.]/g, "")}.json`;
        await this.container.getBlockBlobClient(aside).uploadData(bytes);
        await blob().deleteIfExists();
        return { digests: [], setAside: `blob ${CONTAINER}/${aside}` };
      },
      save: async (digests) => {
        if (digests.length === 0) {
          await blob().deleteIfExists();
          return;
        }
        await blob().uploadData(Buffer.from(JSON.stringify(digests)), {
          blobHTTPHeaders: { blobContentType: "application/json" },
        });
      },
    };
  }

  /** Log Analytics rows not yet taken, a blob per run, for the next run to send first. */
  pendingRows(): PendingRows {
    const blobOf = (runId: string) =>
      this.container.getBlockBlobClient(
        `${PENDING_ROWS_PREFIX}${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.json.gz`,
      );
    return {
      load: async () => {
        await this.prepare();
        const batches: PendingBatch[] = [];
        for await (const item of this.container.listBlobsFlat({ prefix: PENDING_ROWS_PREFIX })) {
          if (!item.name.endsWith(".json.gz")) continue;
          const blob = this.container.getBlockBlobClient(item.name);
          const bytes = await blob.downloadToBuffer();
          const batch = decodeBatch(bytes);
          if (batch) batches.push(batch);
          else {
            // Unreadable: set aside for a person to look at; the others still go.
            await this.container.getBlockBlobClient(`${item.name}.corrupt`).uploadData(bytes);
            await blob.deleteIfExists();
          }
        }
        return batches.sort((a, b) => a.runId.localeCompare(b.runId));
      },
      save: async (batch) => {
        await this.prepare();
        const blob = blobOf(batch.runId);
        if (Object.values(batch.streams).every((rows) => rows.length === 0)) {
          await blob.deleteIfExists();
          return;
        }
        const bytes = encodeBatch(batch);
        await blob.uploadData(bytes, { blobHTTPHeaders: { blobContentType: "application/gzip" } });
      },
    };
  }
}
