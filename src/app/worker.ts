/**
 * The queue worker: every run, scheduled or requested, is done here, once.
 *
 * - A message for a finished run does nothing (a redelivery, or a run already done by another worker).
 * - The state lock (a blob lease) is taken first: a run that finds it held waits, re-enqueued with a
 *   delay and still `queued`, and is never failed for it.
 * - With the lock, the run is claimed by an ETag update of its row, then audited and published. Its row
 *   carries its progress, at a bounded rate, and how it ended.
 * - A worker that dies leaves a lease that lapses and a message that comes back: the run is then done
 *   again, whole, from the state as it was before it, and an earlier attempt's digest is not repeated.
 * - A bad setting fails the run at once (its row says which setting); any other failure is left to the
 *   host's retries, and after the last one `auditWorkerPoison` records the run failed.
 */
import { readFile } from "node:fs/promises";
import type { InvocationContext } from "@azure/functions";
import type { AuditConfig, Composition, RunHooks, RunOutcome } from "../compose.js";
import { loadTenantFile, TenantFileError } from "../emulator/tenant-file.js";
import type { Progress } from "../inventory/index.js";
import {
  readAuditSettings,
  readLogsSettings,
  readNotifySettings,
  setting,
  SettingError,
  type Environment,
} from "../settings.js";
import { parseRunMessage, type RunMessage } from "../sinks/run-queue.js";
import { FINISHED, type RunRecord, type RunStore } from "../sinks/runs.js";
import type { AuditStorage } from "../sinks/storage.js";
import { redact } from "./http.js";
import { services, type ServiceOptions, type Services } from "./services.js";

export interface WorkerOptions extends ServiceOptions {
  /** How long a run that found the lock taken waits before it looks again (seconds). */
  lockWaitSeconds?: number;
  /** Progress is written to the run's row at most this often. */
  progressIntervalMs?: number;
  retries?: AuditConfig["retries"];
  /** Runs the composed audit; tests wrap it to make an attempt fail at a chosen point. */
  execute?: (composition: Composition, hooks: RunHooks) => Promise<RunOutcome>;
}

export type WorkerOutcome = "ignored" | "already-finished" | "waiting" | "done";

/** A run that cannot start with these settings: recorded failed, and the invocation fails. */
class RunConfigurationError extends Error {
  override name = "RunConfigurationError";
}

