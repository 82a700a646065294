/**
 * How the HTTP functions answer: JSON errors `{ error: { code, message, field? } }` that name the field,
 * bodies and query strings checked with the project's schema library, and nothing internal — no stack,
 * path or secret — in a response. Unexpected failures are logged (redacted) under the invocation id.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { SETTINGS, SettingError, type Environment, type SettingName } from "../settings.js";
import { formatIssues } from "../common/validation.js";
import { explainStorage } from "./services.js";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The headers a browser script on the dashboard's origin may read (CORS hides every other response header):
 * where a run is, when to ask again, and the next page.
 */
export const EXPOSED_HEADERS = "Location, Retry-After, Link, x-continuation-token";

/** What every response carries. */
export const BASE_HEADERS = { "Cache-Control": "no-store", "Access-Control-Expose-Headers": EXPOSED_HEADERS };

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { "Content-Type": "application/json; charset=utf-8", ...BASE_HEADERS, ...headers },
  };
}

function errorBody(code: string, message: string, field?: string) {
  return { error: { code, message, ...(field !== undefined ? { field } : {}) } };
}

/** Removes the values of secret settings, and anything shaped like a key or signature, from a text. */
export function redact(text: string, env: Environment): string {
  let out = text;
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, { secret?: boolean }][]) {
    const value = env[name];
    if (spec.secret && value && value.length >= 8) out = out.split(value).join(`[${name}]`);
  }
  return out
    .replace(/(AccountKey|SharedAccessSignature|sig|code)=([^;&\s"'()<>]+)/gi, "$1=[redacted]")
    .replace(/Bearer\s+[\w.~+/-]+=*/gi, "Bearer [redacted]");
}

/** The first issue's path, as the `field` of an error. */
function fieldOf(error: z.ZodError): string | undefined {
  const issue = error.issues[0];
  // An unknown field or parameter is named by itself.
  if (issue?.code === "unrecognized_keys" && issue.path.length === 0) return issue.keys[0];
  const path = issue?.path ?? [];
  if (path.length === 0) return undefined;
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

export function invalid(error: z.ZodError, where: string): HttpError {
  return new HttpError(400, "InvalidRequest", `${where}: ${formatIssues(error)}`, fieldOf(error));
}

/** The body as text, refused past 64 KB whatever Content-Length claims. */
export async function readBody(request: HttpRequest): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES)
    throw new HttpError(413, "PayloadTooLarge", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES)
    throw new HttpError(413, "PayloadTooLarge", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  return bytes.toString("utf8");
}

/**
 * A JSON body that must be there. The Functions host passes a body to the app only when the request has a
 * Content-Length: a chunked body arrives empty, so an empty body is refused rather than read as `{}` — a
 * request that narrowed its scope must never silently widen to the whole tenant.
 */
export function parseRequiredJsonBody(request: HttpRequest, text: string): unknown {
  if (text.trim() === "") {
    if (request.headers.get("content-length") === null)
      throw new HttpError(
        411,
        "LengthRequired",
        "body: missing. Send the JSON body with a Content-Length header (the Functions host drops a chunked body); {} audits the whole tenant",
        "body",
      );
    throw new HttpError(
      400,
      "InvalidRequest",
      "body: is empty. Send a JSON object: {} audits the whole tenant; subscriptions or managementGroups narrow it",
      "body",
    );
  }
  return parseJsonBody(text);
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, "InvalidJson", `body: is not valid JSON (${(error as Error).message})`, "body");
  }
}

/**
 * The query string as an object: each parameter at most once, and `code` (the function key, which the
 * platform checks) left out. The Functions host joins a repeated parameter's values with commas before the
 * app sees them (`top=1&top=2` arrives as `top=1,2`); no value of this API holds a comma (continuation tokens
 * are base64url), so a comma means a repeated parameter too.
 */
export function queryOf(request: HttpRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(request.query.keys())) {
    if (key === "code") continue;
    const values = request.query.getAll(key);
    if (values.length > 1 || (values[0] ?? "").includes(","))
      throw new HttpError(400, "InvalidRequest", `${key}: may be given once`, key);
    out[key] = values[0] ?? "";
  }
  return out;
}

export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** A storage failure said as what to fix (redacted), or undefined when it is not one. */
export function explainForApp(error: unknown, env: Environment): string | undefined {
  const explained = explainStorage(error, env);
  return explained === undefined ? undefined : redact(explained, env);
}

/** Turns what a handler throws into the documented error answers. */
export function httpHandler(env: () => Environment, handle: Handler): Handler {
  return async (request, context) => {
    try {
      return await handle(request, context);
    } catch (error) {
      if (error instanceof HttpError)
        return json(error.status, errorBody(error.code, error.message, error.field));
      if (error instanceof SettingError) {
        context.error(`configuration: ${error.message}`);
        return json(500, errorBody("ConfigurationError", error.message, error.setting));
      }
      const storage = explainForApp(error, env());
      if (storage) {
        context.error(`${context.functionName} failed: ${storage}`);
        return json(503, errorBody("StorageUnavailable", storage));
      }
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      context.error(`${context.functionName} failed: ${name}: ${redact(message, env())}`);
      return json(
        500,
        errorBody(
          "InternalError",
          `the request failed; the app's logs hold invocation ${context.invocationId}`,
        ),
      );
    }
  };
}
