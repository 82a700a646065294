/**
 * The managed identity endpoint a Flex Consumption app is given: the App Service protocol (2019-08-01) at
 * `IDENTITY_ENDPOINT`, guarded by the `IDENTITY_HEADER` secret, which `@azure/identity` (through MSAL) speaks
 * when both variables are set. It knows one user-assigned identity, as an app with one assigned identity:
 * a request without that identity's `client_id`, or with another, is refused as App Service refuses it.
 * Tokens are unsigned JWTs for the audience asked, from a Microsoft Entra issuer, which is what Azurite's
 * `--oauth basic` checks.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface IdentityEndpoint {
  /** The app settings the platform sets: IDENTITY_ENDPOINT and IDENTITY_HEADER. */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  clientId: string;
  /** Tokens issued, by audience. */
  issued: Record<string, number>;
  /** Requests refused, with the reason. */
  refused: string[];
  close(): Promise<void>;
}

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export async function startIdentityEndpoint(
  clientId = randomUUID(),
  lifetimeSeconds = 3600,
): Promise<IdentityEndpoint> {
  const secret = randomUUID();
  const principalId = randomUUID();
  const issued: Record<string, number> = {};
  const refused: string[] = [];
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const refuse = (status: number, message: string) => {
      refused.push(message);
      answer(res, status, { statusCode: status, message });
    };
    if (url.pathname !== "/msi/token") return refuse(404, "Not found");
    if (req.headers["x-identity-header"] !== secret)
      return refuse(401, "Missing or invalid X-IDENTITY-HEADER");
    if (url.searchParams.get("api-version") !== "2019-08-01") return refuse(400, "Unsupported api-version");
    const resource = url.searchParams.get("resource");
    if (!resource) return refuse(400, "The resource is missing");
    const asked = url.searchParams.get("client_id");
    // The app has a user-assigned identity only: no system-assigned one to fall back on.
    if (asked === null)
      return refuse(400, "No managed identity found for the request: no system-assigned identity");
    if (asked.toLowerCase() !== clientId.toLowerCase())
      return refuse(
        400,
        "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
      );
    const now = Math.floor(Date.now() / 1000);
    const audience = resource.replace(/\/+$/, "");
    const token = [
      base64url({ alg: "RS256", typ: "JWT", kid: "local" }),
      base64url({
        aud: audience,
        iss: `https://sts.windows.net/${TENANT}/`,
        iat: now - 60,
        nbf: now - 60,
        exp: now + lifetimeSeconds,
        appid: clientId,
        oid: principalId,
        sub: principalId,
        tid: TENANT,
        idtyp: "app",
        ver: "1.0",
      }),
      Buffer.from("not signed").toString("base64url"),
    ].join(".");
    issued[audience] = (issued[audience] ?? 0) + 1;
    answer(res, 200, {
      access_token: token,
      expires_on: String(now + lifetimeSeconds),
      resource,
      token_type: "Bearer",
      client_id: clientId,
    });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret },
    clientId,
    issued,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
