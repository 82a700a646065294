/**
 * The two custom tables the Logs Ingestion API fills (DESIGN §6, "Log Analytics"): their columns are declared
 * here once. `infra/app/log-analytics-tables.json` is generated from this (`node scripts/log-analytics-schema.js`)
 * and the Bicep reads it for both the tables and the data collection rule's stream declarations; a test holds
 * the three together, and every KQL query the repo ships is bound against these columns.
 */
import type { AuditResult } from "../../audit.js";
import type { Finding } from "../../findings/finding.js";
import type { Summary } from "../../findings/summary.js";

/** The stream declarations' types; a table accepts the same names (its `dateTime` is case-insensitive). */
export type ColumnType = "string" | "int" | "long" | "real" | "boolean" | "datetime" | "dynamic";

export interface Column {
  name: string;
  type: ColumnType;
  description: string;
}

export interface TableSchema {
  table: string;
  /** The DCR's input stream: `Custom-` and the table's name. */
  stream: string;
  description: string;
  columns: readonly Column[];
}

const c = (name: string, type: ColumnType, description: string): Column => ({ name, type, description });

/**
 * Names a custom table's column may not have: they conflict with system or reserved columns (Learn, "Add or
 * delete tables and columns in Azure Monitor Logs", create-custom-table.md). A table declaring one is refused.
 */
export const RESERVED_COLUMN_NAMES = [
  "id",
  "BilledSize",
  "IsBillable",
  "InvalidTimeGenerated",
  "TenantId",
  "Title",
  "Type",
  "UniqueId",
  "_ItemId",
  "_ResourceGroup",
  "_ResourceId",
  "_SubscriptionId",
  "_TimeReceived",
] as const;

/**
 * The columns Log Analytics adds to every table it stores (Learn, "Standard columns in Azure Monitor Logs"): a
 * query sees them beside the declared ones, so the queries are checked against both.
 */
export const STANDARD_COLUMNS: readonly Column[] = [
  { name: "TenantId", type: "string", description: "The workspace's id" },
  { name: "Type", type: "string", description: "The table's name" },
  { name: "_TimeReceived", type: "datetime", description: "When the row reached the service" },
  { name: "_ItemId", type: "string", description: "The row's id" },
  { name: "_ResourceId", type: "string", description: "The resource the row is associated with" },
  { name: "_SubscriptionId", type: "string", description: "Its subscription" },
  { name: "_ResourceGroup", type: "string", description: "Its resource group" },
  { name: "_IsBillable", type: "string", description: "Whether the row is billed" },
  { name: "_BilledSize", type: "real", description: "Its billed size in bytes" },
];

export const FINDINGS_TABLE: TableSchema = {
  table: "AmlIsolationFindings_CL",
  stream: "Custom-AmlIsolationFindings_CL",
  description: "One row per finding per audit run, whatever its status",
  columns: [
    c("TimeGenerated", "datetime", "When the run that saw the finding ended"),
    c("RunId", "string", "The audit run"),
    c("FindingId", "string", "Stable across runs: the rule and the resource"),
    c("RuleId", "string", "AMLNI001, PEDNS002, …"),
    c("RuleSlug", "string", "The rule's name"),
    c("Severity", "string", "critical, high, medium, low or informational"),
    c("Status", "string", "new, open, exempted, resolved or stale"),
    c("ResourceId", "string", "The resource the finding is about"),
    c("ResourceType", "string", "Its ARM type"),
    c("SubscriptionId", "string", "Its subscription"),
    c("SubscriptionName", "string", "The subscription's display name"),
    c("ResourceGroup", "string", "Its resource group"),
    c("Workspace", "string", "The ML workspace, or the Foundry or Azure OpenAI account"),
    c("Endpoint", "string", "The managed online endpoint, where the finding is about one or its deployment"),
    c("RuleTitle", "string", "The rule's title"),
    c("Message", "string", "What was found, naming the resource"),
    c("Remediation", "string", "The az commands that fix it"),
    c("Evidence", "dynamic", "The properties the rule read"),
    c("ExemptionExpires", "datetime", "When the exemption that covers it ends"),
    c("ExemptionReason", "string", "Why it is exempted"),
    c("FirstSeen", "datetime", "The first run that saw it"),
    c("LastSeen", "datetime", "The last run that confirmed it"),
  ],
};

