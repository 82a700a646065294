import { readFile } from "node:fs/promises";

/**
 * Reads a JSON file given on the command line; a missing or malformed file becomes the caller's own
 * error (`fail`), with a message that names the file and what was wrong.
 */
export async function readJsonFile(
  path: string,
  what: string,
  fail: (message: string) => Error,
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw fail(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    // Windows editors write a UTF-8 byte-order mark first; it is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
  } catch (error) {
    throw fail(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
}
