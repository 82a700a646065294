/**
 * The run's inventory for the archive (`inventory.json.gz`), gzipped to a temporary file a subscription at
 * a time as the audit reads them, so that neither the audit nor the upload holds the tenant's resources.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { createGzip, type Gzip } from "node:zlib";
import type { ArmResource, Snapshot } from "../model/snapshot.js";

export class InventorySpool {
  private first = true;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly gzip: Gzip,
    private readonly done: Promise<void>,
  ) {}

  static async open(): Promise<InventorySpool> {
    const dir = await mkdtemp(join(tmpdir(), "aml-audit-inventory-"));
    const file = createWriteStream(join(dir, "inventory.json.gz"));
    const gzip = createGzip();
    gzip.pipe(file);
    const spool = new InventorySpool(dir, gzip, finished(file));
    gzip.write('{"resources":[');
    return spool;
  }

  get path(): string {
    return join(this.dir, "inventory.json.gz");
  }

  /** Appends resources; compression and the disk run behind (gzip keeps far ahead of ARM's reads). */
  add(resources: readonly ArmResource[]): void {
    if (this.closed || resources.length === 0) return;
    const text = resources.map((r) => JSON.stringify(r)).join(",");
    this.gzip.write(this.first ? text : `,${text}`);
    this.first = false;
  }

  /** Ends the document with what the run read besides resources; the file is complete when this resolves. */
  async close(rest: Omit<Snapshot, "resources">): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const tail = JSON.stringify(rest).slice(1); // `"subscriptions":[...],...}` after the array
    this.gzip.end(`]${tail === "}" ? "}" : `,${tail}`}`);
    await this.done;
  }

  read(): NodeJS.ReadableStream {
    return createReadStream(this.path);
  }

  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.gzip.end();
      await this.done.catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
