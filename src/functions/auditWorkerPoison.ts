/** `auditWorkerPoison`: a run whose message failed every try is recorded failed, never left running. */
import { app, type InvocationContext } from "@azure/functions";
import { processPoisonMessage } from "../app/worker.js";
import { POISON_QUEUE } from "../sinks/run-queue.js";

export async function auditWorkerPoison(message: unknown, context: InvocationContext): Promise<void> {
  await processPoisonMessage(message, context, process.env);
}

app.storageQueue("auditWorkerPoison", {
  queueName: POISON_QUEUE,
  connection: "AUDIT_STORAGE",
  handler: auditWorkerPoison,
});
