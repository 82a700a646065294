/**
 * The app's HTTP API and the timer: requesting runs (recorded `queued`, then enqueued), reading them,
 * and the dashboard feed. None of these reads ARM: a run happens only in the queue worker.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from "@azure/functions";
import { z } from "zod";
import { TYPES, canonicalType } from "../model/arm-ids.js";
import { newRunId } from "../audit.js";
import { formatCsv } from "../findings/format-csv.js";
import type { Finding } from "../findings/finding.js";
import { ruleById } from "../policy/registry.js";
import { SEVERITIES } from "../policy/types.js";
import { contentSecurityPolicy, renderDashboard } from "../report/page.js";
import { readNotifySettings, type Environment } from "../settings.js";
import {
  ContinuationTokenError,
  MAX_TOP,
  queryFindings,
  STORED_STATUSES,
  unwrapToken,
  wrapToken,
} from "../sinks/feed.js";
import { isRunId, type RunRecord, type RunRequest, type RunTrigger } from "../sinks/runs.js";
import {
  BASE_HEADERS,
  explainForApp,
  HttpError,
  invalid,
  json,
  parseRequiredJsonBody,
  queryOf,
  readBody,
} from "./http.js";
import { services, type ServiceOptions } from "./services.js";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const guid = z.string().regex(GUID, "must be a subscription id (a GUID)");
const managementGroup = z
  .string()
  .regex(/^[\w.()-]{1,90}$/, "must be a management group id (letters, digits, - _ . ( ), at most 90)");

export const MAX_SUBSCRIPTIONS = 1000;

export const startAuditBody = z.strictObject({
  subscriptions: z.array(guid).max(MAX_SUBSCRIPTIONS, `must list at most ${MAX_SUBSCRIPTIONS}`).optional(),
  managementGroups: z.array(managementGroup).max(100, "must list at most 100").optional(),
  excludeSubscriptions: z
    .array(guid)
    .max(MAX_SUBSCRIPTIONS, `must list at most ${MAX_SUBSCRIPTIONS}`)
    .optional(),
  notify: z.boolean().optional(),
  source: z.enum(["arg", "arm"]).optional(),
});

/** How long a client should wait before it asks again about a queued or running run. */
const RETRY_AFTER_SECONDS = "10";

/** Records a run `queued` and enqueues it; a run that cannot be enqueued is recorded failed. */
async function requestRun(
  env: Environment,
  trigger: RunTrigger,
  request: RunRequest,
  options: ServiceOptions,
): Promise<string> {
  const { storage, runs, queue } = services(env, options);
  const now = new Date();
  const runId = newRunId(now);
  await storage.prepare();
  await runs.enqueue(runId, trigger, request, now);
  try {
    await queue.send({ runId });
  } catch (error) {
    await runs.fail(runId, "the run could not be queued (Azure Storage refused the message)", new Date());
    throw error;
  }
  return runId;
}

