import { describe, expect, it } from "vitest";
import { prettyJsonChunks } from "../../src/sinks/json-stream.js";

const CASES: unknown[][] = [
  [],
  [1],
  [{ a: [1, { b: "line\nbreak", c: null }], d: {} }, 2, "s", [], [[]]],
  Array.from({ length: 50 }, (_, i) => ({ id: i, text: "x".repeat(i * 7) })),
];

describe("JSON written a piece at a time", () => {
  it.each(CASES.map((c, i) => [i, c] as const))(
    "case %i: an array reads as JSON.stringify(x, null, 2)",
    (_, items) => {
      const chunks = [...prettyJsonChunks(items, { chunkSize: 16 })];
      expect(chunks.join("")).toBe(`${JSON.stringify(items, null, 2)}\n`);
      if (items.length > 10) expect(chunks.length).toBeGreaterThan(10);
    },
  );

  it.each(CASES.map((c, i) => [i, c] as const))("case %i: an object with the array last", (_, items) => {
    const head = { version: 1, runId: "r", updatedAt: "2026-11-23T00:00:00.000Z" };
    const text = [...prettyJsonChunks(items, { head, key: "findings", chunkSize: 16 })].join("");
    expect(text).toBe(`${JSON.stringify({ ...head, findings: items }, null, 2)}\n`);
  });
});
