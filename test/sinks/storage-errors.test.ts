/** What a failed run says about Azure Storage: the service, its code, and the role or setting to check. */
import { createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { accountOf, explainStorageError } from "../../src/sinks/storage-errors.js";

const AZURE = {
  blob: "https://staudit1.blob.core.windows.net",
  table: "https://staudit1.table.core.windows.net",
  queue: "https://staudit1.queue.core.windows.net",
};

function refused(url: string, statusCode: number | undefined, code: string): RestError {
  return new RestError("refused", {
    code,
    ...(statusCode !== undefined ? { statusCode } : {}),
    request: createPipelineRequest({ url }),
  });
}

describe("explainStorageError", () => {
  it.each([
    [
      `${AZURE.table}/runs(PartitionKey='run')`,
      403,
      "AuthorizationPermissionMismatch",
      true,
      "Azure Storage refused the table request (403 AuthorizationPermissionMismatch): the app's identity needs Storage Table Data Contributor on storage account staudit1",
    ],
    [
      `${AZURE.queue}/audit-runs/messages`,
      403,
      "AuthorizationFailure",
      true,
      "Azure Storage refused the queue request (403 AuthorizationFailure): the app's identity needs Storage Queue Data Contributor on storage account staudit1, and the account's network rules must let the app reach its queue endpoint (a private endpoint, or the app's subnet)",
    ],
    [
      `${AZURE.blob}/audit?restype=container`,
      403,
      "KeyBasedAuthenticationNotPermitted",
      false,
      "Azure Storage refused the blob request (403 KeyBasedAuthenticationNotPermitted): storage account staudit1 does not accept keys; connect with the managed identity (AUDIT_STORAGE__blobServiceUri, __credential, __clientId)",
    ],
    [
      `${AZURE.blob}/audit`,
      403,
      "AuthenticationFailed",
      false,
      "Azure Storage refused the blob request (403 AuthenticationFailed): the connection string's key was not accepted: check AUDIT_STORAGE",
    ],
    [
      `${AZURE.blob}/audit`,
      401,
      "InvalidAuthenticationInfo",
      true,
      "Azure Storage refused the blob request (401 InvalidAuthenticationInfo): the token was not accepted: check AUDIT_STORAGE__clientId and that the identity belongs to this tenant",
    ],
    [
      `${AZURE.table}/Tables`,
      undefined,
      "ENOTFOUND",
      true,
      "Azure Storage's table endpoint could not be reached (ENOTFOUND): check AUDIT_STORAGE__tableServiceUri and the network path to it (VNet integration, private endpoint, private DNS)",
    ],
    [
      `${AZURE.blob}/audit`,
      503,
      "ServerBusy",
      true,
      "Azure Storage refused the blob request (503 ServerBusy): the service failed past the retries; the next try may succeed",
    ],
  ])("%s → %s %s", (url, status, code, identity, expected) => {
    expect(explainStorageError(refused(url, status, code), AZURE, identity)).toBe(expected);
  });

  it("tells the services of an emulator apart by their endpoints, and names the account from the path", () => {
    const azurite = {
      blob: "http://127.0.0.1:10000/devstoreaccount1",
      table: "http://127.0.0.1:10002/devstoreaccount1",
      queue: "http://127.0.0.1:10001/devstoreaccount1",
    };
    expect(
      explainStorageError(
        refused(`${azurite.queue}/audit-runs`, 403, "AuthorizationPermissionMismatch"),
        azurite,
        false,
      ),
    ).toMatch(
      /^Azure Storage refused the queue request .* Storage Queue Data Contributor on storage account devstoreaccount1$/,
    );
    expect(accountOf("https://staudit1.blob.core.windows.net/")).toBe("staudit1");
  });

  it("names the identity settings when no token could be had, and leaves other failures alone", () => {
    const unavailable = Object.assign(new Error("ManagedIdentityCredential: no response from the endpoint"), {
      name: "CredentialUnavailableError",
    });
    expect(explainStorageError(unavailable, AZURE, true)).toMatch(
      /^the app's managed identity could not get a token for Azure Storage \(CredentialUnavailableError: .*check AUDIT_STORAGE__clientId/,
    );
    expect(explainStorageError(new Error("ARM went away"), AZURE, true)).toBeUndefined();
    expect(
      explainStorageError(refused("https://management.azure.com/x", 403, "AuthorizationFailed"), AZURE, true),
    ).toBeUndefined();
  });
});
