/**
 * Bounded concurrency, overall and per key (a subscription: ARM throttles per subscription). Wrap
 * single requests, never tasks that themselves wait on the limiter, so it cannot deadlock.
 *
 * Keys are served in the order they were first seen: the requests of a subscription begun come before
 * those of the next, so subscriptions finish one after another (and are judged and forgotten) instead of
 * all advancing together and all being held until the end. An `urgent` task goes before every key's queue
 * (within its key's bound): what every subscription's settling waits on, such as the zone index, must not wait
 * behind the subscriptions ranked before its own.
 */
export class Limiter {
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  private readonly rank = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  /** Keys with waiting tasks, by rank. */
  private readonly order: string[] = [];
  private readonly urgent: { key: string; start: () => void }[] = [];

  constructor(
    private readonly overall: number,
    private readonly perKey: number,
  ) {}

  run<T>(rawKey: string, task: () => Promise<T>, urgent = false): Promise<T> {
    const key = rawKey.toLowerCase();
    if (!this.rank.has(key)) this.rank.set(key, this.rank.size);
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.active += 1;
        this.activeByKey.set(key, (this.activeByKey.get(key) ?? 0) + 1);
        task()
          .then(resolve, reject)
          .finally(() => {
            this.active -= 1;
            this.activeByKey.set(key, (this.activeByKey.get(key) ?? 1) - 1);
            this.pump();
          });
      };
      const queue = this.waiting.get(key);
      if (urgent) this.urgent.push({ key, start });
      else if (queue) queue.push(start);
      else {
        this.waiting.set(key, [start]);
        this.enqueueKey(key);
      }
      this.pump();
    });
  }

  private enqueueKey(key: string): void {
    const rank = this.rank.get(key) ?? 0;
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.rank.get(this.order[mid] as string) ?? 0) < rank) low = mid + 1;
      else high = mid;
    }
    this.order.splice(low, 0, key);
  }

  private pump(): void {
    for (let i = 0; i < this.urgent.length && this.active < this.overall;) {
      const { key, start } = this.urgent[i] as { key: string; start: () => void };
      if ((this.activeByKey.get(key) ?? 0) < this.perKey) {
        this.urgent.splice(i, 1);
        start();
      } else i += 1;
    }
    for (let i = 0; i < this.order.length && this.active < this.overall;) {
      const key = this.order[i] as string;
      const queue = this.waiting.get(key) ?? [];
      while (queue.length > 0 && this.active < this.overall && (this.activeByKey.get(key) ?? 0) < this.perKey)
        (queue.shift() as () => void)();
      if (queue.length === 0) {
        this.waiting.delete(key);
        this.order.splice(i, 1);
      } else i += 1;
    }
  }
}
