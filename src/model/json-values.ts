/** Reading ARM JSON, where any property may be missing or of another shape than the spec says. */

/** The value as a plain object, or undefined (null, arrays and scalars are not one). */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
