/**
 * One run, composed from a typed configuration: the ARM connection (Azure, or the emulator serving a
 * tenant file), the storage sinks, the Teams notifier, the audit and its publication. The CLI and every
 * function build their configuration and call this; the wiring exists only here.
 */
import type { PipelineRetryOptions } from "@azure/core-rest-pipeline";
import { newRunId, runAudit, type AuditResult } from "./audit.js";
import type { EmulatorOptions, RunningEmulator } from "./emulator/server.js";
import type { TenantFile } from "./emulator/tenant-file.js";
import type { Finding } from "./findings/finding.js";
import { EMULATOR_CREDENTIAL, type ArmConnection } from "./inventory/connection.js";
import type { AuditScope, Progress, Source } from "./inventory/index.js";
import type { Policy } from "./policy/types.js";
import type { NotifySettings } from "./settings.js";
import { InventorySpool } from "./sinks/inventory-spool.js";
import { LocalRun, localPendingDigests, localPendingRows, readState } from "./sinks/local-folder.js";
import { LogsSink, logsClient, type PendingRows } from "./sinks/log-analytics/ingest.js";
import type { LogsReceiver } from "./emulator/logs-receiver.js";
import {
  describeStorageError,
  publishRun,
  type Notify,
  type Publication,
  type PublishStep,
} from "./sinks/publish.js";
import { AuditStorage } from "./sinks/storage.js";
import { LOCK_BLOB, StateLock, type HeldLock } from "./sinks/state-lock.js";
import type { StorageRetry, StorageTarget } from "./sinks/storage-target.js";
import { TeamsWebhook, WebhookError, type WebhookOptions } from "./sinks/teams-webhook.js";

export type ArmTarget =
  { kind: "tenant"; tenant: TenantFile; emulator?: EmulatorOptions } | { kind: "azure"; endpoint: string };

export interface AuditConfig {
  arm: ArmTarget;
  source: Source;
  policy: Policy;
  /** Overrides the policy's scope where it lists anything. */
  scope: Partial<AuditScope>;
  storage?: StorageTarget;
  notify?: NotifySettings;
  /** The CLI's folder: findings.json, summary.json, and the state when there is no storage. */
  out?: string;
  /**
   * Log Analytics: the data collection rule's ingestion endpoint and immutable id, or `local`: a receiver on
   * loopback started for the run (tenant files only), whose rows the outcome shows.
   */
  logs?: { endpoint: string; ruleId: string; ca?: string } | "local";
  /** Tests shorten the SDKs' waits; production uses their defaults. */
  retries?: {
    arm?: PipelineRetryOptions;
    storage?: StorageRetry;
    teams?: WebhookOptions;
    logs?: PipelineRetryOptions;
  };
}

/** A part of the configuration the SDKs refuse: which part, and never its (possibly secret) value. */
export class CompositionError extends Error {
  override name = "CompositionError";
  constructor(
    readonly part: "storage" | "webhook" | "logs",
    message: string,
  ) {
    super(message);
  }
}

export interface RunHooks {
  runId?: string;
  now?: () => Date;
  onProgress?: (progress: Progress) => void;
  /**
   * The run may have been started before by a worker that died: reconcile against the state as it was
   * before this run, and do not post a digest an earlier attempt posted.
   */
  resume?: { digestPosted: boolean };
  /** Called once the audit has read the tenant and before anything is written (a lost lock stops here). */
  beforePublish?: () => void | Promise<void>;
  /** Called after each step of the publication (tests stop a run there). */
  onPublishStep?: (step: PublishStep) => void | Promise<void>;
  /** What started the run, for its Log Analytics row: `schedule`, `http`, or `cli` (the default). */
  trigger?: string;
  /**
   * The state lock (`audit/locks/state`), which every writer of the stored state holds from reading it to the
   * commit: held already (the worker takes it before it claims the run), or taken here, waiting for it as long
   * as this says (none: not at all).
   */
  lock?: { held: HeldLock } | LockWait;
}

/** How a run that finds the state lock held waits for it. */
export interface LockWait {
  /** How long to wait for the lock at most (0: not at all). */
  maxSeconds: number;
  /** Said before each wait: which run holds the lock (when its name is known) and when the run looks again. */
  onWait?: (wait: { holder?: string; waitedSeconds: number; nextSeconds: number }) => void;
}

/** The state lock is held by another run, and was still held when the wait ran out: nothing was read or written. */
export class LockBusyError extends Error {
  override name = "LockBusyError";
}

/**
 * The CLI's lease on the lock. Shorter than the worker's (60 s): a CLI stopped by Ctrl-C or a kill cannot
 * release it, and the next writer waits for it to lapse. Renewed every 5 s, so two renewals may fail before
 * it does.
 */
export const CLI_LOCK_SECONDS = 15;

export interface RunOutcome {
  result: AuditResult;
  publication: Publication;
  /** Why the stored state could not be read, when it could not (nothing was then written to storage). */
  stateUnreadable?: string;
  /** With `logs: "local"`: what the local receiver took. */
  logsReceived?: Pick<LogsReceiver, "rows" | "requests" | "problems">;
}

