/**
 * The lock that keeps two runs from reconciling the findings table at once: a lease on the blob
 * `audit/locks/state`, held for the whole run and renewed while it lasts. A worker that dies stops
 * renewing, and the lease expires on its own (at most 60 s later), so a lock is never held forever.
 */
import { isRestError } from "@azure/core-rest-pipeline";
import type { BlobLeaseClient, BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { randomUUID } from "node:crypto";

export const LOCK_BLOB = "locks/state";

export interface LockOptions {
  /** Lease length: Blob storage allows 15 to 60 seconds. */
  durationSeconds?: number;
}

export class LockLostError extends Error {
  override name = "LockLostError";
}

/** A held lease: renewed in the background until released; `lost` once a renewal fails. */
export class HeldLock {
  private lostReason?: string;
  private lastFailure?: string;
  private renewedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly lease: BlobLeaseClient,
    private readonly blob: BlockBlobClient,
    private readonly durationSeconds: number,
  ) {
    // Renewed at a third of the lease, so that two renewals may fail before it lapses.
    this.timer = setInterval(
      () => {
        const started = Date.now();
        this.lease.renewLease().then(
          () => {
            this.renewedAt = Math.max(this.renewedAt, started);
          },
          (error: unknown) => {
            const reason = isRestError(error)
              ? `${error.statusCode ?? ""} ${error.code ?? ""}`.trim() || "error"
              : "error";
            // 409/412: the service says the lease is another's now. Anything else (storage unreachable) only
            // counts once the lease may have lapsed: see lost().
            if (isRestError(error) && (error.statusCode === 409 || error.statusCode === 412))
              this.lostReason ??= reason;
            else this.lastFailure = reason;
          },
        );
      },
      (durationSeconds * 1000) / 3,
    );
    this.timer.unref();
  }

  /**
   * Why the lock may no longer be this run's: taken by another, or not renewed for longer than the lease (it
   * may have lapsed, and another run may have read and written the state in between). Undefined while held.
   */
  lost(): string | undefined {
    if (this.lostReason !== undefined) return this.lostReason;
    const silent = (Date.now() - this.renewedAt) / 1000;
    if (silent > this.durationSeconds)
      return `not renewed for ${Math.round(silent)} s${this.lastFailure ? `: ${this.lastFailure}` : ""}`;
    return undefined;
  }

  /** Throws when the lease was lost: another run may hold it now, so this one must not write. */
  assertHeld(): void {
    const lost = this.lost();
    if (lost !== undefined)
      throw new LockLostError(`the state lock was lost while the run went on (${lost})`);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      // The holder's name goes first, under the lease: the next holder writes its own only after it has the
      // lease, and a run that finds the lock taken in between must not name this finished one.
      await this.blob.setMetadata({}, { conditions: { leaseId: this.lease.leaseId } }).catch(() => undefined);
      await this.lease.releaseLease();
    } catch {
      // Expired or taken already: it lapses on its own either way.
    }
  }
}

export type LockAttempt = { acquired: true; lock: HeldLock } | { acquired: false; holder?: string };

export class StateLock {
  private readonly durationSeconds: number;

  constructor(
    private readonly container: ContainerClient,
    options: LockOptions = {},
  ) {
    this.durationSeconds = Math.min(60, Math.max(15, options.durationSeconds ?? 60));
  }

  /**
   * Takes the lock for `runId`, or says which run holds it, as far as the lock blob says: a holder that died
   * without releasing is still named until the next holder writes its own, so callers check the name against
   * the runs table. Never waits.
   */
  async tryAcquire(runId: string): Promise<LockAttempt> {
    const blob = this.container.getBlockBlobClient(LOCK_BLOB);
    try {
      await blob.upload("", 0, { conditions: { ifNoneMatch: "*" } });
    } catch (error) {
      // 409: it exists already (leased or not), which is all that is needed.
      if (!(isRestError(error) && (error.statusCode === 409 || error.statusCode === 412))) throw error;
    }
    const leaseId = randomUUID();
    const lease = blob.getBlobLeaseClient(leaseId);
    try {
      await lease.acquireLease(this.durationSeconds);
    } catch (error) {
      if (isRestError(error) && error.statusCode === 409) {
        const holder = await blob
          .getProperties()
          .then((p) => p.metadata?.runid)
          .catch(() => undefined);
        return { acquired: false, ...(holder ? { holder } : {}) };
      }
      throw error;
    }
    await blob.setMetadata({ runid: runId }, { conditions: { leaseId } });
    return { acquired: true, lock: new HeldLock(lease, blob, this.durationSeconds) };
  }
}
