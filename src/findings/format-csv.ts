/**
 * CSV, one row per finding (RFC 4180 quoting). Names and tags come from the tenant, so a cell that a
 * spreadsheet would run as a formula is prefixed with a quote.
 */
import type { Finding } from "./finding.js";

export const CSV_COLUMNS = [
  "id",
  "ruleId",
  "severity",
  "status",
  "title",
  "subscriptionId",
  "subscriptionName",
  "resourceGroup",
  "workspace",
  "endpoint",
  "deployment",
  "configuration",
  "resourceId",
  "resourceType",
  "message",
  "remediation",
  "firstSeen",
  "lastSeen",
  "runId",
  // Appended, so that a reader that takes columns by position keeps working.
  "account",
  "project",
] as const satisfies readonly (keyof Finding)[];

function cell(value: unknown): string {
  let text =
    value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatCsv(findings: readonly Finding[]): string {
  const rows = findings.map((f) => CSV_COLUMNS.map((c) => cell(f[c])).join(","));
  return `${[CSV_COLUMNS.join(","), ...rows].join("\r\n")}\r\n`;
}
