/**
 * The small part of the Kusto query language the emulator's Resource Graph understands: enough for
 * the inventory's queries (`where` on type or id, `project`, `order by`). Anything else is refused
 * with 400, as a query the emulator cannot answer truthfully.
 */

export type Row = Record<string, unknown>;

export interface ParsedQuery {
  table: "resources" | "resourcecontainers";
  filters: { column: string; values: string[] }[];
  project?: string[];
  orderBy?: { column: string; descending: boolean };
}

export class QueryError extends Error {
  override name = "QueryError";
}

function stringLiterals(text: string): string[] {
  const literals = [...text.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map(
    (m) => m[1] ?? m[2] ?? "",
  );
  return literals;
}

export function parseQuery(query: string): ParsedQuery {
  const stages = query
    .split("|")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const table = stages.shift()?.toLowerCase();
  if (table !== "resources" && table !== "resourcecontainers") {
    throw new QueryError(
      `unsupported table "${table ?? ""}": the emulator answers queries on resources and resourcecontainers`,
    );
  }
  const parsed: ParsedQuery = { table, filters: [] };
  for (const stage of stages) {
    let m: RegExpMatchArray | null;
    if ((m = stage.match(/^where\s+(\w+)\s+in~\s*\(([\s\S]*)\)$/i))) {
      parsed.filters.push({ column: (m[1] as string).toLowerCase(), values: stringLiterals(m[2] as string) });
    } else if ((m = stage.match(/^where\s+(\w+)\s+=~\s*(['"][\s\S]*['"])$/i))) {
      parsed.filters.push({ column: (m[1] as string).toLowerCase(), values: stringLiterals(m[2] as string) });
    } else if ((m = stage.match(/^project\s+([\w\s,]+)$/i))) {
      parsed.project = (m[1] as string)
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean);
    } else if ((m = stage.match(/^order\s+by\s+(\w+)(\s+(asc|desc))?$/i))) {
      parsed.orderBy = { column: m[1] as string, descending: (m[3] ?? "asc").toLowerCase() === "desc" };
    } else {
      throw new QueryError(`unsupported query stage "${stage}"`);
    }
  }
  return parsed;
}

function cell(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? "");
}

export function runQuery(parsed: ParsedQuery, rows: Row[]): Row[] {
  let result = rows.filter((row) =>
    parsed.filters.every((f) => {
      const value = row[f.column];
      return typeof value === "string" && f.values.some((v) => v.toLowerCase() === value.toLowerCase());
    }),
  );
  if (parsed.orderBy) {
    const { column, descending } = parsed.orderBy;
    result = [...result].sort((a, b) => {
      const order = cell(a[column]).localeCompare(cell(b[column]));
      return descending ? -order : order;
    });
  }
  if (parsed.project) {
    const columns = parsed.project;
    result = result.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
  }
  return result;
}
