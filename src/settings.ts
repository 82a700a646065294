/**
 * App settings (environment variables) → the same typed configuration the CLI's flags produce. Every
 * setting the code reads is declared here, with the sample value `local.settings.sample.json` carries;
 * a test holds the two to each other. A bad setting fails with a message that names it; the values of
 * secret settings are never repeated.
 */
import type { TokenCredential } from "@azure/core-auth";
import { checkDashboardUrl, checkLogsEndpoint, checkLogsRuleId, UsageError } from "./cli/config.js";
import { connectionStringProblem } from "./common/connection-string.js";
import type { Source } from "./inventory/index.js";
import { DEFAULT_POLICY, parsePolicy, PolicyError } from "./policy/policy-file.js";
import { PROFILES, type Policy, type Profile } from "./policy/types.js";
import type { StorageTarget } from "./sinks/storage-target.js";
import { DIGEST_MODES, type DigestMode } from "./sinks/teams-card.js";
import { checkWebhookUrl, WebhookError } from "./sinks/teams-webhook.js";

export interface SettingSpec {
  /** The value `local.settings.sample.json` holds: safe to commit, enough for a local run. */
  sample: string;
  description: string;
  /** Never echoed: it may hold a key or a signature. */
  secret?: boolean;
  /** Read only on a developer's machine or in tests; the deployment never sets it. */
  localOnly?: boolean;
  /** Read by a library or the Functions host, not by this code directly. */
  readBy?: string;
}

