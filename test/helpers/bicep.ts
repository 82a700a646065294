/**
 * Reading Bicep without a compiler (none can be installed here): the declarations of a file, with their bodies
 * found by matching braces outside strings and comments, and the few `var` expressions the templates derive
 * values with, evaluated as ARM would for the functions they use. Enough to hold templates to facts; not a
 * Bicep implementation.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Every .bicep file under `dir`, with its path relative to `base` and its text. */
export function bicepFiles(dir: string, base = dir): { path: string; text: string }[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return walk(dir)
    .filter((f) => f.endsWith(".bicep"))
    .map((path) => ({ path: relative(base, path), text: readFileSync(path, "utf8") }));
}

export interface Declaration {
  kind: "resource" | "module";
  name: string;
  /** `Type@version` of a resource; the path or registry reference of a module. */
  target: string;
  /** From the `=` to the closing brace of the declaration. */
  body: string;
}

/** The index of the brace that closes the one at `open`, skipping strings and comments. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "'") {
      if (text.startsWith("'''", i)) {
        i = text.indexOf("'''", i + 3) + 2;
        continue;
      }
      for (i += 1; i < text.length && text[i] !== "'"; i += 1) if (text[i] === "\\") i += 1;
      continue;
    }
    if (ch === "/" && text[i + 1] === "/") {
      i = text.indexOf("\n", i);
      if (i === -1) return -1;
      continue;
    }
    if (ch === "{" || ch === "[" || ch === "(") depth += 1;
    if (ch === "}" || ch === "]" || ch === ")") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export function declarations(text: string): Declaration[] {
  const out: Declaration[] = [];
  for (const m of text.matchAll(/^(resource|module) (\w+) '([^']+)'[^=\n]*=/gm)) {
    const start = (m.index ?? 0) + m[0].length;
    const open = text.slice(start).search(/[{[]/);
    const end = open === -1 ? -1 : closing(text, start + open);
    out.push({
      kind: m[1] as Declaration["kind"],
      name: m[2] as string,
      target: m[3] as string,
      body: text.slice(start, end === -1 ? undefined : end + 1),
    });
  }
  return out;
}

/** The keys of the object that follows `key:` in `body` (its first occurrence), at its top level only. */
export function objectKeys(body: string, key: string): string[] {
  const at = new RegExp(`\\b${key}:\\s*\\{`).exec(body);
  if (!at) return [];
  const open = (at.index ?? 0) + at[0].length - 1;
  const inner = body.slice(open + 1, closing(body, open));
  const keys: string[] = [];
  let depth = 0;
  let expectKey = true;
  for (let i = 0; i < inner.length; i += 1) {
    const ch = inner[i] as string;
    if (ch === "'") {
      for (i += 1; i < inner.length && inner[i] !== "'"; i += 1) if (inner[i] === "\\") i += 1;
      expectKey = false;
      continue;
    }
    if (ch === "/" && inner[i + 1] === "/") {
      i = inner.indexOf("\n", i) - 1;
      if (i < 0) break;
      continue;
    }
    if ("{[(".includes(ch)) depth += 1;
    else if ("}])".includes(ch)) depth -= 1;
    if (depth === 0 && (ch === "," || ch === "\n")) {
      expectKey = true;
      continue;
    }
    if (depth === 0 && expectKey && !/\s/.test(ch)) {
      const k = /^(\w+)\s*:/.exec(inner.slice(i));
      if (k) keys.push(k[1] as string);
      expectKey = false;
    }
  }
  return [...new Set(keys)];
}

/** `var name = expression` (the expression may span lines while brackets are open or a line continues it). */
export function varExpression(text: string, name: string): string {
  const m = new RegExp(`^var ${name} = `, "m").exec(text);
  if (!m) throw new Error(`no var ${name}`);
  const lines = text.slice((m.index ?? 0) + m[0].length).split("\n");
  let expression = lines[0] ?? "";
  for (const line of lines.slice(1)) {
    const open = [...expression].reduce(
      (n, c) => n + ("([{".includes(c) ? 1 : "}])".includes(c) ? -1 : 0),
      0,
    );
    if (open <= 0 && !/^\s*([?:]|&&|\|\|)/.test(line)) break;
    expression += `\n${line}`;
  }
  return expression;
}

/** The ARM template functions the derived values use, as ARM defines them. */
const FUNCTIONS = {
  split: (s: string, d: string) => s.split(d),
  trim: (s: string) => s.trim(),
  concat: (...parts: unknown[]) =>
    Array.isArray(parts[0]) ? parts.flat() : parts.map((p) => String(p)).join(""),
  length: (v: string | unknown[]) => v.length,
  startsWith: (s: string, p: string) => s.toLowerCase().startsWith(p.toLowerCase()),
  replace: (s: string, a: string, b: string) => s.split(a).join(b),
  int: (s: string | number) => {
    const n = typeof s === "number" ? s : Number(s);
    if (!Number.isInteger(n)) throw new Error(`int('${String(s)}') fails the deployment`);
    return n;
  },
  string: (v: unknown) => String(v),
  max: (...n: number[]) => Math.max(...n),
  min: (...n: number[]) => Math.min(...n),
  empty: (v: string | unknown[]) => v.length === 0,
};

/**
 * Evaluates the vars `names` of `text` in order, each seeing the inputs (parameters) and the vars before it.
 * Bicep's operators map onto JavaScript's for the values involved (ints, strings, bools; `/` is integer
 * division); string interpolation is not supported and fails.
 */
export function evaluateVars(
  text: string,
  names: readonly string[],
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...FUNCTIONS, ...inputs };
  for (const name of names) {
    const expression = varExpression(text, name);
    if (expression.includes("${")) throw new Error(`var ${name}: interpolation is not evaluated here`);
    const js = expression
      .replace(/\/\/[^\n]*/g, "")
      .replace(/==/g, "===")
      .replace(/!=/g, "!==")
      .replace(/!===/g, "!==")
      .replace(/(\w+|\))\s*\/\s*(\w+)/g, "Math.trunc($1 / $2)");
    const keys = Object.keys(scope);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const fn = new Function(...keys, `return (${js});`) as (...args: unknown[]) => unknown;
    scope[name] = fn(...keys.map((k) => scope[k]));
  }
  return Object.fromEntries(names.map((n) => [n, scope[n]]));
}
