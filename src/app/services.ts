/**
 * What the functions share, built from the app settings on first use: the audit storage (tables, run
 * archive, state lock) and the run queue. Rebuilt when the settings change, so nothing here is a
 * singleton a test must patch; a bad setting fails the invocation that needs it, naming the setting.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import {
  readNotifySettings,
  readStorageSetting,
  setting,
  SettingError,
  type Environment,
} from "../settings.js";
import { RUN_QUEUE, RunQueue } from "../sinks/run-queue.js";
import type { RunStore } from "../sinks/runs.js";
import { StateLock } from "../sinks/state-lock.js";
import { AuditStorage } from "../sinks/storage.js";
import { explainStorageError, type StorageEndpoints } from "../sinks/storage-errors.js";
import {
  blobService,
  queueClient,
  tableClient,
  type StorageRetry,
  type StorageTarget,
} from "../sinks/storage-target.js";

export interface Services {
  storageTarget: StorageTarget;
  storage: AuditStorage;
  runs: RunStore;
  queue: RunQueue;
  lock: StateLock;
  /** What a storage failure means for whoever runs the app (the role or setting to check), if it is one. */
  explain(error: unknown): string | undefined;
}

export interface ServiceOptions {
  storageRetry?: StorageRetry;
  lockSeconds?: number;
}

/**
 * The identity library is loaded on the first token request, not when a function module loads: the
 * HTTP functions of a cold instance need it only once they touch storage.
 */
function lazyCredential(kind: "managedidentity" | "default", clientId: string | undefined): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
      credential ??= import("@azure/identity").then((identity) =>
        kind === "managedidentity"
          ? new identity.ManagedIdentityCredential(clientId ? { clientId } : {})
          : new identity.DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}),
      );
      return (await credential).getToken(scopes, options);
    },
  };
}

const STORAGE_SETTINGS = [
  "AUDIT_STORAGE",
  "AUDIT_STORAGE__blobServiceUri",
  "AUDIT_STORAGE__tableServiceUri",
  "AUDIT_STORAGE__queueServiceUri",
  "AUDIT_STORAGE__credential",
  "AUDIT_STORAGE__clientId",
] as const;

const cache = new Map<string, Services>();

export function services(env: Environment, options: ServiceOptions = {}): Services {
  const key = JSON.stringify([STORAGE_SETTINGS.map((n) => setting(env, n) ?? ""), options]);
  let built = cache.get(key);
  if (!built) {
    const storageTarget = readStorageSetting(env, (clientId, kind) => lazyCredential(kind, clientId));
    let storage: AuditStorage;
    try {
      storage = new AuditStorage(storageTarget, options.storageRetry);
    } catch {
      throw new SettingError("AUDIT_STORAGE", "AUDIT_STORAGE is not a valid storage connection string");
    }
    const endpoints = storageEndpoints(storageTarget);
    built = {
      storageTarget,
      storage,
      runs: storage.runs,
      queue: new RunQueue(queueClient(storageTarget, RUN_QUEUE, options.storageRetry)),
      lock: new StateLock(storage.containerClient, { durationSeconds: options.lockSeconds ?? 60 }),
      explain: (error) => explainStorageError(error, endpoints, storageTarget.kind === "identity"),
    };
    cache.clear(); // one configuration at a time: settings change only when the app restarts (or a test)
    cache.set(key, built);
  }
  return built;
}

/** The audit storage's service URLs, as its clients build them (no request is made). */
function storageEndpoints(target: StorageTarget): StorageEndpoints {
  const parent = (url: string) => url.replace(/\/[^/]+\/?$/, "");
  return {
    blob: blobService(target).url.replace(/\/+$/, ""),
    table: tableClient(target, "runs").url.replace(/\/+$/, ""),
    queue: parent(queueClient(target, RUN_QUEUE).url),
  };
}

/**
 * What a storage failure means for whoever runs the app, from the settings alone (the shared clients are
 * left as they are), or undefined when it is not a storage failure or the settings cannot be read.
 */
export function explainStorage(error: unknown, env: Environment): string | undefined {
  try {
    const target = readStorageSetting(env, (clientId, kind) => lazyCredential(kind, clientId));
    return explainStorageError(error, storageEndpoints(target), target.kind === "identity");
  } catch {
    return undefined;
  }
}

/** Whether a digest can be posted with these settings (a webhook is set and valid). */
export function notifyAvailable(env: Environment): boolean {
  return readNotifySettings(env) !== undefined;
}
