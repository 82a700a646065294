/** Resource Graph's per-user quota, kept by every query a run makes (the sources' and the DNS zone index's). */
import type { FullOperationResponse } from "@azure/core-client";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spaces queries out within Resource Graph's per-user quota instead of drawing 429s: each response says how
 * many queries the window has left (`x-ms-user-quota-remaining`) and when it resets
 * (`x-ms-user-quota-resets-after`, hh:mm:ss); queries in flight count against what is left, so parallel
 * batches do not all spend the last one.
 */
export class QuotaGate {
  private remaining = Number.POSITIVE_INFINITY;
  private resetsAt = 0;
  private inFlight = 0;
  /** The most a window was seen to allow: what a fresh window is assumed to hold. */
  private windowSize = 1;

  async wait(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (this.resetsAt > 0 && now >= this.resetsAt) {
        this.remaining = this.windowSize;
        this.resetsAt = 0;
      }
      if (this.remaining - this.inFlight > 0) break;
      await sleep(Math.max(this.resetsAt - now, 50));
    }
    this.inFlight += 1;
  }

  /** The query sent after `wait()` is answered (or failed: `response` undefined). */
  done(response?: FullOperationResponse): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (!response) return;
    const remaining = Number(response.headers.get("x-ms-user-quota-remaining"));
    const resetsAfter = response.headers.get("x-ms-user-quota-resets-after");
    if (!Number.isFinite(remaining) || !resetsAfter) return;
    const [h = 0, m = 0, s = 0] = resetsAfter.split(":").map(Number);
    // hh:mm:ss is cut to the second, so the window resets within a second after what it says: the earliest such
    // bound over the window's responses is when it surely has.
    const surelyAt = Date.now() + ((h * 60 + m) * 60 + s + 1) * 1000;
    const sameWindow = this.resetsAt > 0 && remaining < this.remaining;
    this.resetsAt = sameWindow ? Math.min(this.resetsAt, surelyAt) : surelyAt;
    this.remaining = remaining;
    this.windowSize = Math.max(this.windowSize, remaining + 1);
  }
}
