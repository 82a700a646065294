/**
 * One run, composed from a typed configuration: the ARM connection (Azure, or the emulator serving a
 * tenant file), the storage sinks, the Teams notifier, the audit and its publication. The CLI and every
 * function build their configuration and call this; the wiring exists only here.
 */
import type { PipelineRetryOptions } from "@azure/core-rest-pipeline";
import { runAudit, type AuditResult } from "./audit.js";
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
}

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

  private async previousState(): Promise<{ previous: Finding[]; unreadable?: string }> {
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
    const { previous, unreadable } = await this.previousState();
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
      const notify = this.notify(hooks);
      const publication = await publishRun(audited, {
        ...(unreadable !== undefined ? { stateUnreadable: unreadable } : {}),
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
