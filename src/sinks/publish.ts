/**
 * Where a finished run goes besides the local folder: the state table and run archive, then the Teams
 * digest. A storage failure marks the run incomplete (and is reported); nothing is dropped quietly.
 */
import type { AuditResult } from "../audit.js";
import type { InventorySpool } from "./inventory-spool.js";
import type { Summary } from "../findings/summary.js";
import type { DigestState } from "./runs.js";
import { isUnavailable, type AuditStorage } from "./storage.js";
import { buildDigest, buildIncompleteNotice, shouldPost, type DigestMode } from "./teams-card.js";
import type { LogsDelivery, LogsSink } from "./log-analytics/ingest.js";
import { FINDINGS_TABLE, RUNS_TABLE, findingRows, runRow } from "./log-analytics/schema.js";
import { deliverDigests, type Delivery, type PendingDigests, type TeamsWebhook } from "./teams-webhook.js";
import type { LocalRun } from "./local-folder.js";

export interface Notify {
  webhook: Pick<TeamsWebhook, "post">;
  mode: DigestMode;
  /** Where undeliverable digests wait for the next run (blob storage, or the local folder). */
  pending: PendingDigests;
  dashboardUrl?: string;
  /** An earlier attempt of this run posted its digest already: it is not posted again. */
  alreadyPosted?: boolean;
}

export interface Publication {
  /** The summary as published: incomplete when storage writes failed. */
  summary: Summary;
  storageErrors: string[];
  tableWrites?: { upserted: number; resolved: number; transactions: number; failed: number };
  delivery?: Delivery;
  /** What became of this run's digest. */
  digest?: DigestState;
  /** The run's row in the `runs` table was written. */
  recorded?: boolean;
  /** The run committed: its changes to the `findings` table are the state. */
  committed?: boolean;
  /** What Log Analytics took of the run's rows. */
  logs?: LogsDelivery;
  /** The output folder could not be written: why (without storage, the run did not commit). */
  outputError?: string;
  /** The output folder's files, once written. */
  outputFiles?: string[];
}

export function describeStorageError(error: unknown): string {
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
  return (
    [e.name, e.statusCode, e.code].filter((v) => v !== undefined).join(" ") || String(e.message ?? error)
  );
}

/** The steps of a publication, in order; a test may stop a run at any of them. */
export type PublishStep = "state" | "archive" | "digest" | "logs" | "commit";

/**
 * Publishes a run, in an order that keeps it whole (DESIGN §6):
 * 1. the `findings` table: this run's change to each row, not the state until the commit;
 * 2. the run archive (`runs/…`);
 * 3. the digest — only when 1 and 2 were written, so that a run that cannot commit announces no change
 *    (it posts a short "run incomplete" card instead) and the next run that commits announces them;
 * 3b. the findings' Log Analytics rows, only when the run can commit (else the next run reports the same
 *    changes); what is not taken is kept for the next run, and the run's record says so;
 * 4. the commit: the run's `runs` row, written last, says whether it committed;
 * 5. `latest/`, once committed;
 * 6. the run's Log Analytics row, committed or not.
 * A crash before 4 leaves the state as it was before the run: the next run reports the same changes, and at
 * most repeats a digest posted in 3. A crash after 4 loses nothing but a stale `latest/`.
 */
