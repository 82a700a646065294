/**
 * What Azure Storage refused, said so that whoever reads a failed run knows what to fix: which service
 * (blob, table, queue), the service's own error code, and the role or setting to check. Used wherever a
 * run's failure is recorded, the failures before the state lease included.
 */
import { isRestError } from "@azure/core-rest-pipeline";

export type StorageService = "blob" | "table" | "queue";

const ROLES: Record<StorageService, string> = {
  blob: "Storage Blob Data Contributor",
  table: "Storage Table Data Contributor",
  queue: "Storage Queue Data Contributor",
};

const ENDPOINT_SETTINGS: Record<StorageService, string> = {
  blob: "AUDIT_STORAGE__blobServiceUri",
  table: "AUDIT_STORAGE__tableServiceUri",
  queue: "AUDIT_STORAGE__queueServiceUri",
};

/** The service URLs of the audit storage, as its clients were built. */
export type StorageEndpoints = Record<StorageService, string>;

/** The account name: the host's first label in Azure, the path's first segment on Azurite and other emulators. */
export function accountOf(serviceUrl: string): string {
  const url = new URL(serviceUrl);
  if (/\.(blob|table|queue)\./i.test(url.hostname)) return url.hostname.split(".")[0] ?? url.hostname;
  return url.pathname.split("/").find((p) => p !== "") ?? url.host;
}

function serviceOf(url: string | undefined, endpoints: StorageEndpoints): StorageService | undefined {
  if (!url) return undefined;
  const lower = url.toLowerCase();
  for (const service of ["blob", "table", "queue"] as const)
    if (lower.startsWith(endpoints[service].replace(/\/+$/, "").toLowerCase())) return service;
  return /\.(blob|table|queue)\./i.exec(new URL(url).hostname)?.[1]?.toLowerCase() as
    StorageService | undefined;
}

const IDENTITY_ERRORS = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
]);

/**
 * A sentence for a failure that Azure Storage, or the sign-in to it, caused; undefined for any other.
 * `identity` says how the app signs in to storage (the settings to name when a token is refused).
 */
export function explainStorageError(
  error: unknown,
  endpoints: StorageEndpoints,
  identity: boolean,
): string | undefined {
  if (error instanceof Error && IDENTITY_ERRORS.has(error.name))
    return (
      `the app's managed identity could not get a token for Azure Storage (${error.name}: ${error.message.split("\n")[0] ?? ""}): ` +
      "check AUDIT_STORAGE__clientId (the client id of the user-assigned identity the app is given) and AUDIT_STORAGE__credential=managedidentity"
    );
  if (!isRestError(error)) return undefined;
  const service = serviceOf(error.request?.url, endpoints);
  if (!service) return undefined;
  const account = accountOf(endpoints[service]);
  const code = error.code ?? "";
  const refused = `Azure Storage refused the ${service} request (${error.statusCode ?? "no status"}${code ? ` ${code}` : ""})`;
  const role = `${ROLES[service]} on storage account ${account}`;
  if (error.statusCode === undefined)
    return (
      `Azure Storage's ${service} endpoint could not be reached (${code || error.message}): check ` +
      `${identity ? ENDPOINT_SETTINGS[service] : "AUDIT_STORAGE"} and the network path to it (VNet integration, private endpoint, private DNS)`
    );
  if (code === "KeyBasedAuthenticationNotPermitted")
    return `${refused}: storage account ${account} does not accept keys; connect with the managed identity (AUDIT_STORAGE__${service}ServiceUri, __credential, __clientId)`;
  if (code === "AuthorizationPermissionMismatch") return `${refused}: the app's identity needs ${role}`;
  if (code === "AuthorizationFailure")
    return `${refused}: the app's identity needs ${role}, and the account's network rules must let the app reach its ${service} endpoint (a private endpoint, or the app's subnet)`;
  if (code === "AuthenticationFailed" || code === "InvalidAuthenticationInfo" || error.statusCode === 401)
    return identity
      ? `${refused}: the token was not accepted: check AUDIT_STORAGE__clientId and that the identity belongs to this tenant`
      : `${refused}: the connection string's key was not accepted: check AUDIT_STORAGE`;
  if (error.statusCode === 403) return `${refused}: the app's identity needs ${role}`;
  if (error.statusCode === 404 && service === "queue")
    return `${refused}: the queue does not exist and could not be created`;
  if (error.statusCode >= 500)
    return `${refused}: the service failed past the retries; the next try may succeed`;
  return `${refused}: ${error.message.split("\n")[0] ?? ""}`;
}
