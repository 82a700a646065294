/**
 * JSON written a piece at a time: the same text `JSON.stringify(value, null, 2)` gives, for values whose
 * large arrays are produced or held item by item, so no sink builds the whole document as one string.
 */
import { Readable } from "node:stream";

/** `JSON.stringify(item, null, 2)`, indented to sit `depth` levels deep. */
function indented(item: unknown, depth: number): string {
  const pad = "  ".repeat(depth);
  return pad + JSON.stringify(item, null, 2).replace(/\n/g, `\n${pad}`);
}

/**
 * The pretty-printed text of `{ ...head, [key]: items }` (or of `items` alone when `key` is undefined), in
 * chunks of about `chunkSize` characters.
 */
export function* prettyJsonChunks(
  items: Iterable<unknown>,
  options: { head?: Record<string, unknown>; key?: string; chunkSize?: number } = {},
): Generator<string> {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const depth = options.key === undefined ? 1 : 2;
  let buffer = "";
  if (options.key === undefined) buffer = "[";
  else {
    const head = JSON.stringify({ ...options.head, [options.key]: [] }, null, 2);
    // Everything up to the empty array the items go into: `{\n  "a": 1,\n  "key": [`.
    buffer = head.slice(0, head.lastIndexOf("[") + 1);
  }
  let first = true;
  for (const item of items) {
    buffer += `${first ? "" : ","}\n${indented(item, depth)}`;
    first = false;
    if (buffer.length >= chunkSize) {
      yield buffer;
      buffer = "";
    }
  }
  const close = options.key === undefined ? "]" : "]\n}";
  buffer += first ? close : `\n${"  ".repeat(depth - 1)}${close}`;
  yield `${buffer}\n`;
}

/** A readable stream of those chunks, for uploads and file writes. */
export function prettyJsonStream(
  items: Iterable<unknown>,
  options?: Parameters<typeof prettyJsonChunks>[1],
): Readable {
  return Readable.from(prettyJsonChunks(items, options), { objectMode: false });
}