export const RUNS_TABLE: TableSchema = {
  table: "AmlIsolationRuns_CL",
  stream: "Custom-AmlIsolationRuns_CL",
  description: "One row per audit run",
  columns: [
    c("TimeGenerated", "datetime", "When the run ended"),
    c("RunId", "string", "The audit run"),
    c("Trigger", "string", "schedule, http or cli"),
    c("Status", "string", "committed, incomplete (read or saved only in part) or failed"),
    c("Source", "string", "arg (Resource Graph) or arm"),
    c("Profile", "string", "The policy profile"),
    c("Complete", "boolean", "Every scope was read and every rule could judge it"),
    c("Committed", "boolean", "The run's findings are the stored state"),
    c(
      "Coverage",
      "dynamic",
      "Subscriptions, workspaces, endpoints, deployments, accounts: total, read, failed",
    ),
    c("Counts", "dynamic", "Findings by severity, status and rule"),
    c("UnknownScopes", "dynamic", "The scopes the run could not read, and why"),
    c("New", "int", "Findings new in this run"),
    c("Resolved", "int", "Findings this run resolved"),
    c("DurationMs", "long", "From the run's start to its end"),
    c("SinksComplete", "boolean", "Every sink took the run (storage, the digest, these tables)"),
    c("Error", "string", "Why a failed run failed"),
  ],
};

export const TABLES = [FINDINGS_TABLE, RUNS_TABLE] as const;

export type Row = Record<string, unknown>;

/**
 * The Logs Ingestion API takes at most 1 MB a call and truncates a field past 64 KB (Learn, Azure Monitor
 * service limits, "Logs Ingestion API"): a truncated `dynamic` is no longer JSON, and a row past 1 MB is
 * refused (413) however often it is sent. Every field is kept under 32 KB, so a row of 22 fields stays under
 * 1 MB; what is cut is said in the value. A finding's full evidence stays in findings.json and the run archive.
 */
export const FIELD_BYTES = 32 * 1024;
/** A row the service refused even so is sent once more with every field under this. */
export const SHORT_FIELD_BYTES = 2 * 1024;

const bytesOf = (text: string) => Buffer.byteLength(text);

function shortenText(text: string, limit: number): string {
  if (bytesOf(text) <= limit) return text;
  const note = ` … (shortened from ${text.length} characters)`;
  const budget = Math.max(0, limit - bytesOf(note));
  // The most characters whose UTF-8 fits the budget (a character takes 1 to 4 bytes).
  let low = 0;
  let high = Math.min(text.length, budget);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (bytesOf(text.slice(0, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  // Never half a surrogate pair.
  const last = text.charCodeAt(low - 1);
  if (low > 0 && last >= 0xd800 && last <= 0xdbff) low -= 1;
  return text.slice(0, low) + note;
}

/** Long arrays cut to their first `keep` items and a count of the rest, at any depth. */
function cutArrays(value: unknown, keep: number): unknown {
  if (Array.isArray(value)) {
    const head = value.slice(0, keep).map((v) => cutArrays(v, keep));
    return value.length > keep ? [...head, `… and ${value.length - keep} more`] : head;
  }
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutArrays(v, keep)]));
  if (typeof value === "string") return shortenText(value, Math.max(256, keep * 64));
  return value;
}

function shortenDynamic(value: unknown, limit: number): unknown {
  const text = JSON.stringify(value);
  if (text === undefined || bytesOf(text) <= limit) return value;
  for (const keep of [100, 20, 5, 1]) {
    const cut = cutArrays(value, keep);
    const cutText = JSON.stringify(cut);
    if (bytesOf(cutText) + 64 <= limit)
      return cut !== null && typeof cut === "object" && !Array.isArray(cut)
        ? { ...cut, _shortened: `from ${text.length} characters` }
        : cut;
  }
  return { _shortened: `from ${text.length} characters`, preview: shortenText(text, limit - 128) };
}

/** The row with every field under `limit` bytes of JSON: strings cut with a note, long arrays cut to a count. */
export function fitRow(row: Row, limit = FIELD_BYTES): Row {
  let fitted: Row | undefined;
  for (const [name, value] of Object.entries(row)) {
    const short =
      typeof value === "string"
        ? shortenText(value, limit)
        : value !== null && typeof value === "object"
          ? shortenDynamic(value, limit)
          : value;
    if (short !== value) (fitted ??= { ...row })[name] = short;
  }
  return fitted ?? row;
}

