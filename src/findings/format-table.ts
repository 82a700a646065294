/**
 * The terminal view: one line per finding, highest severity first, then what changed and how much of
 * the tenant was read. Details (messages, evidence, commands) are in findings.json.
 */
import { lastName } from "../model/arm-ids.js";
import { visible } from "../common/text.js";
import { SEVERITIES, severityRank, type Severity } from "../policy/types.js";
import type { Finding } from "./finding.js";
import type { Summary } from "./summary.js";

export interface TableOptions {
  /** ANSI colours (only for a terminal). */
  color: boolean;
  /** Terminal width; long titles are cut to fit. Unbounded when undefined. */
  width?: number;
  /** Where the full output was written, to point the reader at it. */
  outDir?: string;
  /** The output folder, the state without storage, could not be written: the run did not commit. */
  outputUnsaved?: boolean;
}

const COLORS: Record<Severity, number> = { critical: 35, high: 31, medium: 33, low: 36, informational: 90 };

function paint(text: string, code: number, on: boolean): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function resourceLabel(f: Finding): string {
  if (f.deployment) return `deployment ${f.endpoint}/${f.deployment}`;
  if (f.endpoint) return `endpoint ${f.endpoint}`;
  if (/\/outboundRules\//i.test(f.resourceId)) return `outbound rule ${lastName(f.resourceId)}`;
  if (/\/privateEndpointConnections\//i.test(f.resourceId)) return `pe-connection ${lastName(f.resourceId)}`;
  if (/\/workspaces\/[^/]+\/computes\//i.test(f.resourceId)) return `compute ${lastName(f.resourceId)}`;
  if (f.workspace) return `workspace ${f.workspace}`;
  if (f.project) return `project ${f.project}`;
  if (f.account) return `account ${f.account}`;
  if (/^\/subscriptions\/[^/]+$/i.test(f.resourceId)) return "subscription";
  return lastName(f.resourceId);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

export function formatTable(findings: readonly Finding[], summary: Summary, options: TableOptions): string {
  const rows = [...findings]
    .sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        a.ruleId.localeCompare(b.ruleId) ||
        a.resourceId.localeCompare(b.resourceId),
    )
    .map((f) => ({
      f,
      // Names come from the tenant: a control character must not reach the terminal as one.
      cells: [
        f.severity,
        f.ruleId,
        f.stale ? `${f.status}*` : f.status,
        resourceLabel(f),
        f.workspace ?? f.account ?? (f.resourceGroup || "-"),
        f.subscriptionName,
        f.title,
      ].map(visible),
    }));
  const header = ["SEVERITY", "RULE", "STATUS", "RESOURCE", "WORKSPACE/ACCOUNT", "SUBSCRIPTION", "TITLE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? "").length)));
  const line = (cells: string[]): string => {
    const text = cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join("  ");
    return options.width && text.length > options.width ? `${text.slice(0, options.width - 1)}…` : text;
  };

  const out: string[] = [];
  out.push(
    `Azure ML isolation audit — run ${summary.runId} (source ${summary.source}, profile ${summary.profile})`,
    "",
  );
  if (rows.length === 0) {
    out.push(
      summary.complete ? "No findings." : "No findings in what could be read (coverage is incomplete).",
    );
  } else {
    out.push(paint(line(header), 1, options.color));
    for (const { f, cells } of rows) {
      const text = line(cells);
      out.push(text.replace(f.severity, paint(f.severity, COLORS[f.severity], options.color)));
    }
  }
  out.push("");

  const totals = SEVERITIES.filter((s) => summary.counts.bySeverity[s] > 0)
    .map((s) => `${summary.counts.bySeverity[s]} ${s}`)
    .join(", ");
  const { byStatus } = summary.counts;
  out.push(
    `Findings: ${findings.length}${totals ? ` (${totals})` : ""} — ${byStatus.new} new, ${byStatus.open} open, ${byStatus.exempted} exempted; ${summary.resolved} resolved since the last run.`,
  );
  if (findings.some((f) => f.stale)) {
    out.push(
      "  * stale: seen by an earlier run inside a scope this run could not read; kept open, not re-checked.",
    );
  }
  const configs = Object.entries(summary.configurations)
    .map(([name, n]) => `${n} ${name}`)
    .join(", ");
  if (configs) out.push(`Managed deployments: ${configs}.`);
  const c = summary.coverage;
  out.push(
    `Coverage: ${c.subscriptions.read}/${c.subscriptions.total} subscriptions, ${c.workspaces.read}/${c.workspaces.total} workspaces, ${c.endpoints.read}/${c.endpoints.total} endpoints, ${c.deployments.total} deployments${c.computes ? `, ${c.computes.total} computes` : ""}${c.accounts ? `, ${c.accounts.read}/${c.accounts.total} Foundry and Azure OpenAI accounts, ${c.projects?.total ?? 0} Foundry projects` : ""} read.`,
  );
  // Say what is incomplete: the tenant's coverage, Azure Storage's copy of the run, or both.
  if (findings.some((f) => f.ruleId === "AUDIT001")) {
    out.push(
      paint(
        "WARNING: coverage is incomplete — some scopes could not be read (see AUDIT001). What they hold is unknown, not clear.",
        31,
        options.color,
      ),
    );
  } else if (!summary.complete && !summary.storageErrors?.length) {
    out.push(paint("WARNING: the run is incomplete: some verdicts could not be reached.", 31, options.color));
  }
  if (options.outputUnsaved) {
    out.push(
      paint(
        "WARNING: this run's results could not be saved to the output folder; nothing was committed, and the next run reports these changes again.",
        31,
        options.color,
      ),
    );
  } else if (summary.storageErrors?.length) {
    out.push(
      paint(
        `WARNING: Azure Storage is behind this run (${summary.storageErrors.length} failed after retries, see summary.json storageErrors); the next run completes the state.`,
        31,
        options.color,
      ),
    );
  }
  if (options.outDir) {
    out.push(`Details, evidence and remediation commands: ${options.outDir}/findings.json`);
    out.push(`The run as a page to open or share: ${options.outDir}/report.html`);
  }
  return `${out.join("\n")}\n`;
}
