/** `auditWorker`: runs each requested audit from the `audit-runs` queue, once (see src/app/worker.ts). */
import { app, type InvocationContext } from "@azure/functions";
import { processRunMessage } from "../app/worker.js";
import { RUN_QUEUE } from "../sinks/run-queue.js";

export async function auditWorker(message: unknown, context: InvocationContext): Promise<void> {
  await processRunMessage(message, context, process.env);
}

app.storageQueue("auditWorker", { queueName: RUN_QUEUE, connection: "AUDIT_STORAGE", handler: auditWorker });
