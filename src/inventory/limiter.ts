/**
 * Bounded concurrency, overall and per key (a subscription: ARM throttles per subscription). Wrap
 * single requests, never tasks that themselves wait on the limiter, so it cannot deadlock.
 */
export class Limiter {
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  private readonly queue: { key: string; start: () => void }[] = [];

  constructor(
    private readonly overall: number,
    private readonly perKey: number,
  ) {}

  run<T>(rawKey: string, task: () => Promise<T>): Promise<T> {
    const key = rawKey.toLowerCase();
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
      this.queue.push({ key, start });
      this.pump();
    });
  }

  private pump(): void {
    for (let i = 0; i < this.queue.length && this.active < this.overall;) {
      const item = this.queue[i] as { key: string; start: () => void };
      if ((this.activeByKey.get(item.key) ?? 0) < this.perKey) {
        this.queue.splice(i, 1);
        item.start();
      } else {
        i += 1;
      }
    }
  }
}
