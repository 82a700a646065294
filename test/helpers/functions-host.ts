/**
 * What the Functions host does around a handler, for tests (Core Tools cannot be installed here): an
 * InvocationContext that keeps the log, HttpRequests, and a queue loop over a real Azurite queue —
 * base64 bodies decoded and parsed as the host does, `dequeueCount`, a failed message made visible
 * again, and after the fifth failure the message moved to `<queue>-poison`.
 */
import { HttpRequest, InvocationContext } from "@azure/functions";
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import { setTimeout as sleep } from "node:timers/promises";

export interface LogLine {
  level: string;
  text: string;
}

export function context(functionName: string, log: LogLine[] = [], dequeueCount?: number): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: `${functionName}-${Math.random().toString(16).slice(2, 10)}`,
    logHandler: (level, ...args) => log.push({ level, text: args.map(String).join(" ") }),
    ...(dequeueCount !== undefined ? { triggerMetadata: { dequeueCount } } : {}),
  });
}

/**
 * An HttpRequest as the host hands it to the worker: a body only when the request has a Content-Length (a
 * `chunked` one arrives empty, azure-functions-host #4926), and a repeated query parameter joined with commas.
 */
export function request(init: {
  method: string;
  path: string;
  body?: string;
  chunked?: boolean;
  query?: Record<string, string | string[]>;
  params?: Record<string, string>;
  headers?: Record<string, string>;
}): HttpRequest {
  const sent = new URL(`http://localhost:7071${init.path}`);
  for (const [k, v] of Object.entries(init.query ?? {}))
    for (const value of Array.isArray(v) ? v : [v]) sent.searchParams.append(k, value);
  const url = new URL(sent.origin + sent.pathname);
  for (const key of new Set(sent.searchParams.keys()))
    url.searchParams.set(key, sent.searchParams.getAll(key).join(","));
  const hasBody = init.body !== undefined && !init.chunked;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(init.chunked ? { "transfer-encoding": "chunked" } : {}),
    ...(hasBody ? { "content-length": String(Buffer.byteLength(init.body ?? "")) } : {}),
    ...init.headers,
  };
  return new HttpRequest({
    method: init.method,
    url: url.toString(),
    ...(hasBody && Number(headers["content-length"]) > 0 ? { body: { string: init.body ?? "" } } : {}),
    headers,
    ...(init.params ? { params: init.params } : {}),
  });
}

export type QueueHandler = (message: unknown, context: InvocationContext) => Promise<unknown>;

const MAX_DEQUEUE_COUNT = 5;

/** The host's decoding: base64, then JSON when it parses, else the string. */
function decode(text: string): unknown {
  const body = Buffer.from(text, "base64").toString("utf8");
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

export class QueueHost {
  readonly log: LogLine[] = [];
  readonly outcomes: unknown[] = [];
  private readonly queue: QueueClient;
  private readonly poison: QueueClient;

  constructor(
    connectionString: string,
    queueName: string,
    private readonly handler: QueueHandler,
    private readonly poisonHandler: QueueHandler,
  ) {
    const service = QueueServiceClient.fromConnectionString(connectionString);
    this.queue = service.getQueueClient(queueName);
    this.poison = service.getQueueClient(`${queueName}-poison`);
  }

  /** Messages waiting, visible or not, in the queue and its poison queue. */
  async pending(): Promise<number> {
    let total = 0;
    for (const q of [this.queue, this.poison]) {
      await q.createIfNotExists();
      total += (await q.getProperties()).approximateMessagesCount ?? 0;
    }
    return total;
  }

  private async deliver(from: QueueClient, handler: QueueHandler, name: string, poisonTo?: QueueClient) {
    const received = await from.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 120 });
    await Promise.all(
      received.receivedMessageItems.map(async (item) => {
        try {
          this.outcomes.push(
            await handler(decode(item.messageText), context(name, this.log, item.dequeueCount)),
          );
          await from.deleteMessage(item.messageId, item.popReceipt);
        } catch {
          if (poisonTo && item.dequeueCount >= MAX_DEQUEUE_COUNT) {
            await poisonTo.sendMessage(item.messageText);
            await from.deleteMessage(item.messageId, item.popReceipt);
          } else {
            await from.updateMessage(item.messageId, item.popReceipt, undefined, 0);
          }
        }
      }),
    );
    return received.receivedMessageItems.length;
  }

  /** Delivers until both queues are empty (delayed messages included), or the deadline passes. */
  async drain(deadlineMs = 60_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    await this.queue.createIfNotExists();
    await this.poison.createIfNotExists();
    while (Date.now() < deadline) {
      const handled =
        (await this.deliver(this.queue, this.handler, "auditWorker", this.poison)) +
        (await this.deliver(this.poison, this.poisonHandler, "auditWorkerPoison"));
      if (handled === 0) {
        if ((await this.pending()) === 0) return;
        await sleep(200);
      }
    }
    throw new Error("the queue did not drain before the deadline");
  }
}