export async function publishRun(
  result: AuditResult,
  sinks: {
    storage?: AuditStorage;
    /** What the run read, spooled as it was read: the archive's `inventory.json.gz`. */
    inventory?: InventorySpool;
    notify?: Notify;
    stateUnreadable?: string;
    /** Why the run's state lock may be another's now: nothing goes to storage, as when the state is unreadable. */
    lockLost?: string;
    /** Called after each step (tests stop a run there). */
    onStep?: (step: PublishStep) => void | Promise<void>;
    /** The Logs Ingestion sink, and what started the run (`schedule`, `http`, `cli`). */
    logs?: { sink: LogsSink; trigger: string };
    /**
     * The CLI's output folder. Without storage its state.json is the state: it is prepared with the table's
     * step and renamed into place as the commit, so that nothing is announced of a run the folder did not keep.
     * With storage it is a copy, written after the commit.
     */
    local?: LocalRun;
  },
): Promise<Publication> {
  let summary = result.summary;
  const storageErrors: string[] = [];
  const publication: Publication = { summary, storageErrors };
  const step = async (name: PublishStep) => sinks.onStep?.(name);

  if (sinks.stateUnreadable !== undefined || sinks.lockLost !== undefined) {
    // Without the stored state this run's statuses are not the table's: writing them would reset every
    // finding's history, and a digest would announce old findings as new. Without the lock, the state this run
    // read may have been replaced since. Either way the run is kept locally only.
    const why =
      sinks.stateUnreadable !== undefined
        ? `the state could not be read (${sinks.stateUnreadable})`
        : `the state lock was lost while the run went on (${sinks.lockLost}), and another run may have written the state since`;
    storageErrors.push(
      `findings table: ${why}; nothing was written to Azure Storage and no change was announced`,
    );
    publication.summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    publication.digest = await announceIncomplete(
      sinks.notify,
      publication,
      sinks.stateUnreadable !== undefined
        ? "Azure Storage could not be read"
        : "it lost the state lock on Azure Storage",
    );
    if (sinks.logs)
      publication.summary = await sendRunRow(sinks.logs, result, publication.summary, publication, {
        committed: false,
        sinksComplete: false,
      });
    await writeCopy(sinks.local, result, publication);
    return publication;
  }

  const storage = sinks.storage;
  if (storage) {
    try {
      const written = await storage.writeState(
        result.findings,
        result.resolved,
        summary.finishedAt,
        summary.runId,
      );
      publication.tableWrites = {
        upserted: written.upserted,
        resolved: written.resolved,
        transactions: written.transactions,
        failed: written.failed,
      };
      storageErrors.push(...written.errors);
    } catch (error) {
      storageErrors.push(`findings table: not written (${describeStorageError(error)})`);
      if (isUnavailable(error)) storage.unavailable ??= describeStorageError(error);
    }
    await step("state");
    if (storage.unavailable === undefined) {
      try {
        if (sinks.inventory) await sinks.inventory.close(result.inventory);
        await storage.archiveRun(summary, result.findings, sinks.inventory);
      } catch (error) {
        storageErrors.push(`run archive: not written (${describeStorageError(error)})`);
        if (isUnavailable(error)) storage.unavailable = describeStorageError(error);
      }
    }
    await step("archive");
    if (storage.unavailable !== undefined)
      storageErrors.push(
        `run archive, the digest, the runs row and latest/: not attempted (Azure Storage is unavailable); this run's findings are in the local output, and the next run reports its changes`,
      );
    if (storageErrors.length > 0)
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
  }
  // Without storage the output folder's state.json is the state: prepared here, renamed into place at the
  // commit. A folder that cannot take it (a full disk) makes a run that cannot commit, like storage.
  const localState = storage === undefined ? sinks.local : undefined;
  if (localState) {
    publication.committed = false;
    try {
      await localState.prepare(result);
    } catch (error) {
      publication.outputError = `${describeFileError(error)}; nothing was committed, and the next run reports this run's changes`;
      // The summary says so (the run's Log Analytics row, the CLI's exit code); the CLI prints outputError.
      summary = { ...summary, complete: false, storageErrors: [`output folder: ${publication.outputError}`] };
    }
    await step("state");
  }
  publication.summary = summary;
  const committable =
    storage === undefined ? publication.outputError === undefined : storageErrors.length === 0;

  let digest: DigestState = "none";
  if (sinks.notify?.alreadyPosted) {
    digest = "posted";
  } else if (sinks.notify && !committable) {
    digest = await announceIncomplete(
      sinks.notify,
      publication,
      storage
        ? "its results could not be saved to Azure Storage"
        : "its results could not be saved to the output folder",
    );
  } else if (sinks.notify) {
    const { notify } = sinks;
    const card = shouldPost(notify.mode, summary)
      ? buildDigest({
          summary,
          findings: result.findings,
          ...(notify.dashboardUrl ? { dashboardUrl: notify.dashboardUrl } : {}),
        })
      : undefined;
    try {
      publication.delivery = await deliverDigests(notify.webhook, card, notify.pending);
    } catch (error) {
      publication.delivery = {
        delivered: 0,
        kept: 0,
        error: `the digest store failed (${describeStorageError(error)})`,
      };
    }
    digest = card === undefined ? "not-needed" : publication.delivery.error ? "kept" : "posted";
  }
  publication.digest = digest;
  await step("digest");

  // The findings' rows before the commit, so that the run's record says whether Log Analytics took them; the
  // run's own row after it, so that it says whether the run committed.
  let findingsDelivery: LogsDelivery | undefined;
  if (sinks.logs) {
    findingsDelivery = await sinks.logs.sink.send(summary.runId, {
      [FINDINGS_TABLE.stream]: committable ? findingRows({ ...result, summary }) : [],
    });
    publication.logs = findingsDelivery;
    if (findingsDelivery.errors.length > 0)
      summary = { ...summary, logsErrors: [...findingsDelivery.errors] };
    publication.summary = summary;
  }
  await step("logs");

  // The commit: last, so that a run whose row says it committed has written everything the state is, and
  // posted (or kept) its digest.
  if (storage && storage.unavailable === undefined) {
    try {
      await storage.recordRun(summary, { digest, committed: committable });
      publication.recorded = true;
      publication.committed = committable;
    } catch (error) {
      storageErrors.push(
        `runs table: not written (${describeStorageError(error)}); the next run reports this run's changes`,
      );
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    }
  }
  if (localState && committable) {
    try {
      publication.outputFiles = await localState.commit(summary);
      publication.committed = true;
    } catch (error) {
      publication.outputError = `${describeFileError(error)}; nothing was committed, and the next run reports this run's changes`;
      // The summary says so (the run's Log Analytics row, the CLI's exit code); the CLI prints outputError.
      summary = { ...summary, complete: false, storageErrors: [`output folder: ${publication.outputError}`] };
    }
  }
  await step("commit");

  if (storage && publication.committed) {
    try {
      await storage.publishLatest(summary, result.findings);
    } catch (error) {
      storageErrors.push(`latest/: not replaced (${describeStorageError(error)}); the run itself is saved`);
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    }
  }

  if (sinks.logs) {
    summary = await sendRunRow(sinks.logs, result, summary, publication, {
      // Neither storage nor a folder: nothing holds a state, and the run is what it published.
      committed: storage || localState ? publication.committed === true : committable,
      sinksComplete:
        storageErrors.length === 0 &&
        publication.delivery?.error === undefined &&
        (findingsDelivery?.errors.length ?? 0) === 0,
    });
  }
  publication.summary = summary;
  if (storage) await writeCopy(sinks.local, result, publication);
  return publication;
}

