/**
 * Where a finished run goes besides the local folder: the state table and run archive, then the Teams
 * digest. A storage failure marks the run incomplete (and is reported); nothing is dropped quietly.
 */
import type { AuditResult } from "../audit.js";
import type { InventorySpool } from "./inventory-spool.js";
import type { Summary } from "../findings/summary.js";
import type { DigestState } from "./runs.js";
import { isUnavailable, type AuditStorage } from "./storage.js";
import { buildDigest, shouldPost, type DigestMode } from "./teams-card.js";
import { deliverDigests, type Delivery, type PendingDigests, type TeamsWebhook } from "./teams-webhook.js";

export interface Notify {
  webhook: Pick<TeamsWebhook, "post">;
  mode: DigestMode;
  /** Where undeliverable digests wait for the next run (blob storage, or the local folder). */
  pending: PendingDigests;
  dashboardUrl?: string;
  /** An earlier attempt of this run posted its digest already: it is not posted again. */
  alreadyPosted?: boolean;
  /** Where an undelivered digest waits when `pending` (blob storage) is unavailable: the local folder. */
  fallbackPending?: PendingDigests;
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
}

export function describeStorageError(error: unknown): string {
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
  return (
    [e.name, e.statusCode, e.code].filter((v) => v !== undefined).join(" ") || String(e.message ?? error)
  );
}

export async function publishRun(
  result: AuditResult,
  sinks: {
    storage?: AuditStorage;
    /** What the run read, spooled as it was read: the archive's `inventory.json.gz`. */
    inventory?: InventorySpool;
    notify?: Notify;
    stateUnreadable?: string;
  },
): Promise<Publication> {
  let summary = result.summary;
  const storageErrors: string[] = [];
  const publication: Publication = { summary, storageErrors };

  if (sinks.stateUnreadable !== undefined) {
    // Without the stored state this run's statuses are not the table's: writing them would reset every
    // finding's history, and a digest would announce old findings as new. The run is kept locally only.
    storageErrors.push(
      `findings table: the state could not be read (${sinks.stateUnreadable}); nothing was written to Azure Storage and no digest was posted`,
    );
    publication.summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    return publication;
  }

  if (sinks.storage) {
    const storage = sinks.storage;
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
    }
    if (storageErrors.length > 0)
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    if (storage.unavailable === undefined) {
      try {
        if (sinks.inventory) await sinks.inventory.close(result.inventory);
        await storage.archiveRun(summary, result.findings, sinks.inventory);
      } catch (error) {
        storageErrors.push(`run archive: not written (${describeStorageError(error)})`);
        if (isUnavailable(error)) storage.unavailable = describeStorageError(error);
      }
    }
    if (storage.unavailable !== undefined) {
      storageErrors.push(
        `run archive, latest/ and the runs row: not attempted (Azure Storage is unavailable); this run's findings are in the local output`,
      );
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    } else if (storageErrors.length > 0) {
      summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    } else {
      try {
        await storage.publishLatest(summary, result.findings);
      } catch (error) {
        storageErrors.push(`latest/: not replaced (${describeStorageError(error)})`);
        summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
      }
    }
  }
  publication.summary = summary;

  let digest: DigestState = "none";
  if (sinks.notify && sinks.notify.alreadyPosted) {
    digest = "posted";
  } else if (sinks.notify) {
    const { notify } = sinks;
    const card = shouldPost(notify.mode, summary)
      ? buildDigest({
          summary,
          findings: result.findings,
          ...(notify.dashboardUrl ? { dashboardUrl: notify.dashboardUrl } : {}),
        })
      : undefined;
    // The digest needs no storage: with storage down it is still posted, and kept locally if it fails.
    const pending =
      sinks.storage?.unavailable !== undefined
        ? (notify.fallbackPending ?? { load: () => Promise.resolve([]), save: () => Promise.resolve() })
        : notify.pending;
    try {
      publication.delivery = await deliverDigests(notify.webhook, card, pending);
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

  // Last, so that a run whose row says it ended has posted its digest: a worker that dies before this
  // line runs again, and one that dies after it is never run twice.
  if (sinks.storage && sinks.storage.unavailable === undefined) {
    try {
      await sinks.storage.recordRun(summary, { digest });
      publication.recorded = true;
    } catch (error) {
      storageErrors.push(`runs table: not written (${describeStorageError(error)})`);
      publication.summary = { ...summary, complete: false, storageErrors: [...storageErrors] };
    }
  }
  return publication;
}
