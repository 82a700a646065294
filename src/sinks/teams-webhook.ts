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
  /** The receiver took the request and never answered: the card may have been posted. */
  maybeDelivered = false;
}

export interface WebhookOptions {
  /** Accept `http://127.0.0.1:<port>/…` (tests only). */
  allowLoopbackHttp?: boolean;
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  /** Each try's deadline (default 10 s). */
  timeoutMs?: number;
}

/** A try gets this long to be answered; Workflows answers 202 at once when it takes a request. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

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

  /**
   * Posts one message; throws a WebhookError (without the URL) when it is still refused after retries. 429
   * and 5xx are retried with backoff (honouring Retry-After when there is one). A try that gets no answer
   * may have been posted: it is retried once (`retryTimeout`), then the error says `maybeDelivered`.
   */
  async post(message: TeamsMessage, options: { retryTimeout?: boolean } = {}): Promise<void> {
    const body = JSON.stringify(message);
    const maxRetries = this.options.maxRetries ?? 4;
    const backoff = (attempt: number) =>
      Math.min(
        (this.options.retryDelayInMs ?? 1000) * 2 ** attempt,
        this.options.maxRetryDelayInMs ?? 30_000,
      );
    let timeouts = 0;
    let status = 0;
    for (let attempt = 0; ; attempt += 1) {
      const request = createPipelineRequest({
        url: this.url.toString(),
        method: "POST",
        body,
        timeout: this.options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
        allowInsecureConnection: this.url.protocol === "http:",
      });
      request.headers.set("Content-Type", "application/json");
      try {
        status = (await this.pipeline.sendRequest(this.client, request)).status;
      } catch (error) {
        // The pipeline retries 429 with Retry-After, 5xx and dropped connections, not a try that timed out.
        const timedOut = error instanceof Error && error.name === "AbortError";
        if (timedOut) {
          timeouts += 1;
          if (timeouts === 1 && options.retryTimeout !== false) {
            await sleep(backoff(0));
            continue;
          }
          const failure = new WebhookError("the Teams webhook could not be reached (timed out)");
          failure.maybeDelivered = true;
          throw failure;
        }
        const code = isRestError(error)
          ? (error.code ?? error.name)
          : error instanceof Error
            ? error.name
            : "error";
        throw new WebhookError(`the Teams webhook could not be reached (${code})`);
      }
      // A 429 without Retry-After is not retried by the pipeline: back off here.
      if (status === 429 && attempt < maxRetries) {
        await sleep(backoff(attempt));
        continue;
      }
      break;
    }
    if (status < 200 || status >= 300)
      throw new WebhookError(`the Teams webhook answered ${status} after retries`);
  }
}

/**
 * A digest that could not be delivered, kept for the next run. `maybeDelivered`: its post timed out twice, so
 * it may have reached the channel; a later run posts it once more, and drops it if that times out too.
 */
export interface PendingDigest {
  message: TeamsMessage;
  maybeDelivered?: boolean;
}

/** Digests that could not be delivered, kept for the next run. */
export interface PendingDigests {
  /** What is kept; a store that cannot be read as digests is set aside (`setAside` says where). */
  load(): Promise<{ digests: PendingDigest[]; setAside?: string }>;
  save(digests: PendingDigest[]): Promise<void>;
}

/** What a pending-digests store holds, read leniently: digests kept by earlier versions are bare messages. */
export function parsePendingDigests(text: string): PendingDigest[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const isMessage = (m: unknown): m is TeamsMessage =>
    typeof m === "object" &&
    m !== null &&
    (m as { type?: unknown }).type === "message" &&
    Array.isArray((m as { attachments?: unknown }).attachments);
  const digests: PendingDigest[] = [];
  for (const entry of value) {
    if (isMessage(entry)) digests.push({ message: entry });
    else if (typeof entry === "object" && entry !== null && isMessage((entry as PendingDigest).message))
      digests.push({
        message: (entry as PendingDigest).message,
        ...((entry as PendingDigest).maybeDelivered === true ? { maybeDelivered: true } : {}),
      });
    else return undefined;
  }
  return digests;
}

export interface Delivery {
  delivered: number;
  /** Kept for the next run. */
  kept: number;
  error?: string;
  /** Something the user should know though the digest went out (a store set aside, a card dropped). */
  warnings?: string[];
}

/**
 * Digests kept while the webhook does not take them (a deleted workflow answers 404 for good): a week of
 * nightly runs. When it takes them again they are posted oldest first, one at a time.
 */
export const MAX_KEPT_DIGESTS = 7;

/** Sends what earlier runs could not deliver first, then this run's digest; keeps whatever fails. */
export async function deliverDigests(
  webhook: Pick<TeamsWebhook, "post">,
  digest: TeamsMessage | undefined,
  pending: PendingDigests,
): Promise<Delivery> {
  const stored = await pending.load();
  const warnings: string[] = [];
  if (stored.setAside)
    warnings.push(`the kept Teams digests could not be read and were set aside as ${stored.setAside}`);
  const queue: PendingDigest[] = [...stored.digests, ...(digest ? [{ message: digest }] : [])];
  let delivered = 0;
  const result = (extra: Partial<Delivery>): Delivery => ({
    delivered,
    kept: 0,
    ...extra,
    ...(warnings.length ? { warnings } : {}),
  });
  for (const [i, entry] of queue.entries()) {
    try {
      // A card that may have been posted is posted once more, without a second try.
      await webhook.post(entry.message, { retryTimeout: !entry.maybeDelivered });
      delivered += 1;
    } catch (error) {
      const maybe = error instanceof WebhookError && error.maybeDelivered;
      const rest = queue.slice(i + 1);
      let kept: PendingDigest[];
      if (maybe && entry.maybeDelivered) {
        warnings.push(
          "a kept Teams digest timed out again and was dropped: the webhook took it without answering, so it was probably posted",
        );
        kept = rest;
      } else {
        kept = [{ message: entry.message, ...(maybe ? { maybeDelivered: true } : {}) }, ...rest];
      }
      if (kept.length > MAX_KEPT_DIGESTS) {
        // The oldest go: each card reports its own run's changes, and the newest say what is true now.
        const dropped = kept.length - MAX_KEPT_DIGESTS;
        kept = kept.slice(dropped);
        warnings.push(
          `${dropped} kept Teams ${dropped === 1 ? "digest was" : "digests were"} dropped, the oldest: at most ${MAX_KEPT_DIGESTS} are kept while the webhook does not take them (their runs' changes are in the run archive and the dashboard)`,
        );
      }
      await pending.save(kept);
      return result({
        kept: kept.length,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  await pending.save([]);
  return result({});
}
