/**
 * The small part of the Kusto query language the emulator's Resource Graph understands: enough for
 * the inventory's queries (`where` on type, kind or id with `in~`, `=~`, `!~` or `isempty()` joined by `or`, `project`,
 * `order by`). Anything else is refused
 * with 400, as a query the emulator cannot answer truthfully.
 */

export type Row = Record<string, unknown>;

export interface ParsedQuery {
  table: "resources" | "resourcecontainers";
  /** Every filter must hold; a filter holds when one of its clauses does. */
  filters: { clauses: Clause[] }[];
  project?: string[];
  orderBy?: { column: string; descending: boolean };
}

/** `column in~ (values)` / `column =~ value` (`negated`: `!~`), compared case-insensitively. */
export interface Clause {
  column: string;
  values: string[];
  negated: boolean;
  /** `isempty(column)`: the column is missing, null or "". */
  empty?: boolean;
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
    if ((m = stage.match(/^where\s+([\s\S]+)$/i))) {
      parsed.filters.push({ clauses: (m[1] as string).split(/\s+or\s+/i).map(parseClause) });
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

function parseClause(text: string): Clause {
  const trimmed = text
    .trim()
    .replace(/^\(([\s\S]*)\)$/, "$1")
    .trim();
  let m: RegExpMatchArray | null;
  if ((m = trimmed.match(/^isempty\(\s*(\w+)\s*\)$/i)))
    return { column: (m[1] as string).toLowerCase(), values: [], negated: false, empty: true };
  if ((m = trimmed.match(/^(\w+)\s+in~\s*\(([\s\S]*)\)$/i)))
    return { column: (m[1] as string).toLowerCase(), values: stringLiterals(m[2] as string), negated: false };
  if ((m = trimmed.match(/^(\w+)\s+(=~|!~)\s*(['"][\s\S]*['"])$/i)))
    return {
      column: (m[1] as string).toLowerCase(),
      values: stringLiterals(m[3] as string),
      negated: m[2] === "!~",
    };
  throw new QueryError(`unsupported where clause "${trimmed}"`);
}

function holds(clause: Clause, row: Row): boolean {
  const value = row[clause.column];
  if (clause.empty) return value === undefined || value === null || value === "";
  const matches =
    typeof value === "string" && clause.values.some((v) => v.toLowerCase() === value.toLowerCase());
  return clause.negated ? !matches : matches;
}

function cell(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? "");
}

export function runQuery(parsed: ParsedQuery, rows: Row[]): Row[] {
  let result = rows.filter((row) => parsed.filters.every((f) => f.clauses.some((c) => holds(c, row))));
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