export const SETTINGS = {
  AUDIT_SCHEDULE: {
    sample: "0 0 2 * * *",
    description: "when nightlyAudit runs: 6-field NCRONTAB, UTC",
    readBy: "the Functions host (the timer's %AUDIT_SCHEDULE%)",
  },
  AUDIT_SCOPE_MANAGEMENT_GROUPS: {
    sample: "",
    description: "comma-separated management group ids to audit (empty: every readable subscription)",
  },
  AUDIT_SCOPE_SUBSCRIPTIONS: { sample: "", description: "comma-separated subscription ids to audit" },
  AUDIT_EXCLUDE_SUBSCRIPTIONS: { sample: "", description: "comma-separated subscription ids to leave out" },
  AUDIT_SOURCE: { sample: "arg", description: "arg (Azure Resource Graph, default) or arm (ARM list calls)" },
  AUDIT_PROFILE: {
    sample: "strict",
    description:
      "strict (default), private-inbound, secure-outbound or baseline; or the profile in AUDIT_POLICY",
  },
  AUDIT_POLICY: {
    sample: "",
    description: "the policy file's JSON, inline: rule overrides, exemptions, scope",
  },
  AUDIT_STORAGE: {
    sample: "UseDevelopmentStorage=true",
    description: "the audit storage as a connection string (Azurite locally); in Azure use the __ settings",
    secret: true,
    localOnly: true,
  },
  AUDIT_STORAGE__blobServiceUri: {
    sample: "",
    description: "identity-based audit storage: https://<account>.blob.core.windows.net",
  },
  AUDIT_STORAGE__tableServiceUri: {
    sample: "",
    description: "identity-based audit storage: https://<account>.table.core.windows.net",
  },
  AUDIT_STORAGE__queueServiceUri: {
    sample: "",
    description: "identity-based audit storage: https://<account>.queue.core.windows.net",
  },
  AUDIT_STORAGE__credential: {
    sample: "",
    description: "managedidentity in Azure (empty: DefaultAzureCredential, e.g. az login)",
  },
  AUDIT_STORAGE__clientId: {
    sample: "",
    description: "the user-assigned identity's client id, with __credential=managedidentity",
  },
  TEAMS_WEBHOOK_URL: {
    sample: "",
    description: "the Teams Workflows webhook (a Key Vault reference in Azure); empty: no digest",
    secret: true,
  },
  AUDIT_TEAMS_MODE: { sample: "changes", description: "when to post: changes (default), always, off" },
  AUDIT_DASHBOARD_URL: { sample: "", description: "the dashboard the digest links to (https)", secret: true },
  AUDIT_LOGS_ENDPOINT: {
    sample: "",
    description:
      "Log Analytics: the data collection rule's logs ingestion endpoint (with AUDIT_LOGS_RULE_ID); empty: not sent",
  },
  AUDIT_LOGS_RULE_ID: { sample: "", description: "the data collection rule's immutable id (dcr-…)" },
  AZURE_CLIENT_ID: {
    sample: "",
    description: "the user-assigned identity the audit reads ARM with",
    readBy: "@azure/identity (DefaultAzureCredential)",
  },
  AUDIT_TENANT_FILE: {
    sample: "examples/demo-tenant.json",
    description:
      "audit this tenant file through the bundled ARM emulator instead of Azure (local runs, tests)",
    localOnly: true,
  },
  AUDIT_LOGS_CA_FILE: {
    sample: "",
    description:
      "a PEM certificate the Log Analytics client trusts besides the system's (a local receiver; tests)",
    localOnly: true,
  },
  AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP: {
    sample: "false",
    description: "true lets the digest go to an http receiver on 127.0.0.1 (tests)",
    localOnly: true,
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** Settings of the Functions host itself, which the sample file also carries. */
export const HOST_SETTINGS = ["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"] as const;

/**
 * What the platform reads in Azure and `infra/` therefore sets besides the app's own settings: the host's
 * identity-based storage and Application Insights with Entra authentication.
 */
export const PLATFORM_SETTINGS = [
  "AzureWebJobsStorage__blobServiceUri",
  "AzureWebJobsStorage__credential",
  "AzureWebJobsStorage__clientId",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  // The Functions host starts the Node worker with these (its V8 heap bound).
  "languageWorkers__node__arguments",
] as const;

export type Environment = Readonly<Record<string, string | undefined>>;

export class SettingError extends Error {
  override name = "SettingError";
  constructor(
    readonly setting: SettingName,
    message: string,
  ) {
    super(message);
  }
}

/** A setting's value; empty and blank count as unset. */
export function setting(env: Environment, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MANAGEMENT_GROUP = /^[\w.()-]{1,90}$/;

function list(env: Environment, name: SettingName, pattern: RegExp, what: string): string[] {
  const items = (setting(env, name) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.find((item) => !pattern.test(item));
  if (bad !== undefined)
    throw new SettingError(name, `${name} must list ${what}, comma-separated (got "${bad}")`);
  return items;
}

function oneOf<T extends string>(env: Environment, name: SettingName, allowed: readonly T[], fallback: T): T {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new SettingError(name, `${name} must be one of ${allowed.join(", ")} (got "${value}")`);
}

function httpsUri(env: Environment, name: SettingName): string {
  const value = setting(env, name);
  if (value === undefined)
    throw new SettingError(name, `${name} is required for an identity-based AUDIT_STORAGE connection`);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // http only for loopback (Azurite); a storage account is reached over https.
  const loopback = url?.protocol === "http:" && ["127.0.0.1", "localhost"].includes(url.hostname);
  if (!url || (url.protocol !== "https:" && !loopback) || url.search || url.username)
    throw new SettingError(
      name,
      `${name} must be a service URL such as https://<account>.blob.core.windows.net`,
    );
  return value.replace(/\/+$/, "");
}

/**
 * The audit storage, from the settings the Functions host reads for the queue trigger's connection
 * `AUDIT_STORAGE`: a connection string, or the `__`-suffixed identity-based settings.
 */
export function readStorageSetting(
  env: Environment,
  credentialFor: (clientId: string | undefined, kind: "managedidentity" | "default") => TokenCredential,
): StorageTarget {
  const connectionString = setting(env, "AUDIT_STORAGE");
  const identityNames = [
    "AUDIT_STORAGE__blobServiceUri",
    "AUDIT_STORAGE__tableServiceUri",
    "AUDIT_STORAGE__queueServiceUri",
  ] as const;
  const identitySet = identityNames.filter((n) => setting(env, n) !== undefined);
  if (connectionString !== undefined) {
    if (identitySet.length > 0)
      throw new SettingError(
        "AUDIT_STORAGE",
        `AUDIT_STORAGE and ${identitySet[0]} are both set: use the connection string or the identity-based settings, not both`,
      );
    if (!/(^|;)\s*(UseDevelopmentStorage=true|AccountName=|BlobEndpoint=)/i.test(connectionString))
      throw new SettingError("AUDIT_STORAGE", "AUDIT_STORAGE is not a storage connection string");
    const problem = connectionStringProblem(connectionString);
    if (problem) throw new SettingError("AUDIT_STORAGE", `AUDIT_STORAGE ${problem}`);
    return { kind: "connectionString", connectionString };
  }
  if (identitySet.length === 0)
    throw new SettingError(
      "AUDIT_STORAGE",
      "AUDIT_STORAGE is not set: give a connection string, or AUDIT_STORAGE__blobServiceUri, __tableServiceUri and __queueServiceUri",
    );
  const credential = setting(env, "AUDIT_STORAGE__credential");
  if (credential !== undefined && credential.toLowerCase() !== "managedidentity")
    throw new SettingError(
      "AUDIT_STORAGE__credential",
      `AUDIT_STORAGE__credential must be managedidentity, or unset (got "${credential}")`,
    );
  const clientId = setting(env, "AUDIT_STORAGE__clientId");
  if (clientId !== undefined && !GUID.test(clientId))
    throw new SettingError("AUDIT_STORAGE__clientId", "AUDIT_STORAGE__clientId must be a client id (a GUID)");
  if (clientId !== undefined && credential === undefined)
    throw new SettingError(
      "AUDIT_STORAGE__credential",
      "AUDIT_STORAGE__clientId needs AUDIT_STORAGE__credential=managedidentity",
    );
  return {
    kind: "identity",
    blobServiceUri: httpsUri(env, "AUDIT_STORAGE__blobServiceUri"),
    tableServiceUri: httpsUri(env, "AUDIT_STORAGE__tableServiceUri"),
    queueServiceUri: httpsUri(env, "AUDIT_STORAGE__queueServiceUri"),
    credential: credentialFor(clientId, credential === undefined ? "default" : "managedidentity"),
  };
}

export interface NotifySettings {
  webhookUrl: string;
  mode: DigestMode;
  dashboardUrl?: string;
  allowLoopbackHttp: boolean;
}

/** The Teams digest's settings, or undefined when no webhook is set (no digest). */
export function readNotifySettings(env: Environment): NotifySettings | undefined {
  const mode = oneOf(env, "AUDIT_TEAMS_MODE", DIGEST_MODES, "changes");
  const allowLoopbackHttp =
    oneOf(env, "AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP", ["true", "false"], "false") === "true";
  const webhookUrl = setting(env, "TEAMS_WEBHOOK_URL");
  const dashboard = setting(env, "AUDIT_DASHBOARD_URL");
  let dashboardUrl: string | undefined;
  if (dashboard !== undefined) {
    try {
      dashboardUrl = checkDashboardUrl("AUDIT_DASHBOARD_URL", dashboard);
    } catch (error) {
      if (error instanceof UsageError) throw new SettingError("AUDIT_DASHBOARD_URL", error.message);
      throw error;
    }
  }
  if (webhookUrl === undefined) return undefined;
  try {
    checkWebhookUrl(webhookUrl, { allowLoopbackHttp });
  } catch (error) {
    if (error instanceof WebhookError)
      throw new SettingError("TEAMS_WEBHOOK_URL", `TEAMS_WEBHOOK_URL: ${error.message}`);
    throw error;
  }
  return { webhookUrl, mode, allowLoopbackHttp, ...(dashboardUrl ? { dashboardUrl } : {}) };
}

/** Log Analytics, when both settings are set; one without the other is a bad setting. */
export function readLogsSettings(
  env: Environment,
): { endpoint: string; ruleId: string; caFile?: string } | undefined {
  const endpoint = setting(env, "AUDIT_LOGS_ENDPOINT");
  const ruleId = setting(env, "AUDIT_LOGS_RULE_ID");
  if (endpoint === undefined && ruleId === undefined) return undefined;
  if (endpoint === undefined)
    throw new SettingError("AUDIT_LOGS_ENDPOINT", "AUDIT_LOGS_RULE_ID is set but AUDIT_LOGS_ENDPOINT is not");
  if (ruleId === undefined)
    throw new SettingError("AUDIT_LOGS_RULE_ID", "AUDIT_LOGS_ENDPOINT is set but AUDIT_LOGS_RULE_ID is not");
  const refuse = (name: "AUDIT_LOGS_ENDPOINT" | "AUDIT_LOGS_RULE_ID") =>
    class extends SettingError {
      constructor(message: string) {
        super(name, message);
      }
    };
  const caFile = setting(env, "AUDIT_LOGS_CA_FILE");
  return {
    endpoint: checkLogsEndpoint("AUDIT_LOGS_ENDPOINT", endpoint, refuse("AUDIT_LOGS_ENDPOINT")),
    ruleId: checkLogsRuleId("AUDIT_LOGS_RULE_ID", ruleId, refuse("AUDIT_LOGS_RULE_ID")),
    ...(caFile ? { caFile } : {}),
  };
}

export interface AuditSettings {
  source: Source;
  policy: Policy;
  scope: { subscriptions: string[]; managementGroups: string[]; excludeSubscriptions: string[] };
  /** A tenant file to audit through the emulator instead of Azure. */
  tenantFile?: string;
}

/** What to audit and how to judge it. */
export function readAuditSettings(env: Environment): AuditSettings {
  const source = oneOf(env, "AUDIT_SOURCE", ["arg", "arm"] as const, "arg");
  let policy: Policy = DEFAULT_POLICY;
  const inline = setting(env, "AUDIT_POLICY");
  let profileInPolicy = false;
  if (inline !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(inline);
    } catch (error) {
      throw new SettingError("AUDIT_POLICY", `AUDIT_POLICY is not JSON: ${(error as Error).message}`);
    }
    try {
      policy = parsePolicy(json, "AUDIT_POLICY");
    } catch (error) {
      if (error instanceof PolicyError) throw new SettingError("AUDIT_POLICY", error.message);
      throw error;
    }
    profileInPolicy = typeof json === "object" && json !== null && "profile" in json;
  }
  const profile = setting(env, "AUDIT_PROFILE");
  if (profile !== undefined) {
    const chosen = oneOf<Profile>(env, "AUDIT_PROFILE", PROFILES, "strict");
    if (profileInPolicy && chosen !== policy.profile)
      throw new SettingError(
        "AUDIT_PROFILE",
        `AUDIT_PROFILE is "${chosen}" but AUDIT_POLICY's profile is "${policy.profile}": set the profile in one place`,
      );
    policy = { ...policy, profile: chosen };
  }
  const tenantFile = setting(env, "AUDIT_TENANT_FILE");
  return {
    source,
    policy,
    scope: {
      managementGroups: list(env, "AUDIT_SCOPE_MANAGEMENT_GROUPS", MANAGEMENT_GROUP, "management group ids"),
      subscriptions: list(env, "AUDIT_SCOPE_SUBSCRIPTIONS", GUID, "subscription ids (GUIDs)"),
      excludeSubscriptions: list(env, "AUDIT_EXCLUDE_SUBSCRIPTIONS", GUID, "subscription ids (GUIDs)"),
    },
    ...(tenantFile !== undefined ? { tenantFile } : {}),
  };
}
