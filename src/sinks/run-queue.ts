/**
 * The queue every run goes through (`audit-runs`): one message per requested run, holding only its id;
 * the run's request lives in its `runs` row. Bodies are base64 JSON, as the Functions host expects by
 * default (`messageEncoding: base64`); `sendMessage` does not encode by itself.
 */
import type { QueueClient } from "@azure/storage-queue";
import { z } from "zod";
import { RUN_ID } from "./runs.js";

export const RUN_QUEUE = "audit-runs";
export const POISON_QUEUE = `${RUN_QUEUE}-poison`;

export interface RunMessage {
  runId: string;
}

const runMessage = z.strictObject({ runId: z.string().regex(RUN_ID) });

export function encodeMessage(message: RunMessage): string {
  return Buffer.from(JSON.stringify(message), "utf8").toString("base64");
}

/**
 * The host hands a queue trigger the decoded body, parsed when it is JSON. Anything else is not a
 * message this app sent, and is refused with the reason.
 */
export function parseRunMessage(body: unknown): { message?: RunMessage; problem?: string } {
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return { problem: "the message is not JSON" };
    }
  }
  const parsed = runMessage.safeParse(value);
  return parsed.success
    ? { message: parsed.data }
    : { problem: "the message is not { runId } with a run id" };
}

export class RunQueue {
  private ready?: Promise<unknown>;

  constructor(private readonly client: QueueClient) {}

  /** Sends a run's message, visible after `delaySeconds` (a run waiting for the lock). */
  async send(message: RunMessage, delaySeconds = 0): Promise<void> {
    this.ready ??= this.client.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    await this.client.sendMessage(encodeMessage(message), { visibilityTimeout: delaySeconds });
  }
}