function describeFileError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? (e.message || String(error));
}

/** The output folder beside storage (or storage unread): a copy of what was published, written last. */
async function writeCopy(local: LocalRun | undefined, result: AuditResult, publication: Publication) {
  if (!local) return;
  try {
    await local.prepare(result);
    publication.outputFiles = await local.commit(publication.summary);
  } catch (error) {
    publication.outputError = `${describeFileError(error)}; the run itself is published`;
  }
}

/**
 * The run's own row, after everything else: what it says of the commit is then true. A row not taken is kept
 * for the next run; the returned summary says so (its record is written already: the CLI and worker print it).
 */
async function sendRunRow(
  logs: { sink: LogsSink; trigger: string },
  result: AuditResult,
  summary: Summary,
  publication: Publication,
  facts: { committed: boolean; sinksComplete: boolean },
): Promise<Summary> {
  const run = await logs.sink.send(
    summary.runId,
    {
      [RUNS_TABLE.stream]: [
        runRow(summary, { trigger: logs.trigger, ...facts, unknownScopes: result.inventory.failures }),
      ],
    },
    { batch: `${summary.runId}.run`, earlier: publication.logs === undefined },
  );
  const before = publication.logs;
  publication.logs = before
    ? {
        sent: before.sent + run.sent,
        sentFromEarlierRuns: before.sentFromEarlierRuns + run.sentFromEarlierRuns,
        kept: before.kept + run.kept,
        dropped: before.dropped + run.dropped,
        bytes: before.bytes + run.bytes,
        errors: [...before.errors, ...run.errors],
      }
    : run;
  return run.errors.length > 0
    ? { ...summary, logsErrors: [...(summary.logsErrors ?? []), ...run.errors] }
    : summary;
}

/** The short card of a run that cannot commit: no change lists. Posted once, never kept. */
async function announceIncomplete(
  notify: Notify | undefined,
  publication: Publication,
  reason: string,
): Promise<DigestState> {
  if (!notify || notify.mode === "off" || notify.alreadyPosted)
    return notify?.alreadyPosted ? "posted" : "none";
  const card = buildIncompleteNotice({
    summary: publication.summary,
    reason,
    ...(notify.dashboardUrl ? { dashboardUrl: notify.dashboardUrl } : {}),
  });
  try {
    await notify.webhook.post(card);
    publication.delivery = { delivered: 1, kept: 0 };
  } catch (error) {
    publication.delivery = {
      delivered: 0,
      kept: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  return "withheld";
}