/** The Log Analytics settings, with the certificate a local receiver needs read from its file. */
async function logsTarget(env: Environment): Promise<AuditConfig["logs"]> {
  const logs = readLogsSettings(env);
  if (!logs) return undefined;
  const { caFile, ...target } = logs;
  if (caFile === undefined) return target;
  try {
    return { ...target, ca: await readFile(caFile, "utf8") };
  } catch (error) {
    throw new SettingError(
      "AUDIT_LOGS_CA_FILE",
      `AUDIT_LOGS_CA_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/**
 * A run that ends failed tells Log Analytics too: the audit-stopped alert looks for it. With the run's
 * credential (the emulator's for a tenant file); what cannot be sent is kept for the next run, and nothing here
 * fails the caller.
 */
async function logFailedRun(
  env: Environment,
  storage: AuditStorage,
  run: { runId: string; trigger: string; startedAt?: Date },
  reason: string,
  context: InvocationContext,
): Promise<void> {
  try {
    const logs = await logsTarget(env);
    if (!logs || logs === "local") return;
    const [{ LogsSink, logsClient }, { RUNS_TABLE, failedRunRow }] = await Promise.all([
      import("../sinks/log-analytics/ingest.js"),
      import("../sinks/log-analytics/schema.js"),
    ]);
    const credential =
      setting(env, "AUDIT_TENANT_FILE") !== undefined
        ? (await import("../inventory/connection.js")).EMULATOR_CREDENTIAL
        : new (await import("@azure/identity")).DefaultAzureCredential();
    const sink = new LogsSink(logs, () => logsClient({ ...logs, credential }), storage.pendingRows());
    const row = failedRunRow(run.runId, run.trigger, reason, new Date(), run.startedAt);
    const delivery = await sink.send(run.runId, { [RUNS_TABLE.stream]: [row] });
    for (const error of delivery.errors) context.warn(`run ${run.runId}: Log Analytics: ${error}`);
  } catch (error) {
    context.warn(`run ${run.runId}: its failure was not sent to Log Analytics (${(error as Error).name})`);
  }
}

async function configFor(env: Environment, run: RunRecord, options: WorkerOptions): Promise<AuditConfig> {
  const settings = readAuditSettings(env);
  // Nightly runs post the digest when a webhook is set; a requested run only when it asked to.
  const notify = run.trigger === "schedule" || run.request.notify ? readNotifySettings(env) : undefined;
  const logs = await logsTarget(env);
  let arm: AuditConfig["arm"] = { kind: "azure", endpoint: "https://management.azure.com" };
  if (settings.tenantFile !== undefined) {
    try {
      arm = { kind: "tenant", tenant: await loadTenantFile(settings.tenantFile) };
    } catch (error) {
      if (error instanceof TenantFileError)
        throw new SettingError("AUDIT_TENANT_FILE", `AUDIT_TENANT_FILE: ${error.message}`);
      throw error;
    }
  }
  const pick = (requested: string[] | undefined, configured: string[]) =>
    requested?.length ? requested : configured;
  return {
    arm,
    source: run.request.source ?? settings.source,
    policy: settings.policy,
    scope: {
      subscriptions: pick(run.request.subscriptions, settings.scope.subscriptions),
      managementGroups: pick(run.request.managementGroups, settings.scope.managementGroups),
      excludeSubscriptions: pick(run.request.excludeSubscriptions, settings.scope.excludeSubscriptions),
    },
    storage: services(env, options).storageTarget,
    ...(notify ? { notify } : {}),
    ...(logs ? { logs } : {}),
    ...(options.retries ? { retries: options.retries } : {}),
  };
}

/** Writes progress to the row no more often than `intervalMs`, one write at a time, never failing the run. */
function progressWriter(runs: RunStore, runId: string, intervalMs: number, context: InvocationContext) {
  let last = 0;
  let inFlight: Promise<void> | undefined;
  let latest: Progress | undefined;
  let warned = false;
  const write = (progress: Progress) => {
    inFlight = runs
      .progress(runId, progress, new Date())
      .catch(() => {
        if (!warned) context.warn(`run ${runId}: progress could not be written (the run goes on)`);
        warned = true;
      })
      .finally(() => {
        inFlight = undefined;
      });
  };
  return {
    update(progress: Progress) {
      latest = structuredClone(progress);
      const now = Date.now();
      if (inFlight || now - last < intervalMs) return;
      last = now;
      write(latest);
    },
    /** The last figures, written once the tenant has been read. */
    async flush() {
      await inFlight;
      if (latest) {
        write(latest);
        await inFlight;
      }
    },
  };
}

/** The run a queue message names; a message that names none is logged (it cannot be retried into sense) and dropped. */
function readMessage(body: unknown, context: InvocationContext, handler: string): RunMessage | undefined {
  const { message, problem } = parseRunMessage(body);
  if (!message) context.warn(`${handler}: message ignored: ${problem ?? "unreadable"}`);
  return message;
}

/**
 * The run that holds the lock, when the lock blob's name for it can be trusted: not this run (another
 * delivery of its own message) and not a run that has finished (a name left by a holder that died).
 */
async function currentHolder(
  runs: RunStore,
  runId: string,
  named: string | undefined,
): Promise<string | undefined> {
  if (!named || named === runId) return undefined;
  const holder = await runs.get(named).catch(() => undefined);
  return holder && holder.status === "running" ? named : undefined;
}

/** Claims the run, re-reading it when another writer changed the row in between. */
async function claim(runs: RunStore, record: RunRecord): Promise<RunRecord | undefined> {
  let current: RunRecord | undefined = record;
  for (let attempt = 0; attempt < 3 && current && !FINISHED.includes(current.status); attempt += 1) {
    const claimed = await runs.claim(current, new Date());
    if (claimed) return claimed;
    current = await runs.get(record.runId);
  }
  return undefined;
}

/**
 * Runs the message's run. Whatever fails — storage before the lease as much as the audit after it — is
 * recorded on the run's row, explained and redacted, before the host retries the message; the poison
 * handler reports it after the last try.
 */
export async function processRunMessage(
  body: unknown,
  context: InvocationContext,
  env: Environment,
  options: WorkerOptions = {},
): Promise<WorkerOutcome> {
  const message = readMessage(body, context, "auditWorker");
  if (!message) return "ignored";
  const { runId } = message;
  try {
    return await runMessage(runId, context, env, options);
  } catch (error) {
    if (!(error instanceof RunConfigurationError)) {
      const svc = services(env, options);
      const text = redact(describeFailure(error, svc), env);
      context.error(`auditWorker: run ${runId} failed on this attempt: ${text}`);
      await svc.runs.update(runId, { error: text.slice(0, 2000) }).catch(() => undefined);
    }
    throw error;
  }
}

function describeFailure(error: unknown, svc: Services): string {
  const explained = svc.explain(error);
  if (explained) return explained;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function runMessage(
  runId: string,
  context: InvocationContext,
  env: Environment,
  options: WorkerOptions,
): Promise<WorkerOutcome> {
  const { storage, runs, queue, lock } = services(env, options);
  await storage.prepare();
  const record = await runs.get(runId);
  if (!record) {
    context.warn(`auditWorker: run ${runId} is not in the runs table; message ignored`);
    return "ignored";
  }
  if (FINISHED.includes(record.status)) {
    context.info(`auditWorker: run ${runId} is ${record.status} already; nothing to do`);
    return "already-finished";
  }

  const attempt = await lock.tryAcquire(runId);
  if (!attempt.acquired) {
    const wait = options.lockWaitSeconds ?? 60;
    const holder = await currentHolder(runs, runId, attempt.holder);
    await runs.setWaitingFor(record, holder);
    await queue.send({ runId }, wait);
    context.info(
      attempt.holder === runId
        ? `auditWorker: run ${runId} is being run by another delivery of its message; this copy looks again in ${wait} s`
        : `auditWorker: run ${runId} waits ${wait} s: the state lock is held${holder ? ` by run ${holder}` : ""}`,
    );
    return "waiting";
  }

  const held = attempt.lock;
  try {
    const claimed = await claim(runs, record);
    if (!claimed) {
      context.info(`auditWorker: run ${runId} was finished by another worker; nothing to do`);
      return "already-finished";
    }
    if (claimed.attempt > 1)
      context.warn(
        `auditWorker: run ${runId}, attempt ${claimed.attempt}: an earlier attempt did not finish`,
      );

    // The audit's own modules (ARM SDKs) load with the first run, not with the app: the HTTP functions
    // of a cold instance never wait for them.
    const { Composition, CompositionError } = await import("../compose.js");
    let composition: Composition;
    try {
      composition = new Composition(await configFor(env, claimed, options));
    } catch (error) {
      const reason =
        error instanceof SettingError
          ? error.message
          : error instanceof CompositionError
            ? `${error.part === "storage" ? "AUDIT_STORAGE" : "TEAMS_WEBHOOK_URL"}: ${error.message}`
            : undefined;
      if (reason === undefined) throw error;
      await runs.fail(runId, `configuration: ${reason}`, new Date());
      context.error(`auditWorker: run ${runId} failed: configuration: ${reason}`);
      await logFailedRun(
        env,
        storage,
        { runId, trigger: claimed.trigger },
        `configuration: ${reason}`,
        context,
      );
      throw new RunConfigurationError(`run ${runId}: configuration: ${reason}`);
    }

    const progress = progressWriter(runs, runId, options.progressIntervalMs ?? 5000, context);
    const execute = options.execute ?? ((c: Composition, hooks: RunHooks) => c.execute(hooks));
    const outcome = await execute(composition, {
      runId,
      trigger: claimed.trigger,
      onProgress: (p) => progress.update(p),
      resume: { digestPosted: claimed.digest === "posted" },
      lock: { held },
      beforePublish: () => progress.flush(),
    });
    const { summary } = outcome.result;
    // Storage took the run's other writes but not its row: recorded here, as not committed.
    if (!outcome.publication.recorded)
      await runs.finish(summary, {
        ...(outcome.publication.digest ? { digest: outcome.publication.digest } : {}),
        committed: false,
      });
    for (const error of outcome.publication.storageErrors)
      context.warn(`auditWorker: run ${runId}: Azure Storage: ${error}`);
    for (const error of outcome.publication.logs?.errors ?? [])
      context.warn(`auditWorker: run ${runId}: Log Analytics: ${error}`);
    if (outcome.publication.delivery?.error)
      context.warn(
        `auditWorker: run ${runId}: Teams digest not delivered (${outcome.publication.delivery.error})`,
      );
    context.info(
      `auditWorker: run ${runId} ${summary.complete ? "succeeded" : "incomplete"}: ${outcome.result.findings.length} findings, ${summary.new} new, ${summary.resolved} resolved`,
    );
    return "done";
  } finally {
    await held.release();
  }
}

/** After the host's last retry: the run is recorded failed, so that no run stays queued or running. */
export async function processPoisonMessage(
  body: unknown,
  context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<void> {
  const message = readMessage(body, context, "auditWorkerPoison");
  if (!message) return;
  const { runs } = services(env, options);
  const run = await runs.get(message.runId);
  if (!run || FINISHED.includes(run.status)) return;
  const reason = `the worker failed on every try the host made; last error: ${run.error ?? "not recorded"}`;
  await runs.fail(message.runId, reason, new Date());
  context.error(`auditWorkerPoison: run ${message.runId} failed: ${reason}`);
  await logFailedRun(
    env,
    services(env, options).storage,
    { runId: message.runId, trigger: run.trigger },
    reason,
    context,
  );
}