/** The sinks a configuration names, built and checked before any run starts. */
export class Composition {
  readonly storage?: AuditStorage;
  readonly webhook?: TeamsWebhook;

  constructor(readonly config: AuditConfig) {
    if (config.storage) {
      try {
        this.storage = new AuditStorage(config.storage, config.retries?.storage);
      } catch {
        // A connection string may hold an account key: say what is wrong, never what it was.
        throw new CompositionError("storage", "the storage connection string is not valid");
      }
    }
    if (config.notify) {
      try {
        this.webhook = new TeamsWebhook(config.notify.webhookUrl, {
          allowLoopbackHttp: config.notify.allowLoopbackHttp,
          ...config.retries?.teams,
        });
      } catch (error) {
        if (error instanceof WebhookError) throw new CompositionError("webhook", error.message);
        throw error;
      }
    }
  }

  private async previousState(lockProblem?: string): Promise<{ previous: Finding[]; unreadable?: string }> {
    if (this.storage && lockProblem !== undefined) {
      // Without the lock the stored state is not this run's to read or write: the run is kept locally only.
      return { previous: this.config.out ? await readState(this.config.out) : [], unreadable: lockProblem };
    }
    if (this.storage) {
      try {
        return { previous: await this.storage.loadState() };
      } catch (error) {
        // Storage down or refusing: the audit still runs, and its findings still reach --out.
        const unreadable = describeStorageError(error);
        return { previous: this.config.out ? await readState(this.config.out) : [], unreadable };
      }
    }
    return { previous: this.config.out ? await readState(this.config.out) : [] };
  }

  private async connect(): Promise<{ connection: ArmConnection; emulator?: RunningEmulator }> {
    const { arm, retries } = this.config;
    const retryOptions = retries?.arm ? { retryOptions: retries.arm } : {};
    if (arm.kind === "tenant") {
      // Loaded only for a tenant file: an audit of Azure never pays for the emulator (or its TLS key).
      const { startEmulator } = await import("./emulator/server.js");
      const emulator = await startEmulator(arm.tenant, arm.emulator);
      return {
        connection: {
          endpoint: emulator.url,
          credential: EMULATOR_CREDENTIAL,
          ca: emulator.ca,
          ...retryOptions,
        },
        emulator,
      };
    }
    // Loaded only for real ARM: a tenant-file run never needs the identity library.
    const { DefaultAzureCredential } = await import("@azure/identity");
    return {
      connection: { endpoint: arm.endpoint, credential: new DefaultAzureCredential(), ...retryOptions },
    };
  }

  private notify(hooks: RunHooks): Notify | undefined {
    const { notify, out } = this.config;
    if (!notify || !this.webhook) return undefined;
    const pending = this.storage
      ? this.storage.pendingDigests()
      : out
        ? localPendingDigests(out)
        : { load: () => Promise.resolve({ digests: [] }), save: () => Promise.resolve() };
    return {
      webhook: this.webhook,
      mode: notify.mode,
      pending,
      ...(notify.dashboardUrl ? { dashboardUrl: notify.dashboardUrl } : {}),
      ...(hooks.resume?.digestPosted ? { alreadyPosted: true } : {}),
    };
  }

  private pendingRows(): PendingRows {
    if (this.storage) return this.storage.pendingRows();
    if (this.config.out) return localPendingRows(this.config.out);
    return {
      load: () => Promise.resolve([]),
      save: () => Promise.reject(new Error("nowhere to keep rows: no storage and no --out folder")),
    };
  }

  private async logs(connection: ArmConnection): Promise<{ sink?: LogsSink; receiver?: LogsReceiver }> {
    const { logs, arm, retries } = this.config;
    if (!logs) return {};
    const retryOptions = retries?.logs ? { retryOptions: retries.logs } : {};
    if (logs === "local") {
      if (arm.kind !== "tenant")
        throw new CompositionError("logs", "a local Log Analytics receiver is for tenant files only");
      const { startLogsReceiver } = await import("./emulator/logs-receiver.js");
      const receiver = await startLogsReceiver();
      const target = { endpoint: receiver.url, ruleId: receiver.ruleId };
      const client = () =>
        logsClient({ ...target, credential: connection.credential, ca: receiver.ca, ...retryOptions });
      return { sink: new LogsSink(target, client, this.pendingRows()), receiver };
    }
    // The run's own credential: the identity that reads ARM sends the rows (Monitoring Metrics Publisher).
    const client = () => logsClient({ ...logs, credential: connection.credential, ...retryOptions });
    return { sink: new LogsSink(logs, client, this.pendingRows()) };
  }

