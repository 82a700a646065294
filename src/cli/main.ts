#!/usr/bin/env node
/**
 * The command line: the same audit as the Function App, from a laptop or a pipeline.
 */
import { createReadStream } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { Composition, CompositionError, LockBusyError, type AuditConfig } from "../compose.js";
import { checkDashboardUrl, parseCli, USAGE, UsageError, type CliConfig } from "./config.js";
import { loadTenantFile, TenantFileError } from "../emulator/tenant-file.js";
import type { Finding } from "../findings/finding.js";
import { formatCsv } from "../findings/format-csv.js";
import { formatOcsf } from "../findings/format-ocsf.js";
import { formatTable } from "../findings/format-table.js";
import { readJsonFile } from "../common/json-file.js";
import type { Summary } from "../findings/summary.js";
import type { Progress } from "../inventory/index.js";
import { DEFAULT_POLICY, parsePolicy, PolicyError } from "../policy/policy-file.js";
import { severityRank, type Policy, type Severity } from "../policy/types.js";
import { setting } from "../settings.js";
import { StateError } from "../sinks/local-folder.js";
import { REPORT_FILE, reportStream } from "../report/page.js";
import { visibleLines } from "../common/text.js";

/** An identity library's message may quote a secret it was given (read by it, not by us): never echoed. */
function redactSecrets(text: string, env: NodeJS.ProcessEnv): string {
  let out = text;
  for (const name of ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD"]) {
    const value = env[name];
    if (value && value.length >= 4) out = out.split(value).join(`[${name}]`);
  }
  return out;
}

export const EXIT = { ok: 0, findings: 1, usage: 2, incomplete: 3, internal: 4 } as const;

/** What @azure/identity throws when no credential can sign in: a configuration problem, not a crash. */
const SIGN_IN_ERRORS = [
  "AggregateAuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationRequiredError",
  // A credential that was found but refused (EnvironmentCredential with a wrong secret, say).
  "AuthenticationError",
];

/**
 * A sign-in that reached no server: Node's socket errors, and MSAL's codes for them (it reports an authority
 * whose metadata it could not fetch as `endpoints_resolution_error`, hiding the socket error beneath).
 */
const NETWORK_ERROR =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|getaddrinfo|socket hang up|endpoints_resolution_error|network_error)\b/;

async function loadPolicy(path: string | undefined): Promise<Policy> {
  if (path === undefined) return DEFAULT_POLICY;
  const json = await readJsonFile(path, "policy file", (message) => new PolicyError(message));
  return parsePolicy(json, `policy file ${path}`);
}

/**
 * A message for the terminal: whatever it quotes (a tenant's names, an error from a file or a service) has its
 * control characters shown as escapes, so that nothing can move the cursor or smuggle a link.
 */
