/**
 * Posting the digest to a Teams Workflows webhook. The URL is a secret (its `sig` parameter is the
 * key): it is checked against the known hosts, never logged and never part of an error message.
 * Retries (429 with Retry-After, 5xx, timeouts) are the Azure SDK pipeline's own policies.
 */
import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  isRestError,
  type HttpClient,
  type Pipeline,
} from "@azure/core-rest-pipeline";
import { setTimeout as sleep } from "node:timers/promises";
import type { TeamsMessage } from "./teams-card.js";

/** Power Automate / Logic Apps Workflows, and the retired Office 365 connectors. */
const ALLOWED_HOST_SUFFIXES = [
  ".environment.api.powerplatform.com",
  ".logic.azure.com",
  ".webhook.office.com",
];
const LOOPBACK_HOSTS = ["127.0.0.1", "[::1]", "localhost"];

/** The explicit test setting that lets the digest go to a loopback `http` receiver. */
export const LOOPBACK_SETTING = "AUDIT_TEAMS_ALLOW_LOOPBACK_HTTP";

export class WebhookError extends Error {
  override name = "WebhookError";
}

export interface WebhookOptions {
  /** Accept `http://127.0.0.1:<port>/…` (tests only). */
  allowLoopbackHttp?: boolean;
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  timeoutMs?: number;
}

/** Refuses any URL that is not https to a Workflows host; the message never repeats the URL. */
export function checkWebhookUrl(raw: string, options: WebhookOptions = {}): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookError("the Teams webhook URL is not a URL");
  }
  // A user name or password in the URL would be sent along to whoever answers: never accepted.
  if (url.username || url.password)
    throw new WebhookError("the Teams webhook URL must not carry a user name or password");
  const host = url.hostname.toLowerCase();
  if (options.allowLoopbackHttp && url.protocol === "http:" && LOOPBACK_HOSTS.includes(host)) return url;
  if (url.protocol !== "https:") throw new WebhookError("the Teams webhook URL must be https");
  if (!ALLOWED_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix) && host.length > suffix.length)) {
    throw new WebhookError(
      `the Teams webhook URL must point at a Teams Workflows host (*${ALLOWED_HOST_SUFFIXES.join(", *")})`,
    );
  }
  return url;
}

export class TeamsWebhook {
  private readonly url: URL;
  private readonly pipeline: Pipeline;
  private readonly client: HttpClient = createDefaultHttpClient();

  constructor(
    rawUrl: string,
    private readonly options: WebhookOptions = {},
  ) {
    this.url = checkWebhookUrl(rawUrl, options);
    this.pipeline = createPipelineFromOptions({
      retryOptions: {
        maxRetries: options.maxRetries ?? 4,
        retryDelayInMs: options.retryDelayInMs ?? 1000,
        maxRetryDelayInMs: options.maxRetryDelayInMs ?? 30_000,
      },
    });
  }

  /** Posts one message; throws a WebhookError (without the URL) when it is still refused after retries. */
  async post(message: TeamsMessage): Promise<void> {
    const body = JSON.stringify(message);
    const maxRetries = this.options.maxRetries ?? 4;
    let status = 0;
    for (let attempt = 0; ; attempt += 1) {
      const request = createPipelineRequest({
        url: this.url.toString(),
        method: "POST",
        body,
        timeout: this.options.timeoutMs ?? 30_000,
        allowInsecureConnection: this.url.protocol === "http:",
      });
      request.headers.set("Content-Type", "application/json");
      try {
        status = (await this.pipeline.sendRequest(this.client, request)).status;
        break;
      } catch (error) {
        // The pipeline retries 429, 5xx and dropped connections, not a request that timed out. A retried
        // timeout may post the card twice; a digest posted twice beats one lost.
        const timedOut = error instanceof Error && error.name === "AbortError";
        if (timedOut && attempt < maxRetries) {
          const delay = Math.min(
            (this.options.retryDelayInMs ?? 1000) * 2 ** attempt,
            this.options.maxRetryDelayInMs ?? 30_000,
          );
          await sleep(delay);
          continue;
        }
        const code = isRestError(error)
          ? (error.code ?? error.name)
          : error instanceof Error
            ? error.name
            : "error";
        throw new WebhookError(`the Teams webhook could not be reached (${timedOut ? "timed out" : code})`);
      }
    }
    if (status < 200 || status >= 300)
      throw new WebhookError(`the Teams webhook answered ${status} after retries`);
  }
}

/** Digests that could not be delivered, kept for the next run. */
export interface PendingDigests {
  load(): Promise<TeamsMessage[]>;
  save(messages: TeamsMessage[]): Promise<void>;
}

export interface Delivery {
  delivered: number;
  /** Kept for the next run. */
  kept: number;
  error?: string;
}

/** Sends what earlier runs could not deliver first, then this run's digest; keeps whatever fails. */
export async function deliverDigests(
  webhook: Pick<TeamsWebhook, "post">,
  digest: TeamsMessage | undefined,
  pending: PendingDigests,
): Promise<Delivery> {
  const queue = [...(await pending.load()), ...(digest ? [digest] : [])];
  let delivered = 0;
  for (const [i, message] of queue.entries()) {
    try {
      await webhook.post(message);
      delivered += 1;
    } catch (error) {
      const kept = queue.slice(i);
      await pending.save(kept);
      return { delivered, kept: kept.length, error: error instanceof Error ? error.message : String(error) };
    }
  }
  await pending.save([]);
  return { delivered, kept: 0 };
}
