#!/usr/bin/env node
/**
 * The command line: the same audit as the Function App, from a laptop or a pipeline.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runAudit } from "../audit.js";
import { checkDashboardUrl, parseCli, USAGE, UsageError, type CliConfig } from "../config.js";
import { startEmulator, type RunningEmulator } from "../emulator/server.js";
import { loadTenantFile, TenantFileError } from "../emulator/tenant-file.js";
import type { Finding } from "../findings/finding.js";
import { formatCsv } from "../findings/format-csv.js";
import { formatOcsf } from "../findings/format-ocsf.js";
import { formatTable } from "../findings/format-table.js";
import { readJsonFile } from "../json-file.js";
import type { Summary } from "../findings/summary.js";
import { EMULATOR_CREDENTIAL, type ArmConnection } from "../inventory/connection.js";
import type { Progress } from "../inventory/index.js";
import { DEFAULT_POLICY, parsePolicy, PolicyError } from "../policy/policy-file.js";
import { severityRank, type Policy, type Severity } from "../policy/types.js";
import { localPendingDigests, readState, StateError, writeRun } from "../sinks/local-folder.js";
import { describeStorageError, publishRun } from "../sinks/publish.js";
import { AuditStorage } from "../sinks/storage.js";
import { LOOPBACK_SETTING, TeamsWebhook, WebhookError } from "../sinks/teams-webhook.js";

export const EXIT = { ok: 0, findings: 1, usage: 2, incomplete: 3, internal: 4 } as const;

/** What @azure/identity throws when no credential can sign in: a configuration problem, not a crash. */
const SIGN_IN_ERRORS = [
  "AggregateAuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationRequiredError",
];

async function loadPolicy(path: string | undefined): Promise<Policy> {
  if (path === undefined) return DEFAULT_POLICY;
  const json = await readJsonFile(path, "policy file", (message) => new PolicyError(message));
  return parsePolicy(json, `policy file ${path}`);
}

/** One line, rewritten in place, while the audit reads the tenant (only on a terminal). */
function progressPrinter(): { update: (p: Progress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      process.stderr.write(
        `\r\u001b[2Kreading: subscriptions ${p.subscriptions.done}/${p.subscriptions.total} · workspaces ${p.workspaces} · endpoints ${p.endpoints} · deployments ${p.deployments}`,
      );
    },
    done: () => process.stderr.write("\r\u001b[2K"),
  };
}

export function exitCodeFor(
  findings: readonly Finding[],
  summary: Summary,
  failOn: Severity | undefined,
): number {
  if (
    failOn &&
    findings.some((f) => f.status !== "exempted" && severityRank(f.severity) >= severityRank(failOn))
  ) {
    return EXIT.findings;
  }
  return summary.complete ? EXIT.ok : EXIT.incomplete;
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(__dirname, "../../../package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function openStorage(connection: string): AuditStorage {
  try {
    return new AuditStorage(connection);
  } catch {
    // The connection string may hold an account key: say what is wrong, never what it was.
    throw new UsageError("--storage is not a valid storage connection string");
  }
}

function openWebhook(config: CliConfig): TeamsWebhook {
  const url = config.teamsWebhook ?? process.env.TEAMS_WEBHOOK_URL;
  if (!url) throw new UsageError("--notify needs the webhook in TEAMS_WEBHOOK_URL (or --teams-webhook URL)");
  try {
    return new TeamsWebhook(url, { allowLoopbackHttp: process.env[LOOPBACK_SETTING] === "true" });
  } catch (error) {
    if (error instanceof WebhookError) throw new UsageError(error.message);
    throw error;
  }
}

async function run(config: CliConfig): Promise<number> {
  // Everything the run needs is read and validated before anything is started or written.
  const policy = await loadPolicy(config.policy);
  const tenant = config.tenant === undefined ? undefined : await loadTenantFile(config.tenant);
  const storage = config.storage === undefined ? undefined : openStorage(config.storage);
  const webhook = config.notify ? openWebhook(config) : undefined;
  const dashboardSetting = config.dashboardUrl ?? (process.env.AUDIT_DASHBOARD_URL || undefined);
  const dashboardUrl =
    config.notify && dashboardSetting
      ? checkDashboardUrl(config.dashboardUrl ? "--dashboard-url" : "AUDIT_DASHBOARD_URL", dashboardSetting)
      : undefined;
  let stateUnreadable: string | undefined;
  let previous: Awaited<ReturnType<typeof readState>> | undefined;
  if (storage) {
    try {
      previous = await storage.loadState();
    } catch (error) {
      // Storage down or refusing: the audit still runs and its findings still reach --out.
      stateUnreadable = describeStorageError(error);
    }
  }
  previous ??= await readState(config.out);

  let emulator: RunningEmulator | undefined;
  try {
    let connection: ArmConnection;
    if (tenant) {
      emulator = await startEmulator(tenant);
      connection = { endpoint: emulator.url, credential: EMULATOR_CREDENTIAL, ca: emulator.ca };
    } else {
      // Loaded only for real ARM: a --tenant run never needs the identity library.
      const { DefaultAzureCredential } = await import("@azure/identity");
      connection = { endpoint: config.armEndpoint, credential: new DefaultAzureCredential() };
    }
    const progress = progressPrinter();
    const audited = await runAudit({
      connection,
      source: config.source,
      policy,
      scope: { subscriptions: config.subscriptions, managementGroups: config.managementGroups },
      previous,
      onProgress: progress.update,
    });
    progress.done();
    const publication = await publishRun(audited, {
      ...(stateUnreadable !== undefined ? { stateUnreadable } : {}),
      ...(storage ? { storage } : {}),
      ...(webhook
        ? {
            notify: {
              webhook,
              mode: config.teamsMode,
              ...(dashboardUrl ? { dashboardUrl } : {}),
              pending: storage ? storage.pendingDigests() : localPendingDigests(config.out),
            },
          }
        : {}),
    });
    const result = { ...audited, summary: publication.summary };
    await writeRun(config.out, result);
    for (const error of publication.storageErrors) process.stderr.write(`warning: Azure Storage: ${error}\n`);
    if (publication.delivery?.error) {
      process.stderr.write(
        `warning: Teams digest not delivered (${publication.delivery.error}); ${publication.delivery.kept} kept for the next run\n`,
      );
    }
    if (config.format === "json") {
      process.stdout.write(`${JSON.stringify(result.findings, null, 2)}\n`);
    } else if (config.format === "csv") {
      process.stdout.write(formatCsv(result.findings));
    } else if (config.format === "ocsf") {
      process.stdout.write(
        formatOcsf(result.findings, { productVersion: await version(), profile: result.summary.profile }),
      );
    } else {
      process.stdout.write(
        formatTable(result.findings, result.summary, {
          color: process.stdout.isTTY === true,
          ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}),
          outDir: config.out,
        }),
      );
    }
    return exitCodeFor(result.findings, result.summary, config.failOn);
  } finally {
    await emulator?.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const config = parseCli(argv);
    if (config.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (config.version) {
      process.stdout.write(`${await version()}\n`);
      return EXIT.ok;
    }
    return await run(config);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof PolicyError || error instanceof TenantFileError || error instanceof StateError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof Error && SIGN_IN_ERRORS.includes(error.name)) {
      const details = error.message.split("\n").slice(0, 4).join("\n  ");
      process.stderr.write(
        `error: cannot sign in to Azure: no credential is available. Run "az login", or give the process a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate; or use --tenant FILE to audit a tenant file offline.\n  ${details}\n`,
      );
      return EXIT.usage;
    }
    process.stderr.write(
      `error: the audit failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT.internal;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
