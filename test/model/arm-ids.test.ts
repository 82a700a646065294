/**
 * The lookups made of every resource (its subscription, its parent, whether two ids are one) take shortcuts
 * past `parseResourceId`: each must answer as the parser does, for every id, well formed or not.
 */
import { describe, expect, it } from "vitest";
import { parentId, parseResourceId, sameId, subscriptionOf } from "../../src/model/arm-ids.js";

/** Ids made of the segments that decide parsing, in every casing that matters, with empty segments. */
function ids(count: number, seed: number): string[] {
  const segments = ["", "subscriptions", "SUBSCRIPTIONS", "resourceGroups", "resourcegroups", "providers"];
  segments.push("Providers", "sub-1", "rg", "Microsoft.X", "things", "İ", "a b");
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = Array.from({ length: 1 + next(12) }, () => segments[next(segments.length)] as string);
    // Most real ids start well: bias the generator toward them so that deep ids are covered.
    if (next(3) > 0) parts.splice(0, 2, "", "subscriptions");
    out.push(parts.join("/"));
  }
  return out;
}

const CASES = ids(20_000, 7).concat([
  "/subscriptions/s",
  "/subscriptions/s/resourceGroups/rg",
  "/subscriptions/s/providers/Microsoft.Network/privateDnsZones",
  "/subscriptions/s/resourceGroups/providers/providers/ns/t/n/c/m",
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e",
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/",
  "/subscriptions/s/resourceGroups/rg/providers/ns/t/n\n",
  "subscriptions/s",
  "",
]);

describe("ARM ids", () => {
  it("finds the subscription of exactly the ids the parser accepts", () => {
    for (const id of CASES) expect(subscriptionOf(id), id).toBe(parseResourceId(id)?.subscriptionId);
  });

  it("finds the parent of exactly the ids the parser gives two names or more", () => {
    for (const id of CASES) {
      const parsed = parseResourceId(id);
      const expected = parsed && parsed.names.length >= 2 ? id.split("/").slice(0, -2).join("/") : undefined;
      expect(parentId(id), id).toBe(expected);
    }
  });

  it("compares ids as their lower-case forms do, whatever their lengths", () => {
    const pairs: [string, string][] = [
      ["/subscriptions/S/x", "/subscriptions/s/X"],
      ["İ", "i̇"],
      ["/x/İ", "/X/i̇"],
      ["i̇", "İ"],
      ["ab", "abc"],
      ["", ""],
      ["ß", "SS"],
    ];
    const sample = CASES.slice(0, 300);
    for (const a of sample) for (const b of sample.slice(0, 40)) pairs.push([a, b.toUpperCase()]);
    for (const [a, b] of pairs) expect(sameId(a, b), `${a} | ${b}`).toBe(a.toLowerCase() === b.toLowerCase());
    expect(sameId(undefined, "a")).toBe(false);
    expect(sameId("a", undefined)).toBe(false);
  });
});
