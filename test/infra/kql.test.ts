/**
 * Every KQL query the deployment ships — the workbook's, the Sentinel rule's, the audit-stopped alert's — is
 * parsed and bound with Kusto's own language service against the tables the code declares: a misspelt column
 * or table, or a syntax error, fails here rather than in a security team's dashboard.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  RESERVED_COLUMN_NAMES,
  STANDARD_COLUMNS,
  TABLES,
  type ColumnType,
  type TableSchema,
} from "../../src/sinks/log-analytics/schema.js";

const DIR = join(__dirname, "../../infra/app/log-analytics");

// The service is a Bridge.NET build: it installs `Kusto` and `Bridge` as globals when loaded.
const load = createRequire(__filename);
load("@kusto/language-service-next/bridge.min.js");
load("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
interface Diagnostic {
  Severity: string;
  Code: string;
  Message: string;
  Start: number;
}
/** The part of Kusto.Language this test calls. */
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string) => object };
    DatabaseSymbol: { ctor: new (name: string, members: object[]) => object };
  };
  GlobalState: { Default: { WithDatabase(database: object): object } };
  KustoCode: { ParseAndAnalyze(text: string, globals: object): { GetDiagnostics(): unknown } };
}
const g = globalThis as unknown as {
  Kusto: { Language: KustoLanguage };
  Bridge: { toArray<T>(list: unknown): T[] };
};
const K = g.Kusto.Language;

const KUSTO_TYPE: Record<ColumnType, string> = {
  string: "string",
  int: "int",
  long: "long",
  real: "real",
  boolean: "bool",
  datetime: "datetime",
  dynamic: "dynamic",
};

/** The tables as a query sees them: the declared columns and the standard ones Log Analytics adds. */
function globals(tables: readonly TableSchema[] = TABLES) {
  const symbols = tables.map(
    (t) =>
      new K.Symbols.TableSymbol.$ctor7(
        t.table,
        `(${[...t.columns, ...STANDARD_COLUMNS].map((c) => `['${c.name}']: ${KUSTO_TYPE[c.type]}`).join(", ")})`,
        t.description,
      ),
  );
  return K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor("audit", symbols));
}

/** The errors Kusto reports for `query` (warnings are left to taste). */
function errors(query: string, state = globals()): string[] {
  const code = K.KustoCode.ParseAndAnalyze(query, state);
  return g.Bridge.toArray<Diagnostic>(code.GetDiagnostics())
    .filter((d) => d.Severity === "Error")
    .map((d) => `${d.Code} at ${d.Start}: ${d.Message}`);
}

interface WorkbookItem {
  type: number;
  name: string;
  content: { query?: string; title?: string; items?: WorkbookItem[] };
}
const workbook = JSON.parse(readFileSync(join(DIR, "workbook.json"), "utf8")) as { items: WorkbookItem[] };
const workbookQueries = (items: WorkbookItem[]): { name: string; query: string }[] =>
  items.flatMap((i) => [
    ...(i.content.query ? [{ name: `workbook: ${i.content.title ?? i.name}`, query: i.content.query }] : []),
    ...workbookQueries(i.content.items ?? []),
  ]);
/** The README's examples: each ```kusto block, one query per paragraph. */
const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
const readmeQueries = [...readme.matchAll(/```kusto\n([\s\S]*?)```/g)].flatMap((m, i) =>
  (m[1] ?? "")
    .split(/\n\s*\n/)
    .filter((q) => q.trim())
    .map((query, j) => ({ name: `README example ${i + 1}.${j + 1}`, query })),
);
const queries = [
  ...workbookQueries(workbook.items),
  ...readmeQueries,
  { name: "Sentinel rule", query: readFileSync(join(DIR, "sentinel-new-high-finding.kql"), "utf8") },
  {
    // As the Bicep gives it to the rule: the placeholders replaced with the derived hours and the deployment time.
    name: "audit-stopped alert",
    query: readFileSync(join(DIR, "audit-stopped.kql"), "utf8")
      .replaceAll("{{staleHours}}", "26")
      .replaceAll("{{deployedAt}}", "2026-12-05 10:00:00Z"),
  },
  { name: "audit-failed alert", query: readFileSync(join(DIR, "audit-failed.kql"), "utf8") },
];

describe("the KQL the deployment ships", () => {
  it("covers what the workbook must show", () => {
    expect(workbookQueries(workbook.items).length).toBeGreaterThanOrEqual(9);
    expect(readmeQueries.length).toBeGreaterThanOrEqual(2);
  });

  it("every README example over the findings table counts committed runs only", () => {
    const overFindings = readmeQueries.filter((q) => /AmlIsolationFindings_CL/.test(q.query));
    expect(overFindings.length).toBeGreaterThanOrEqual(2);
    for (const q of overFindings) expect(q.query, q.name).toMatch(/Committed == true/);
  });

  it.each(queries.map((q) => [q.name, q.query] as const))("%s parses and binds", (_name, query) => {
    expect(errors(query)).toEqual([]);
  });

  it("declares no column Log Analytics reserves or adds itself (a table with one is refused)", () => {
    const forbidden = new Set(
      [...RESERVED_COLUMN_NAMES, ...STANDARD_COLUMNS.map((c) => c.name)].map((n) => n.toLowerCase()),
    );
    for (const t of TABLES)
      expect(
        t.columns.filter((c) => forbidden.has(c.name.toLowerCase())).map((c) => `${t.table}.${c.name}`),
      ).toEqual([]);
    // The Learn list, as the check holds it (the names a table was refused for).
    expect(RESERVED_COLUMN_NAMES).toContain("Title");
    expect(RESERVED_COLUMN_NAMES).toContain("_ResourceId");
  });

  it("binds the standard columns as a query sees them", () => {
    expect(
      errors("AmlIsolationRuns_CL | where _ResourceId != '' | project TenantId, Type, _TimeReceived"),
    ).toEqual([]);
  });

  it("fails on a misspelt column, an unknown table and a syntax error (the check can fail)", () => {
    expect(errors("AmlIsolationFindings_CL | where Severty == 'high'").join()).toMatch(/KS142/);
    expect(errors("AmlIsolationFinding_CL | take 1").join()).toMatch(/KS204/);
    expect(errors("AmlIsolationRuns_CL | where ").length).toBeGreaterThan(0);
    // A query that reads a column the tables drop fails: the binding follows the declared schema.
    const withoutRemediation = TABLES.map((t) => ({
      ...t,
      columns: t.columns.filter((c) => c.name !== "Remediation"),
    }));
    const sentinel = queries.find((q) => q.name === "Sentinel rule")?.query ?? "";
    expect(errors(sentinel, globals(withoutRemediation)).join()).toMatch(/Remediation/);
  });
});