/** A finding as the table holds it; `resolved` rows keep the finding's last known fields. */
export function findingRow(finding: Finding, status: string, at: string, runId: string): Row {
  return {
    TimeGenerated: at,
    RunId: runId,
    FindingId: finding.id,
    RuleId: finding.ruleId,
    RuleSlug: finding.slug,
    Severity: finding.severity,
    Status: status,
    ResourceId: finding.resourceId,
    ResourceType: finding.resourceType,
    SubscriptionId: finding.subscriptionId,
    SubscriptionName: finding.subscriptionName,
    ResourceGroup: finding.resourceGroup,
    Workspace: finding.workspace ?? finding.account ?? "",
    Endpoint: finding.endpoint ?? "",
    RuleTitle: finding.title,
    Message: finding.message,
    Remediation: finding.remediation,
    Evidence: finding.evidence,
    ...(finding.exemption
      ? { ExemptionExpires: finding.exemption.expires, ExemptionReason: finding.exemption.reason }
      : {}),
    FirstSeen: finding.firstSeen,
    LastSeen: finding.lastSeen,
  };
}

/** Every finding of a run (stale ones as `stale`), then the findings it resolved. */
export function findingRows(result: Pick<AuditResult, "findings" | "resolved" | "summary">): Row[] {
  const { finishedAt, runId } = result.summary;
  return [
    ...result.findings.map((f) => findingRow(f, f.stale ? "stale" : f.status, finishedAt, runId)),
    ...result.resolved.map((f) => findingRow(f, "resolved", finishedAt, runId)),
  ];
}

export interface RunFacts {
  trigger: string;
  committed: boolean;
  sinksComplete: boolean;
  unknownScopes: readonly { scope: string; scopeType?: string; operation?: string; status?: number }[];
}

export function runRow(summary: Summary, facts: RunFacts): Row {
  return {
    TimeGenerated: summary.finishedAt,
    RunId: summary.runId,
    Trigger: facts.trigger,
    Status: facts.committed && summary.complete ? "committed" : "incomplete",
    Source: summary.source,
    Profile: summary.profile,
    Complete: summary.complete,
    Committed: facts.committed,
    Coverage: summary.coverage,
    Counts: summary.counts,
    UnknownScopes: facts.unknownScopes.map(({ scope, scopeType, operation, status }) => ({
      scope,
      ...(scopeType ? { scopeType } : {}),
      ...(operation ? { operation } : {}),
      ...(status !== undefined ? { status } : {}),
    })),
    New: summary.new,
    Resolved: summary.resolved,
    DurationMs: Date.parse(summary.finishedAt) - Date.parse(summary.startedAt),
    SinksComplete: facts.sinksComplete,
  };
}

/** A run that ended before it could audit (a bad setting, every try of the worker failed). */
export function failedRunRow(runId: string, trigger: string, error: string, at: Date, startedAt?: Date): Row {
  return {
    TimeGenerated: at.toISOString(),
    RunId: runId,
    Trigger: trigger,
    Status: "failed",
    Complete: false,
    Committed: false,
    SinksComplete: false,
    ...(startedAt ? { DurationMs: at.getTime() - startedAt.getTime() } : {}),
    Error: error,
  };
}

/** The columns a row has that its table does not declare, and values of the wrong JSON type. */
export function rowProblems(schema: TableSchema, row: Row): string[] {
  const problems: string[] = [];
  const columns = new Map(schema.columns.map((col) => [col.name, col.type]));
  for (const [name, value] of Object.entries(row)) {
    const type = columns.get(name);
    if (!type) {
      problems.push(`${schema.table}: no column ${name}`);
      continue;
    }
    if (value === undefined || value === null) continue;
    const ok =
      type === "string"
        ? typeof value === "string"
        : type === "datetime"
          ? typeof value === "string" && !Number.isNaN(Date.parse(value))
          : type === "boolean"
            ? typeof value === "boolean"
            : type === "int" || type === "long"
              ? Number.isInteger(value)
              : type === "real"
                ? typeof value === "number"
                : typeof value === "object";
    if (!ok) problems.push(`${schema.table}.${name}: ${JSON.stringify(value)} is no ${type}`);
  }
  if (!("TimeGenerated" in row)) problems.push(`${schema.table}: no TimeGenerated`);
  return problems;
}

/** What `infra/app/log-analytics/tables.json` holds: each table's name, stream and columns (name and type). */
export function tablesDocument(): {
  tables: {
    name: string;
    stream: string;
    description: string;
    columns: { name: string; type: ColumnType }[];
  }[];
} {
  return {
    tables: TABLES.map((t) => ({
      name: t.table,
      stream: t.stream,
      description: t.description,
      columns: t.columns.map(({ name, type }) => ({ name, type })),
    })),
  };
}
