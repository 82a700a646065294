/**
 * The source tree reads in one direction: no module imports, even for a type, a module that imports it back
 * (directly or through others). A cycle is where a reader cannot tell which side describes a thing and which
 * uses it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(__dirname, "../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Each module's relative imports and re-exports, type-only ones included. */
function graph(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, "utf8");
    const deps = new Set<string>();
    for (const m of text.matchAll(/^(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms))
      deps.add(normalize(join(dirname(file), (m[1] as string).replace(/\.js$/, ".ts"))));
    out.set(file, deps);
  }
  return out;
}

/** The strongly connected groups of more than one module (Tarjan). */
function cycles(g: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        on.delete(w);
        group.push(relative(SRC, w));
        if (w === v) break;
      }
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the source layout", () => {
  it("has no import cycle, type imports included", () => {
    expect(cycles(graph())).toEqual([]);
  });

  it("finds a cycle when there is one (the check can fail)", () => {
    const g = new Map([
      ["/a.ts", new Set(["/b.ts"])],
      ["/b.ts", new Set(["/a.ts"])],
      ["/c.ts", new Set(["/a.ts"])],
    ]);
    expect(cycles(g)).toHaveLength(1);
  });

  it("keeps no module loose at the top of src/ but the run's composition and the app's settings", () => {
    const loose = readdirSync(SRC).filter((n) => n.endsWith(".ts"));
    expect(loose.sort()).toEqual(["audit.ts", "compose.ts", "settings.ts"]);
  });
});
