import { expect } from "vitest";

/** The message of the error `parse` throws, which must be a `type`; fails the test when nothing is thrown. */
export function refusalOf(parse: () => unknown, type: new (...args: never[]) => Error): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return (error as Error).message;
  }
  throw new Error("the input was accepted");
}
