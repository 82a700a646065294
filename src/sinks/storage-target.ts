/**
 * Which storage account the audit writes to, and how it signs in: a connection string (Azurite, or a
 * key the CLI was given), or the identity-based connection the Functions host reads for its queue
 * trigger (`AUDIT_STORAGE__blobServiceUri`, `__tableServiceUri`, `__queueServiceUri`). Every storage
 * client of the project is built here, so the Functions app and the CLI reach storage the same way.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { Pipeline } from "@azure/core-rest-pipeline";
import { tryDeadline } from "../common/http-policies.js";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";

export type StorageTarget =
  | { kind: "connectionString"; connectionString: string }
  | {
      kind: "identity";
      blobServiceUri: string;
      tableServiceUri: string;
      queueServiceUri: string;
      credential: TokenCredential;
    };

export interface StorageRetry {
  /** Tries of each request, the first included (the SDKs' own policies). */
  maxTries?: number;
  retryDelayInMs?: number;
  /** Each try's deadline. */
  timeoutMs?: number;
}

/**
 * Every storage call has a deadline, so that an account that accepts connections and never answers (a broken
 * private endpoint, a firewall appliance) is an outage, not a hang: each try gets 10 s. A 5xx or a dropped
 * connection is tried 3 times in all, at most 2 s apart; a try that timed out is not retried (the SDKs' retry
 * policies do not retry an aborted try), so a silent service fails a call in 10 s. The first call that fails so
 * stops the run's later writes (AuditStorage.unavailable): a run ends within about 35 s of storage going silent.
 */
export const STORAGE_DEADLINES = {
  tryTimeoutMs: 10_000,
  maxTries: 3,
  retryDelayInMs: 500,
  maxRetryDelayInMs: 2_000,
};

/** Azurite and other loopback endpoints speak http; the Table SDK refuses that unless told. */
function insecureAllowed(target: StorageTarget): boolean {
  if (target.kind === "connectionString")
    return /UseDevelopmentStorage=true|=http:\/\//i.test(target.connectionString);
  return target.tableServiceUri.startsWith("http:");
}

/**
 * The Blob and Queue SDKs' `tryTimeoutInMs` is only the server-side `timeout` parameter: a server that never
 * answers is waited for forever. Their clients are built on a core pipeline, shared by every client derived
 * from the service client, to which the client-side deadline is added here.
 */
function withTryDeadline<T extends object>(client: T, ms: number): T {
  // The storage Pipeline keeps the core pipeline it built (`_corePipeline`), the one every request goes through.
  const pipeline = (client as { pipeline?: { _corePipeline?: Pipeline } }).pipeline?._corePipeline;
  if (!pipeline) throw new Error("the storage SDK's client has no core pipeline to give a deadline to");
  pipeline.addPolicy(tryDeadline(ms), { afterPhase: "Retry" });
  return client;
}

function storageRetryOptions(retry: StorageRetry) {
  return {
    maxTries: retry.maxTries ?? STORAGE_DEADLINES.maxTries,
    retryDelayInMs: retry.retryDelayInMs ?? STORAGE_DEADLINES.retryDelayInMs,
    maxRetryDelayInMs: STORAGE_DEADLINES.maxRetryDelayInMs,
    tryTimeoutInMs: retry.timeoutMs ?? STORAGE_DEADLINES.tryTimeoutMs,
  };
}

export function blobService(target: StorageTarget, retry: StorageRetry = {}): BlobServiceClient {
  const options = { retryOptions: storageRetryOptions(retry) };
  const client =
    target.kind === "connectionString"
      ? BlobServiceClient.fromConnectionString(target.connectionString, options)
      : new BlobServiceClient(target.blobServiceUri, target.credential, options);
  return withTryDeadline(client, retry.timeoutMs ?? STORAGE_DEADLINES.tryTimeoutMs);
}

export function tableClient(target: StorageTarget, table: string, retry: StorageRetry = {}): TableClient {
  const options = {
    allowInsecureConnection: insecureAllowed(target),
    retryOptions: {
      maxRetries: (retry.maxTries ?? STORAGE_DEADLINES.maxTries) - 1,
      retryDelayInMs: retry.retryDelayInMs ?? STORAGE_DEADLINES.retryDelayInMs,
      maxRetryDelayInMs: STORAGE_DEADLINES.maxRetryDelayInMs,
    },
  };
  const client =
    target.kind === "connectionString"
      ? TableClient.fromConnectionString(target.connectionString, table, options)
      : new TableClient(target.tableServiceUri, table, target.credential, options);
  // The Tables SDK has no per-try timeout option: each try gets one here, after the retry policy.
  client.pipeline.addPolicy(tryDeadline(retry.timeoutMs ?? STORAGE_DEADLINES.tryTimeoutMs), {
    afterPhase: "Retry",
  });
  return client;
}

export function queueClient(target: StorageTarget, queue: string, retry: StorageRetry = {}): QueueClient {
  const options = { retryOptions: storageRetryOptions(retry) };
  const service =
    target.kind === "connectionString"
      ? QueueServiceClient.fromConnectionString(target.connectionString, options)
      : new QueueServiceClient(target.queueServiceUri, target.credential, options);
  return withTryDeadline(service, retry.timeoutMs ?? STORAGE_DEADLINES.tryTimeoutMs).getQueueClient(queue);
}
