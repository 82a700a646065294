/**
 * Command-line flags → a typed, validated configuration. Every refusal names the flag and what it
 * expected; nothing runs until the whole configuration is valid.
 */
import { parseArgs } from "node:util";
import { connectionStringProblem } from "../common/connection-string.js";
import { shown } from "../common/text.js";
import type { Source } from "../inventory/index.js";
import { SEVERITIES, type Severity } from "../policy/types.js";
import { DIGEST_MODES, type DigestMode } from "../sinks/teams-card.js";

export const FORMATS = ["table", "json", "csv", "ocsf", "html"] as const;
export type Format = (typeof FORMATS)[number];

export interface CliConfig {
  tenant?: string;
  armEndpoint: string;
  source: Source;
  subscriptions: string[];
  managementGroups: string[];
  policy?: string;
  out: string;
  format: Format;
  failOn?: Severity;
  /** A storage connection string (a secret: never echoed). */
  storage?: string;
  notify: boolean;
  /** Overrides TEAMS_WEBHOOK_URL (a secret: never echoed). */
  teamsWebhook?: string;
  teamsMode: DigestMode;
  /** With storage: how long the run waits for the state lock another run holds. */
  lockWaitSeconds: number;
  /** The security dashboard the digest links to (else AUDIT_DASHBOARD_URL). */
  dashboardUrl?: string;
  /** Log Analytics: the DCR's ingestion endpoint and immutable id, or a local receiver (tenant files). */
  logs?: { endpoint: string; ruleId: string } | "local";
  help: boolean;
  version: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `Usage: npm run audit -- [options]

Audits the network isolation of Azure Machine Learning workspaces, online endpoints and deployments.

  --tenant FILE             audit a tenant file through the bundled ARM emulator (no Azure account)
  --arm-endpoint URL        ARM endpoint (default https://management.azure.com); signs in with
                            DefaultAzureCredential (az login, managed identity, environment)
  --source arg|arm          read with Azure Resource Graph (default) or ARM list calls
  --subscription ID         audit this subscription (repeatable; default: every readable one)
  --management-group ID     audit the subscriptions under this management group (repeatable)
  --policy FILE             policy file: profile, rule overrides, exemptions, scope
  --out DIR                 where findings.json, summary.json, report.html and state.json go
                            (default ./audit-output)
  --format FORMAT           what stdout shows: table (default), json, csv, ocsf, html (the report page)
  --fail-on SEVERITY        exit 1 when a new or open finding is at or above: ${SEVERITIES.join(", ")}
  --storage CONNECTION      also write to Azure Storage (a connection string, or UseDevelopmentStorage=true)
                            and reconcile against its findings table instead of the --out folder
  --lock-wait SECONDS       with --storage: how long to wait while another run holds the state lock
                            (default 1800; 0: do not wait)
  --notify                  post the Teams digest to the webhook in TEAMS_WEBHOOK_URL
  --teams-webhook URL       the webhook, instead of TEAMS_WEBHOOK_URL
  --teams-mode MODE         when to post: changes (default: something new or resolved), always, off
  --dashboard-url URL       the security dashboard the digest links to (else AUDIT_DASHBOARD_URL)
  --logs-endpoint URL       send findings and the run to Log Analytics: the data collection rule's logs
                            ingestion endpoint (with --logs-rule-id); "local" with --tenant: a receiver on
                            this machine, whose rows go to the --out folder's logs-received.json
  --logs-rule-id ID         the data collection rule's immutable id (dcr-…)
  -h, --help                this text
  --version                 the version

Exit codes: 0 done; 1 findings at or above --fail-on; 2 bad usage or configuration (or no sign-in);
3 done but coverage incomplete; 4 the audit itself failed unexpectedly.`;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(", ")} (got "${shown(value)}")`);
}

/**
 * The card's button opens this link in every reader's browser: only a plain https URL will do. The value
 * is not echoed, since a link may carry a token in its query.
 */
export function checkDashboardUrl(name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:" || url.username || url.password)
    throw new UsageError(`${name} must be an https URL without a user name or password`);
  return url.href;
}

type Refusal = new (message: string) => Error;

/** A data collection rule's logs ingestion endpoint: https, a host, nothing else (the client adds the path). */
export function checkLogsEndpoint(name: string, value: string, refuse: Refusal): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:" || url.username || url.password || url.search || url.hash)
    throw new refuse(`${name} must be an https URL (the rule's logs ingestion endpoint), without a query`);
  return url.href.replace(/\/+$/, "");
}

/** A data collection rule's immutable id, as `properties.immutableId` gives it. */
export function checkLogsRuleId(name: string, value: string, refuse: Refusal): string {
  if (!/^dcr-[0-9a-f]{32}$/i.test(value))
    throw new refuse(
      `${name} must be a data collection rule's immutable id (dcr- and 32 hex digits), got "${shown(value, 40)}"`,
    );
  return value;
}

/** Long enough for a nightly run of a large tenant to finish; a pipeline that must not wait says 0. */
export const DEFAULT_LOCK_WAIT_SECONDS = 1800;

/** Flags that may be given more than once. */
const MULTIPLE = new Set(["subscription", "management-group"]);
/** Flags whose values are secrets (an account key, a SAS signature, a webhook's `sig`): never echoed, in part or whole. */
const SECRET = new Set(["storage", "teams-webhook"]);