function say(text: string): void {
  process.stderr.write(visibleLines(text));
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
        `\r\u001b[2Kreading: subscriptions ${p.subscriptions.done}/${p.subscriptions.total} · workspaces ${p.workspaces} · endpoints ${p.endpoints} · deployments ${p.deployments} · accounts ${p.accounts}`,
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

/** The flags, the files they name and the settings the CLI shares with the app, as one configuration. */
async function auditConfig(config: CliConfig): Promise<AuditConfig> {
  const policy = await loadPolicy(config.policy);
  const tenant = config.tenant === undefined ? undefined : await loadTenantFile(config.tenant);
  let notify: AuditConfig["notify"];
  if (config.notify) {
    const webhookUrl = config.teamsWebhook ?? setting(process.env, "TEAMS_WEBHOOK_URL");
    if (!webhookUrl)
      throw new UsageError("--notify needs the webhook in TEAMS_WEBHOOK_URL (or --teams-webhook URL)");
    const dashboardSetting = config.dashboardUrl ?? setting(process.env, "AUDIT_DASHBOARD_URL");
    const dashboardUrl = dashboardSetting
      ? checkDashboardUrl(config.dashboardUrl ? "--dashboard-url" : "AUDIT_DASHBOARD_URL", dashboardSetting)
      : undefined;
    notify = {
      webhookUrl,
      mode: config.teamsMode,
      allowLoopbackHttp: setting(process.env, "AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP") === "true",
      ...(dashboardUrl ? { dashboardUrl } : {}),
    };
  }
  return {
    arm: tenant ? { kind: "tenant", tenant } : { kind: "azure", endpoint: config.armEndpoint },
    source: config.source,
    policy,
    scope: { subscriptions: config.subscriptions, managementGroups: config.managementGroups },
    ...(config.storage !== undefined
      ? { storage: { kind: "connectionString", connectionString: config.storage } as const }
      : {}),
    ...(notify ? { notify } : {}),
    ...(config.logs ? { logs: config.logs } : {}),
    out: config.out,
  };
}

function compose(config: AuditConfig): Composition {
  try {
    return new Composition(config);
  } catch (error) {
    if (error instanceof CompositionError)
      throw new UsageError(
        error.part === "storage"
          ? "--storage is not a valid storage connection string"
          : error.part === "logs"
            ? `--logs-endpoint: ${error.message}`
            : error.message,
      );
    throw error;
  }
}

/**
 * `--out` must be a folder this process can write, checked before anything is read or written: a run that
 * could not keep its own results must not publish them elsewhere first.
 */
async function checkOutDir(dir: string): Promise<void> {
  const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? "error";
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`--out ${dir} is not a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (code(error) === "ENOTDIR")
      throw new UsageError(`--out ${dir} is not a directory (a file is in its path)`);
    if (code(error) !== "ENOENT") throw new UsageError(`--out ${dir} cannot be used (${code(error)})`);
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(
      code(error) === "ENOTDIR" || code(error) === "EEXIST"
        ? `--out ${dir} is not a directory (a file is in its path)`
        : `--out ${dir} cannot be created (${code(error)})`,
    );
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    throw new UsageError(`--out ${dir} is not writable (${code(error)})`);
  }
}

async function run(config: CliConfig): Promise<number> {
  // Everything the run needs is read and validated before anything is started or written.
  const composition = compose(await auditConfig(config));
  await checkOutDir(config.out);
  const progress = progressPrinter();
  const { result, publication, logsReceived } = await composition.execute({
    onProgress: progress.update,
    lock: {
      maxSeconds: config.lockWaitSeconds,
      onWait: ({ holder, waitedSeconds, nextSeconds }) =>
        say(
          `waiting: the state lock on Azure Storage is held by another run${holder ? ` (run ${holder})` : ""}; looking again in ${nextSeconds} s (waited ${Math.round(waitedSeconds)} of ${config.lockWaitSeconds} s)\n`,
        ),
    },
  });
  progress.done();
  if (publication.logs) {
    const l = publication.logs;
    say(
      `Log Analytics: ${l.sent} rows sent (${(l.bytes / 1024).toFixed(1)} KB of JSON)${l.sentFromEarlierRuns ? `, ${l.sentFromEarlierRuns} of them kept by earlier runs` : ""}${l.kept ? `; ${l.kept} kept for the next run` : ""}${l.dropped ? `; ${l.dropped} dropped` : ""}\n`,
    );
    for (const error of l.errors) say(`warning: Log Analytics: ${error}\n`);
  }
  if (logsReceived) {
    const file = join(config.out, "logs-received.json");
    await writeFile(file, `${JSON.stringify(logsReceived.rows, null, 2)}\n`);
    const taken = logsReceived.requests.filter((r) => r.status === 204);
    const gzip = taken.reduce((n, r) => n + r.gzipBytes, 0);
    say(
      `Log Analytics (local receiver): ${taken.length} calls, ${(gzip / 1024).toFixed(1)} KB gzipped; rows in ${file}${logsReceived.problems.length ? `; ${logsReceived.problems.length} rows do not match their table: ${logsReceived.problems.slice(0, 3).join("; ")}` : "; every row matches its table"}\n`,
    );
  }
  for (const error of publication.storageErrors) say(`warning: Azure Storage: ${error}\n`);
  if (publication.outputError)
    say(`warning: output folder ${config.out}: not written (${publication.outputError})\n`);
  for (const warning of publication.delivery?.warnings ?? []) say(`warning: ${warning}\n`);
  if (publication.delivery?.error) {
    say(
      `warning: Teams digest not delivered (${publication.delivery.error}); ${publication.delivery.kept} kept for the next run\n`,
    );
  }
  if (config.format === "json") {
    process.stdout.write(`${JSON.stringify(result.findings, null, 2)}\n`);
  } else if (config.format === "csv") {
    process.stdout.write(formatCsv(result.findings));
  } else if (config.format === "html") {
    // The page as the folder has it (with its trend) when the folder took the run; else this run alone.
    const saved = publication.outputError === undefined && publication.outputFiles !== undefined;
    const page = saved
      ? createReadStream(join(config.out, REPORT_FILE))
      : reportStream({ summary: publication.summary, findings: result.findings });
    await pipeline(page, process.stdout, { end: false });
  } else if (config.format === "ocsf") {
    process.stdout.write(
      formatOcsf(result.findings, { productVersion: await version(), profile: result.summary.profile }),
    );
  } else {
    process.stdout.write(
      formatTable(result.findings, result.summary, {
        color: process.stdout.isTTY === true,
        ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}),
        // A folder the run could not write holds no findings.json of this run to point at.
        ...(publication.outputError === undefined
          ? { outDir: config.out }
          : { outputUnsaved: publication.committed === false }),
      }),
    );
  }
  return exitCodeFor(result.findings, result.summary, config.failOn);
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
      say(`error: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof LockBusyError) {
      // Another run is writing the state: this one read and wrote nothing, and is incomplete, not broken.
      say(`error: ${error.message}\n`);
      return EXIT.incomplete;
    }
    if (error instanceof PolicyError || error instanceof TenantFileError || error instanceof StateError) {
      say(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof Error && SIGN_IN_ERRORS.includes(error.name)) {
      const details = redactSecrets(error.message.split("\n").slice(0, 4).join("\n  "), process.env);
      // A sign-in that never reached Microsoft Entra ID is a network problem, whatever the credential says.
      const network = NETWORK_ERROR.exec(error.message)?.[0];
      const refused = error.name === "AuthenticationError";
      say(
        network !== undefined
          ? `error: cannot sign in to Azure: Microsoft Entra ID could not be reached (${network}). Check the network, DNS and any proxy (HTTPS_PROXY) between this machine and login.microsoftonline.com; the credential itself was not refused.\n  ${details}\n`
          : refused
            ? `error: cannot sign in to Azure: the credential was refused. Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret or certificate (AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH) and that it has not expired; or unset them to use "az login" or a managed identity.\n  ${details}\n`
            : `error: cannot sign in to Azure: no credential is available. Run "az login", or give the process a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate; or use --tenant FILE to audit a tenant file offline.\n  ${details}\n`,
      );
      return EXIT.usage;
    }
    say(`error: the audit failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.internal;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