export async function scheduleRun(
  timer: Timer,
  context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<string> {
  // A run the host missed (the app was stopped at the scheduled time) still happens, once.
  if (timer.isPastDue) context.warn("nightlyAudit: the timer is past due; the run is queued now");
  let runId: string;
  try {
    runId = await requestRun(env, "schedule", {}, options);
  } catch (error) {
    const storage = explainForApp(error, env);
    if (storage) context.error(`nightlyAudit: the run could not be queued: ${storage}`);
    throw error;
  }
  context.info(`nightlyAudit: run ${runId} queued`);
  return runId;
}

export async function startAudit(
  request: HttpRequest,
  context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<HttpResponseInit> {
  const parsed = startAuditBody.safeParse(parseRequiredJsonBody(request, await readBody(request)));
  if (!parsed.success) throw invalid(parsed.error, "body");
  const body: RunRequest = parsed.data;
  if (body.notify && !readNotifySettings(env))
    throw new HttpError(
      400,
      "InvalidRequest",
      "notify: no Teams webhook is configured for this app (TEAMS_WEBHOOK_URL)",
      "notify",
    );
  const runId = await requestRun(env, "http", body, options);
  context.info(`startAudit: run ${runId} queued`);
  // The function key (`code`) stays out of the location: the client adds its own key.
  const url = new URL(request.url);
  const location = `${url.origin}${url.pathname.replace(/\/+$/, "")}/${runId}`;
  return json(
    202,
    { runId, status: "queued", location },
    { Location: location, "Retry-After": RETRY_AFTER_SECONDS },
  );
}

/** A run as the API shows it. */
export function runView(run: RunRecord) {
  const message =
    run.status === "queued" && run.waitingFor
      ? `waiting for run ${run.waitingFor} to finish`
      : run.status === "queued"
        ? "queued"
        : run.status === "running"
          ? "reading the tenant"
          : run.status === "incomplete"
            ? "finished, but not everything could be read or written: see summary.coverage and AUDIT001"
            : run.status === "failed"
              ? `failed: ${run.error ?? "unknown reason"}`
              : "finished";
  // Only a queued run waits; a row written by an older version may still name what it waited for.
  const { etag: _etag, waitingFor, ...rest } = run;
  return { ...rest, ...(run.status === "queued" && waitingFor ? { waitingFor } : {}), message };
}

function notFound(what: string): HttpError {
  return new HttpError(404, "NotFound", what);
}

export async function getAudit(
  request: HttpRequest,
  _context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<HttpResponseInit> {
  parseQuery(request, z.strictObject({}));
  const runId = request.params.runId ?? "";
  if (!isRunId(runId)) throw notFound("no run has this id");
  const run = await services(env, options).runs.get(runId);
  if (!run) throw notFound("no run has this id");
  const finished = ["succeeded", "incomplete", "failed"].includes(run.status);
  return json(200, runView(run), finished ? {} : { "Retry-After": RETRY_AFTER_SECONDS });
}

/** A page size: plain decimal digits only (not `1e3`, `0x10`, ` 5 ` or `5.0`), from 1 to `max`. */
const pageQuery = (max: number, fallback: number) => {
  const message = `must be a whole number from 1 to ${max}`;
  return z
    .string()
    .regex(/^[1-9][0-9]{0,6}$/, message)
    .transform(Number)
    .pipe(z.number().max(max, message))
    .optional()
    .transform((n) => n ?? fallback);
};

const listAuditsQuery = z.strictObject({
  top: pageQuery(100, 20),
  continuationToken: z.string().max(4096).optional(),
});

/** The query string checked against a schema: unknown parameters are refused, like unknown fields. */
function parseQuery<T extends z.ZodType>(request: HttpRequest, schema: T): z.infer<T> {
  const parsed = schema.safeParse(queryOf(request));
  if (!parsed.success) throw invalid(parsed.error, "query");
  return parsed.data;
}

function nextLink(request: HttpRequest, token: string | undefined): string | undefined {
  if (!token) return undefined;
  const url = new URL(request.url);
  url.searchParams.delete("code");
  url.searchParams.set("continuationToken", token);
  return url.toString();
}

function tokenError(error: unknown): never {
  if (error instanceof ContinuationTokenError)
    throw new HttpError(400, "InvalidRequest", error.message, "continuationToken");
  throw error;
}

const RUNS_QUERY = "PartitionKey eq 'run'";

export async function listAudits(
  request: HttpRequest,
  _context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<HttpResponseInit> {
  const query = parseQuery(request, listAuditsQuery);
  let token: string | undefined;
  try {
    token = query.continuationToken ? unwrapToken(RUNS_QUERY, query.continuationToken) : undefined;
  } catch (error) {
    tokenError(error);
  }
  const page = await services(env, options).runs.page(query.top, token);
  const continuationToken = page.continuationToken
    ? wrapToken(RUNS_QUERY, page.continuationToken)
    : undefined;
  const next = nextLink(request, continuationToken);
  return json(200, {
    value: page.runs.map(runView),
    ...(continuationToken ? { continuationToken, nextLink: next } : {}),
  });
}

const REPORTED_TYPES: ReadonlySet<string> = new Set(Object.values(TYPES));

const listFindingsQuery = z.strictObject({
  status: z.enum(STORED_STATUSES, { error: `must be one of ${STORED_STATUSES.join(", ")}` }).optional(),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }).optional(),
  ruleId: z
    .string()
    .refine((id) => ruleById(id) !== undefined, "is not a rule id of the catalog")
    .optional(),
  subscription: guid.optional(),
  workspace: z
    .string()
    .regex(/^[\w.-]{1,260}$/, "must be a workspace name (letters, digits, - _ .)")
    .optional(),
  account: z
    .string()
    .regex(/^[\w.-]{1,64}$/, "must be a Foundry or Azure OpenAI account name (letters, digits, - _ .)")
    .optional(),
  // Rows hold the type as the auditor spells it; any spelling of a known type finds them.
  resourceType: z
    .string()
    .transform(canonicalType)
    .refine((type) => REPORTED_TYPES.has(type), `must be one of ${[...REPORTED_TYPES].join(", ")}`)
    .optional(),
  top: pageQuery(MAX_TOP, 100),
  continuationToken: z.string().max(4096).optional(),
  format: z.enum(["json", "csv"], { error: "must be json or csv" }).default("json"),
});

export async function listFindings(
  request: HttpRequest,
  _context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<HttpResponseInit> {
  const { format, ...query } = parseQuery(request, listFindingsQuery);
  const { storage } = services(env, options);
  let page: Awaited<ReturnType<typeof queryFindings>> = { findings: [] };
  try {
    page = await queryFindings(storage.findingsTable, query, storage.ledger());
  } catch (error) {
    if (error instanceof ContinuationTokenError) tokenError(error);
    // A table nobody has written yet holds no findings.
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const next = nextLink(request, page.continuationToken);
  if (format === "csv") {
    return {
      status: 200,
      body: formatCsv(page.findings as unknown as Finding[]),
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        ...BASE_HEADERS,
        ...(page.continuationToken && next
          ? { "x-continuation-token": page.continuationToken, Link: `<${next}>; rel="next"` }
          : {}),
      },
    };
  }
  return json(200, {
    value: page.findings,
    ...(page.continuationToken ? { continuationToken: page.continuationToken, nextLink: next } : {}),
  });
}

const summaryQuery = z.strictObject({ runs: pageQuery(100, 30) });

export async function getSummary(
  request: HttpRequest,
  _context: InvocationContext,
  env: Environment,
  options: ServiceOptions = {},
): Promise<HttpResponseInit> {
  const query = parseQuery(request, summaryQuery);
  const recent = await services(env, options).runs.recentSummaries(query.runs);
  const latest = recent[0]?.summary ?? null;
  return json(200, {
    latest,
    trend: recent.flatMap((run) =>
      run.summary
        ? [
            {
              runId: run.runId,
              finishedAt: run.summary.finishedAt,
              complete: run.summary.complete,
              new: run.summary.new,
              resolved: run.summary.resolved,
              bySeverity: run.summary.counts.bySeverity,
            },
          ]
        : [],
    ),
  });
}

/**
 * The dashboard page. It holds no data and no key: its script reads the feed beside it (`/api/summary`,
 * `/api/findings`, `/api/audits`) with the key the page was opened with, so it sees exactly what the feed shows
 * that key. Its policy lets it talk to this origin only.
 */
export async function getDashboard(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  // `top`: rows a page, which the page passes on to the feed.
  parseQuery(request, z.strictObject({ top: pageQuery(MAX_TOP, 100) }));
  return Promise.resolve({
    status: 200,
    body: renderDashboard(),
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      ...BASE_HEADERS,
      "Content-Security-Policy": `${contentSecurityPolicy("dashboard")}; frame-ancestors 'none'`,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    },
  });
}