export function parseCli(argv: string[]): CliConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: {
        tenant: { type: "string" },
        "arm-endpoint": { type: "string" },
        source: { type: "string" },
        subscription: { type: "string", multiple: true },
        "management-group": { type: "string", multiple: true },
        policy: { type: "string" },
        out: { type: "string" },
        format: { type: "string" },
        "fail-on": { type: "string" },
        storage: { type: "string" },
        "lock-wait": { type: "string" },
        notify: { type: "boolean" },
        "teams-webhook": { type: "string" },
        "teams-mode": { type: "string" },
        "dashboard-url": { type: "string" },
        "logs-endpoint": { type: "string" },
        "logs-rule-id": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new UsageError(shown((error as Error).message.replace(/\. To specify a positional.*$/s, "."), 300));
  }
  // A flag that takes one value, given twice: the last would quietly win. The same value twice is harmless.
  const seen = new Map<string, string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option" || token.value === undefined || MULTIPLE.has(token.name)) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined && earlier !== token.value)
      throw new UsageError(
        SECRET.has(token.name)
          ? `--${token.name} is given twice with different values (not shown: they are secrets): give it once`
          : `--${token.name} is given twice with different values ("${shown(earlier, 40)}", "${shown(token.value, 40)}"): give it once`,
      );
    seen.set(token.name, token.value);
  }
  const v = parsed.values;
  if (v.tenant !== undefined && v["arm-endpoint"] !== undefined) {
    throw new UsageError(
      "--tenant and --arm-endpoint cannot be combined: --tenant serves the file from a local ARM",
    );
  }
  const armEndpoint = (v["arm-endpoint"] ?? "https://management.azure.com").replace(/\/+$/, "");
  let endpointUrl: URL;
  try {
    endpointUrl = new URL(armEndpoint);
  } catch {
    throw new UsageError(`--arm-endpoint must be a URL (got "${shown(armEndpoint)}")`);
  }
  if (endpointUrl.protocol !== "https:")
    throw new UsageError("--arm-endpoint must be an https URL: tokens are never sent in clear");
  const subscriptions = v.subscription ?? [];
  const bad = subscriptions.find((s) => !GUID.test(s));
  if (bad !== undefined)
    throw new UsageError(`--subscription must be a subscription id (a GUID), got "${shown(bad)}"`);
  const managementGroups = v["management-group"] ?? [];
  if (managementGroups.some((g) => !/^[\w.()-]{1,90}$/.test(g))) {
    throw new UsageError(
      "--management-group must be a management group id (letters, digits, - _ . ( ), at most 90)",
    );
  }
  if (v.storage !== undefined && v.storage.trim() === "")
    throw new UsageError("--storage needs a connection string");
  if (v.storage !== undefined) {
    const problem = connectionStringProblem(v.storage);
    if (problem) throw new UsageError(`--storage ${problem}`);
  }
  let lockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS;
  if (v["lock-wait"] !== undefined) {
    if (v.storage === undefined) throw new UsageError("--lock-wait goes with --storage");
    if (!/^\d{1,6}$/.test(v["lock-wait"]))
      throw new UsageError(`--lock-wait must be a number of seconds (got "${shown(v["lock-wait"], 40)}")`);
    lockWaitSeconds = Number(v["lock-wait"]);
  }
  if (v["teams-webhook"] !== undefined && !v.notify)
    throw new UsageError("--teams-webhook goes with --notify");
  if (v["dashboard-url"] !== undefined) {
    if (!v.notify) throw new UsageError("--dashboard-url goes with --notify");
    checkDashboardUrl("--dashboard-url", v["dashboard-url"]);
  }
  let logs: CliConfig["logs"];
  if (v["logs-endpoint"] === "local") {
    if (v.tenant === undefined) throw new UsageError("--logs-endpoint local goes with --tenant");
    if (v["logs-rule-id"] !== undefined)
      throw new UsageError("--logs-rule-id is not needed with --logs-endpoint local");
    logs = "local";
  } else if (v["logs-endpoint"] !== undefined || v["logs-rule-id"] !== undefined) {
    if (v["logs-endpoint"] === undefined || v["logs-rule-id"] === undefined)
      throw new UsageError("--logs-endpoint and --logs-rule-id go together");
    logs = {
      endpoint: checkLogsEndpoint("--logs-endpoint", v["logs-endpoint"], UsageError),
      ruleId: checkLogsRuleId("--logs-rule-id", v["logs-rule-id"], UsageError),
    };
  }
  for (const flag of ["tenant", "policy", "out"] as const) {
    if (v[flag] !== undefined && v[flag].trim() === "") throw new UsageError(`--${flag} needs a path`);
  }
  return {
    ...(v.tenant !== undefined ? { tenant: v.tenant } : {}),
    armEndpoint,
    source: oneOf("--source", v.source, ["arg", "arm"] as const, "arg"),
    subscriptions,
    managementGroups,
    ...(v.policy !== undefined ? { policy: v.policy } : {}),
    out: v.out ?? "audit-output",
    format: oneOf("--format", v.format, FORMATS, "table"),
    ...(v["fail-on"] !== undefined ? { failOn: oneOf("--fail-on", v["fail-on"], SEVERITIES, "high") } : {}),
    ...(v.storage !== undefined ? { storage: v.storage } : {}),
    lockWaitSeconds,
    notify: v.notify ?? false,
    ...(v["teams-webhook"] !== undefined ? { teamsWebhook: v["teams-webhook"] } : {}),
    teamsMode: oneOf("--teams-mode", v["teams-mode"], DIGEST_MODES, "changes"),
    ...(v["dashboard-url"] !== undefined ? { dashboardUrl: v["dashboard-url"] } : {}),
    ...(logs ? { logs } : {}),
    help: v.help ?? false,
    version: v.version ?? false,
  };
}
