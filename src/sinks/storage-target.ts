/**
 * Which storage account the audit writes to, and how it signs in: a connection string (Azurite, or a
 * key the CLI was given), or the identity-based connection the Functions host reads for its queue
 * trigger (`AUDIT_STORAGE__blobServiceUri`, `__tableServiceUri`, `__queueServiceUri`). Every storage
 * client of the project is built here, so the Functions app and the CLI reach storage the same way.
 */
import type { TokenCredential } from "@azure/core-auth";
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
  timeoutMs?: number;
}

/** Azurite and other loopback endpoints speak http; the Table SDK refuses that unless told. */
function insecureAllowed(target: StorageTarget): boolean {
  if (target.kind === "connectionString")
    return /UseDevelopmentStorage=true|=http:\/\//i.test(target.connectionString);
  return target.tableServiceUri.startsWith("http:");
}

export function blobService(target: StorageTarget, retry: StorageRetry = {}): BlobServiceClient {
  const options = {
    retryOptions: {
      maxTries: retry.maxTries ?? 4,
      retryDelayInMs: retry.retryDelayInMs ?? 800,
      tryTimeoutInMs: retry.timeoutMs ?? 30_000,
    },
  };
  return target.kind === "connectionString"
    ? BlobServiceClient.fromConnectionString(target.connectionString, options)
    : new BlobServiceClient(target.blobServiceUri, target.credential, options);
}

export function tableClient(target: StorageTarget, table: string, retry: StorageRetry = {}): TableClient {
  const options = {
    allowInsecureConnection: insecureAllowed(target),
    retryOptions: { maxRetries: (retry.maxTries ?? 4) - 1, retryDelayInMs: retry.retryDelayInMs ?? 800 },
  };
  return target.kind === "connectionString"
    ? TableClient.fromConnectionString(target.connectionString, table, options)
    : new TableClient(target.tableServiceUri, table, target.credential, options);
}

export function queueClient(target: StorageTarget, queue: string, retry: StorageRetry = {}): QueueClient {
  const options = {
    retryOptions: {
      maxTries: retry.maxTries ?? 4,
      retryDelayInMs: retry.retryDelayInMs ?? 800,
      tryTimeoutInMs: retry.timeoutMs ?? 30_000,
    },
  };
  const service =
    target.kind === "connectionString"
      ? QueueServiceClient.fromConnectionString(target.connectionString, options)
      : new QueueServiceClient(target.queueServiceUri, target.credential, options);
  return service.getQueueClient(queue);
}
