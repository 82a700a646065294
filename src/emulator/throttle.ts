/**
 * ARM's read throttle (a token bucket per subscription and principal, 429 with Retry-After and
 * `x-ms-ratelimit-remaining-subscription-reads`) and Resource Graph's per-principal quota (a window of
 * queries, `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` as hh:mm:ss).
 */
import { ArmError, type EmulatorStats, type ThrottleOptions } from "./types.js";

class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly options: ThrottleOptions) {
    this.tokens = options.burst;
    this.last = performance.now();
  }
  /** Takes a token, or returns the seconds until one is there. */
  take(): { ok: true; remaining: number } | { ok: false; retryAfter: number } {
    const now = performance.now();
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.last) / 1000) * this.options.refillPerSecond,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return {
      ok: false,
      retryAfter: Math.max(1, Math.ceil((1 - this.tokens) / this.options.refillPerSecond)),
    };
  }
}

export class ReadThrottle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly options: ThrottleOptions | false,
    private readonly stats: () => EmulatorStats,
  ) {}

  /** Takes a read from the path's subscription's bucket; throws the 429 ARM sends when it is empty. */
  take(principal: string, path: string): Record<string, string> {
    if (!this.options) return {};
    const subscription = path.match(/^\/subscriptions\/([^/]+)/i)?.[1]?.toLowerCase() ?? "tenant";
    const key = `${principal}|${subscription}`;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(this.options)));
    const taken = bucket.take();
    if (!taken.ok) {
      this.stats().throttled += 1;
      throw new ArmError(
        429,
        "SubscriptionRequestsThrottled",
        "Number of read requests for subscription exceeded the limit.",
        {
          "Retry-After": String(taken.retryAfter),
          "x-ms-ratelimit-remaining-subscription-reads": "0",
        },
      );
    }
    return { "x-ms-ratelimit-remaining-subscription-reads": String(taken.remaining) };
  }
}

export class GraphQuota {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    private readonly quota: { queries: number; windowSeconds: number } | false,
    private readonly stats: () => EmulatorStats,
  ) {}

  /** Takes a query from the principal's window; throws the 429 Resource Graph sends when it is spent. */
  take(principal: string): Record<string, string> {
    const quota = this.quota;
    if (!quota) return {};
    const now = performance.now();
    const window = this.windows.get(principal);
    const current =
      window && now - window.start < quota.windowSeconds * 1000 ? window : { start: now, used: 0 };
    this.windows.set(principal, current);
    const resetsIn = Math.max(0, quota.windowSeconds * 1000 - (now - current.start));
    const resetsAfter = new Date(resetsIn).toISOString().slice(11, 19);
    if (current.used >= quota.queries) {
      this.stats().throttled += 1;
      throw new ArmError(
        429,
        "RateLimiting",
        "Please provide below info when asking for support: too many requests.",
        {
          "Retry-After": String(Math.max(1, Math.ceil(resetsIn / 1000))),
          "x-ms-user-quota-remaining": "0",
          "x-ms-user-quota-resets-after": resetsAfter,
        },
      );
    }
    current.used += 1;
    return {
      "x-ms-user-quota-remaining": String(quota.queries - current.used),
      "x-ms-user-quota-resets-after": resetsAfter,
    };
  }
}