  /** Reads the tenant, judges it, reconciles with the stored state and publishes the run. */
  async execute(hooks: RunHooks = {}): Promise<RunOutcome> {
    const lock = await this.takeLock(hooks);
    const callers = hooks.lock !== undefined && "held" in hooks.lock;
    try {
      return await this.executeLocked(
        {
          ...hooks,
          ...(lock.runId ? { runId: lock.runId } : {}),
          beforePublish: async () => {
            await hooks.beforePublish?.();
            // The caller's lock (the worker's): losing it fails the attempt, and the queue tries the run again.
            if (callers) lock.held?.assertHeld();
          },
        },
        lock.problem,
        callers ? undefined : lock.held,
      );
    } finally {
      if (lock.held && !callers) await lock.held.release();
    }
  }

  /**
   * The state lock, when there is storage: held already, or taken now (waiting as `hooks.lock` says). Storage
   * that cannot be asked for it is the same as storage whose state cannot be read: the run is kept locally.
   */
  private async takeLock(hooks: RunHooks): Promise<{ held?: HeldLock; runId?: string; problem?: string }> {
    if (!this.storage) return {};
    if (hooks.lock && "held" in hooks.lock) return { held: hooks.lock.held };
    const wait = hooks.lock ?? { maxSeconds: 0 };
    const lock = new StateLock(this.storage.containerClient, { durationSeconds: CLI_LOCK_SECONDS });
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      // Named when the lock is taken: a run that waited is a run that starts then.
      const runId = hooks.runId ?? newRunId(new Date());
      let taken: Awaited<ReturnType<StateLock["tryAcquire"]>>;
      try {
        await this.storage.prepare();
        taken = await lock.tryAcquire(runId);
      } catch (error) {
        return { runId, problem: `the state lock could not be taken: ${describeStorageError(error)}` };
      }
      if (taken.acquired) return { held: taken.lock, runId };
      const waited = (Date.now() - started) / 1000;
      const left = wait.maxSeconds - waited;
      if (left <= 0)
        throw new LockBusyError(
          `the state lock on Azure Storage (audit/${LOCK_BLOB}) is held by another run${taken.holder ? ` (run ${taken.holder})` : ""}${wait.maxSeconds > 0 ? `, still after ${Math.round(waited)} s` : ""}; nothing was read or written. A run that stopped without releasing it lets it lapse within 60 s.`,
        );
      // 1, 2, 4, 8, then every 10 s: a lock that a short run or a killed CLI holds is taken soon after.
      const next = Math.min(left, 2 ** Math.min(attempt, 3), 10);
      wait.onWait?.({
        ...(taken.holder ? { holder: taken.holder } : {}),
        waitedSeconds: waited,
        nextSeconds: next,
      });
      await new Promise((resolve) => setTimeout(resolve, next * 1000));
    }
  }

  private async executeLocked(
    hooks: RunHooks,
    lockProblem: string | undefined,
    ownLock: HeldLock | undefined,
  ): Promise<RunOutcome> {
    const { previous, unreadable } = await this.previousState(lockProblem);
    const { connection, emulator } = await this.connect();
    const logs = await this.logs(connection).catch(async (error: unknown) => {
      await emulator?.close();
      throw error;
    });
    // Only the archive needs the inventory: without storage nothing keeps it.
    const inventory = this.storage ? await InventorySpool.open() : undefined;
    try {
      const audited = await runAudit({
        connection,
        source: this.config.source,
        policy: this.config.policy,
        scope: this.config.scope,
        previous,
        ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
        ...(hooks.now ? { now: hooks.now } : {}),
        ...(hooks.runId ? { runId: hooks.runId } : {}),
        ...(inventory ? { onInventory: (resources) => inventory.add(resources) } : {}),
      });
      await hooks.beforePublish?.();
      // This run's own lock (the CLI's), lost while it read the tenant (storage unreachable for longer than the
      // lease, say): another run may have written the state since, so this one keeps its results locally.
      const lockLost = unreadable === undefined ? ownLock?.lost() : undefined;
      const notify = this.notify(hooks);
      const publication = await publishRun(audited, {
        ...(unreadable !== undefined ? { stateUnreadable: unreadable } : {}),
        ...(lockLost !== undefined ? { lockLost } : {}),
        ...(this.storage ? { storage: this.storage } : {}),
        ...(inventory ? { inventory } : {}),
        ...(notify ? { notify } : {}),
        ...(hooks.onPublishStep ? { onStep: hooks.onPublishStep } : {}),
        ...(logs.sink ? { logs: { sink: logs.sink, trigger: hooks.trigger ?? "cli" } } : {}),
        ...(this.config.out ? { local: new LocalRun(this.config.out, audited.summary.runId) } : {}),
      });
      const result = { ...audited, summary: publication.summary };
      return {
        result,
        publication,
        ...(unreadable !== undefined ? { stateUnreadable: unreadable } : {}),
        ...(logs.receiver
          ? {
              logsReceived: {
                rows: logs.receiver.rows,
                requests: logs.receiver.requests,
                problems: logs.receiver.problems,
              },
            }
          : {}),
      };
    } finally {
      await inventory?.discard();
      await emulator?.close();
      await logs.receiver?.close();
    }
  }
}
