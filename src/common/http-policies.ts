/**
 * Pipeline policies every client that leaves this process shares (ARM, storage, Logs Ingestion).
 *
 * core-rest-pipeline retries a 429 only when it says `Retry-After` (its throttling strategy; its exponential
 * strategy skips every 4xx). ARM's throttling guidance and the Logs Ingestion API both ask a client that is
 * throttled to wait and try again: a 429 that does not say how long is given a `Retry-After` here, doubling
 * with each 429 of the same request (1, 2, 4 … 32 s), so that the pipeline's retry policy waits it out within
 * its own `maxRetries`, like one that said it.
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";

const SAID = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"];
const MAX_SECONDS = 32;

const unsaid = new WeakMap<PipelineRequest, number>();

/** Gives an unsaid 429 its `Retry-After` (seconds); returns the seconds, or 0 when none was needed. */
export function sayRetryAfter(request: PipelineRequest, response: PipelineResponse): number {
  if (response.status !== 429 || SAID.some((h) => response.headers.has(h))) return 0;
  const count = unsaid.get(request) ?? 0;
  unsaid.set(request, count + 1);
  const seconds = Math.min(MAX_SECONDS, 2 ** count);
  response.headers.set("retry-after", String(seconds));
  return seconds;
}

/** The policy, for a client's pipeline after its retry policy (each try's response passes through it). */
export function backOffUnsaidThrottling(): PipelinePolicy {
  return {
    name: "backOffUnsaidThrottling",
    sendRequest: async (request, next) => {
      const response = await next(request);
      sayRetryAfter(request, response);
      return response;
    },
  };
}

/**
 * Gives each try of a request its own deadline: added after the retry policy, so every try has it. A try that
 * times out is aborted, and the retry policy does not try it again.
 */
export function tryDeadline(ms: number, name = "tryDeadline"): PipelinePolicy {
  return {
    name,
    sendRequest: (request, next) => {
      if (!request.timeout) request.timeout = ms;
      return next(request);
    },
  };
}
