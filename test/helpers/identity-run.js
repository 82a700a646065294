// A Functions worker process with the app settings of a deployed app: audit storage through the managed
// identity (AUDIT_STORAGE__…ServiceUri, __credential, __clientId; no connection string, no key), the platform's
// IDENTITY_ENDPOINT and IDENTITY_HEADER, and the storage endpoint's CA trusted through NODE_EXTRA_CA_CERTS, as
// a process trusts a private CA. It runs the built functions as the host would: the timer, then the queue
// listener (which reads the queue with the same settings) delivering each message to auditWorker, then the
// HTTP API; and prints what it saw as one JSON line.
"use strict";
const { Buffer } = require("node:buffer");
const { setTimeout: sleep } = require("node:timers/promises");
const { HttpRequest, InvocationContext } = require("@azure/functions");
const { ManagedIdentityCredential } = require("@azure/identity");
const { BlobServiceClient } = require("@azure/storage-blob");
const { QueueClient } = require("@azure/storage-queue");
const { TableClient } = require("@azure/data-tables");
const { nightlyAudit } = require("../../dist/src/functions/nightlyAudit.js");
const { auditWorker } = require("../../dist/src/functions/auditWorker.js");
const { listAudits } = require("../../dist/src/functions/listAudits.js");
const { getAudit } = require("../../dist/src/functions/getAudit.js");

const env = process.env;
const log = [];
const context = (functionName) =>
  new InvocationContext({
    functionName,
    invocationId: `${functionName}-${Math.random().toString(16).slice(2, 10)}`,
    logHandler: (level, ...args) => log.push({ functionName, level, text: args.map(String).join(" ") }),
  });
const timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};
const failure = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The host's queue listener: the trigger's connection is the same AUDIT_STORAGE settings. */
function triggerQueue() {
  const credential = new ManagedIdentityCredential({ clientId: env.AUDIT_STORAGE__clientId });
  return new QueueClient(`${env.AUDIT_STORAGE__queueServiceUri.replace(/\/+$/, "")}/audit-runs`, credential);
}

async function deliverAll(queue) {
  const outcomes = [];
  for (let idle = 0; idle < 3;) {
    const { receivedMessageItems } = await queue.receiveMessages({
      numberOfMessages: 16,
      visibilityTimeout: 120,
    });
    if (receivedMessageItems.length === 0) {
      idle += 1;
      await sleep(300);
      continue;
    }
    for (const item of receivedMessageItems) {
      const message = JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8"));
      try {
        await auditWorker(message, context("auditWorker"));
        await queue.deleteMessage(item.messageId, item.popReceipt);
        outcomes.push("done");
      } catch (error) {
        outcomes.push(`failed: ${failure(error)}`);
        await queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
  }
  return outcomes;
}

async function run() {
  await nightlyAudit(timer, context("nightlyAudit"));
  const outcomes = await deliverAll(triggerQueue());
  const list = await listAudits(
    new HttpRequest({ method: "GET", url: "http://localhost/api/audits" }),
    context("listAudits"),
  );
  const runId = list.jsonBody.value[0].runId;
  const audit = await getAudit(
    new HttpRequest({ method: "GET", url: `http://localhost/api/audits/${runId}`, params: { runId } }),
    context("getAudit"),
  );
  // What reached storage, read back with the identity too.
  const credential = new ManagedIdentityCredential({ clientId: env.AUDIT_STORAGE__clientId });
  const blobs = [];
  const container = new BlobServiceClient(env.AUDIT_STORAGE__blobServiceUri, credential).getContainerClient(
    "audit",
  );
  for await (const blob of container.listBlobsFlat()) blobs.push(blob.name);
  let findingRows = 0;
  const findings = new TableClient(env.AUDIT_STORAGE__tableServiceUri, "findings", credential);
  for await (const page of findings.listEntities().byPage()) findingRows += page.length;
  return { outcomes, run: audit.jsonBody, blobs, findingRows };
}

async function refused() {
  let timerError;
  try {
    await nightlyAudit(timer, context("nightlyAudit"));
  } catch (error) {
    timerError = failure(error);
  }
  let workerError;
  try {
    await auditWorker({ runId: "20261202T000000Z-abcdef" }, context("auditWorker"));
  } catch (error) {
    workerError = failure(error);
  }
  return { timerError, workerError };
}

const scenario = process.argv[2] === "refused" ? refused : run;
scenario()
  .then((result) => process.stdout.write(`\n@@result ${JSON.stringify({ ...result, log })}\n`))
  .catch((error) => {
    process.stdout.write(`\n@@result ${JSON.stringify({ crashed: failure(error), log })}\n`);
    process.exitCode = 1;
  });
