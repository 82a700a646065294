import { isRestError } from "@azure/core-rest-pipeline";
import type { ScopeFailure, ScopeType } from "../model/snapshot.js";

const MAX_MESSAGE = 300;

/** Keeps a failure's message short and free of anything that looks like a credential. */
function clean(message: string): string {
  const scrubbed = message
    .replace(/Bearer\s+[\w.~+/=-]+/gi, "Bearer [redacted]")
    .replace(/([?&](sig|code|token|key)=)[^&\s"]+/gi, "$1[redacted]");
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE - 1)}…` : scrubbed;
}

/**
 * A failed read as a ScopeFailure, when it is one ARM can cause (an HTTP error after retries, or the
 * network); anything else is a bug and is thrown on.
 */
export function toFailure(
  error: unknown,
  scope: string,
  scopeType: ScopeType,
  operation: string,
): ScopeFailure {
  if (!isRestError(error)) throw error;
  const failure: ScopeFailure = {
    scope,
    scopeType,
    operation,
    message: clean(error.message || "request failed"),
  };
  if (error.statusCode !== undefined) failure.status = error.statusCode;
  if (error.code) failure.code = error.code;
  return failure;
}

/** Same as `toFailure` for a raw response the pipeline did not turn into an error. */
export function responseFailure(
  status: number,
  bodyText: string | undefined,
  scope: string,
  scopeType: ScopeType,
  operation: string,
): ScopeFailure {
  let code: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const body = JSON.parse(bodyText ?? "") as { error?: { code?: string; message?: string } };
    code = body.error?.code;
    message = body.error?.message ?? message;
  } catch {
    // a body that is not ARM's error JSON: the status says enough
  }
  return { scope, scopeType, operation, status, ...(code ? { code } : {}), message: clean(message) };
}
