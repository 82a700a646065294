/**
 * The HTML page of a run (`report.html`: one self-contained file, the run's data inside it) and the dashboard
 * (`GET /api/dashboard`: the same page, reading the app's feed). One stylesheet and one script
 * (`assets/`), inlined and allowed by their hashes in the page's Content Security Policy, so that the report
 * makes no request at all and the dashboard none but to the app itself.
 *
 * The run's data is gzipped JSON in base64 inside the page: a 10× tenant's findings (tens of MB of JSON) make
 * a file of a few MB, and base64 holds no character that can end the element it sits in, whatever a resource
 * name or tag contains.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { Finding } from "../findings/finding.js";
import type { Summary } from "../findings/summary.js";
import { TYPES } from "../model/arm-ids.js";
import { RULES } from "../policy/registry.js";
import { SEEDS } from "../policy/seeds.js";

export const REPORT_FILE = "report.html";
export const REPORT_CONTENT_TYPE = "text/html; charset=utf-8";
/** Runs the report's trend shows. */
export const TREND_RUNS = 30;

/** One recent run, as the summary feed's trend gives it. */
export interface TrendPoint {
  runId: string;
  finishedAt: string;
  complete: boolean;
  new: number;
  resolved: number;
  bySeverity: Summary["counts"]["bySeverity"];
}

export function trendPoint(summary: Omit<Summary, "resolvedFindings">): TrendPoint {
  return {
    runId: summary.runId,
    finishedAt: summary.finishedAt,
    complete: summary.complete,
    new: summary.new,
    resolved: summary.resolved,
    bySeverity: summary.counts.bySeverity,
  };
}

export interface ReportInput {
  summary: Summary;
  findings: readonly Finding[];
  /** Recent runs, oldest first, this one last; where the state keeps none, the page says so. */
  trend?: readonly TrendPoint[];
}

interface Assets {
  style: string;
  script: string;
  styleHash: string;
  scriptHash: string;
}

let loaded: Assets | undefined;

/**
 * The stylesheet and script, read once. They sit in `assets/` beside this module in the sources, beside the
 * compiled module in dist/src/report, and beside the app's bundle (scripts/bundle.js copies them).
 */
function assets(): Assets {
  if (loaded) return loaded;
  const read = (name: string) => readFileSync(join(__dirname, "assets", name), "utf8");
  const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
  const style = read("report.css");
  const script = read("report.js");
  loaded = { style, script, styleHash: hash(style), scriptHash: hash(script) };
  return loaded;
}

/** JSON inside a script element: nothing in it can close the element or start a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** What both pages need to name rules, sources and types; the same for every run of this version. */
function catalog() {
  return {
    rules: RULES.map((rule) => ({
      id: rule.id,
      slug: rule.slug,
      title: rule.title,
      severity: rule.severity,
      seeds: rule.seeds,
    })),
    seeds: Object.fromEntries(Object.entries(SEEDS).map(([id, seed]) => [id, seed.title])),
    resourceTypes: [...new Set(Object.values(TYPES))].sort(),
  };
}

export function contentSecurityPolicy(mode: "report" | "dashboard"): string {
  const { styleHash, scriptHash } = assets();
  return [
    "default-src 'none'",
    `style-src ${styleHash}`,
    `script-src ${scriptHash}`,
    "img-src data:",
    // The report reads nothing; the dashboard reads the app's own API.
    `connect-src ${mode === "dashboard" ? "'self'" : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

function head(mode: "report" | "dashboard", title: string): string {
  const { style } = assets();
  const csp = contentSecurityPolicy(mode).replace(/"/g, "&quot;");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
<header class="top">
<h1>${title}</h1>
<p class="meta" id="meta">Loading…</p>
<p class="run-status" role="status" id="run-status"></p>
<button type="button" class="primary" id="start-audit" hidden>Start an audit of the whole tenant</button>
</header>
<main>
<section id="verdict" class="verdict unknown" aria-live="polite"><h2 id="loading">Loading the findings…</h2></section>
<section id="counts" aria-label="Counts"></section>
<section id="results" aria-labelledby="results-title">
<h2 id="results-title">Findings</h2>
<form id="filters" class="filters" hidden>
<label>Severity<select id="f-severity" name="severity"></select></label>
<label>Rule<select id="f-rule" name="rule"></select></label>
<label>Status<select id="f-status" name="status"></select></label>
<label>Subscription<select id="f-subscription" name="subscription"></select></label>
<label>Resource type<select id="f-type" name="resourceType"></select></label>
<label>Search<input type="search" id="f-search" name="search" autocomplete="off"></label>
<button type="button" id="clear">Clear filters</button>
<p id="search-scope" class="notice"></p>
</form>
<div class="pager"><button type="button" id="previous" disabled>Previous page</button><button type="button" id="next" disabled>Next page</button><span id="page-status" role="status"></span></div>
<ul id="groups" class="groups"></ul>
</section>
</main>
<script type="application/json" id="audit-config">${scriptJson({ mode, catalog: catalog() })}</script>
`;
}

function tail(): string {
  return `<script>${assets().script}</script>
</body>
</html>
`;
}

/**
 * The run's data as the page reads it: the summary, the trend, and each finding without what the catalog
 * already says (title, slug, sources) or the run says (its id). Gzipped a finding at a time, so that the data
 * never becomes one string.
 */
const BATCH_CHARS = 512 * 1024;

async function* compressedData(input: ReportInput): AsyncGenerator<Buffer> {
  // Level 1: a 10× tenant's JSON compresses about as well at a fraction of the default level's time.
  const gzip = createGzip({ level: 1, chunkSize: 256 * 1024 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = once(gzip, "end");
  const pieces = function* () {
    yield `{"summary":${JSON.stringify(input.summary)},"trend":${JSON.stringify(input.trend ?? [])},"findings":[`;
    let first = true;
    for (const finding of input.findings) {
      const { title: _title, slug: _slug, seed: _seed, runId: _runId, ...rest } = finding;
      yield `${first ? "" : ","}${JSON.stringify(rest)}`;
      first = false;
    }
    yield "]}";
  };
  // Written to zlib in batches of about half a megabyte: a write a finding costs more in hand-offs to zlib's
  // thread than the compression itself.
  let batch = "";
  for (const piece of pieces()) {
    batch += piece;
    if (batch.length < BATCH_CHARS) continue;
    if (!gzip.write(batch)) await once(gzip, "drain");
    batch = "";
    if (out.length > 0) yield* out.splice(0);
  }
  gzip.end(batch);
  await ended;
  yield* out.splice(0);
}

/** The report, in pieces: the page's head, the data in base64 lines, the script. */
export async function* reportChunks(input: ReportInput): AsyncGenerator<string> {
  yield head("report", "Azure ML isolation audit");
  yield `<script type="application/octet-stream" id="audit-data">\n`;
  let carry = Buffer.alloc(0);
  for await (const chunk of compressedData(input)) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    // Whole groups of three bytes only: base64 pieces then join into one.
    const whole = bytes.length - (bytes.length % 3);
    if (whole > 0) yield `${bytes.subarray(0, whole).toString("base64")}\n`;
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length > 0) yield `${carry.toString("base64")}\n`;
  yield "</script>\n";
  yield tail();
}

/** The report as a stream, for a file or a blob. */
export function reportStream(input: ReportInput): Readable {
  return Readable.from(reportChunks(input));
}

export async function renderReport(input: ReportInput): Promise<string> {
  let html = "";
  for await (const chunk of reportChunks(input)) html += chunk;
  return html;
}

/** The dashboard: the same page, its data read from the feed beside it (`/api/summary`, `/api/findings`). */
export function renderDashboard(): string {
  return `${head("dashboard", "Azure ML isolation dashboard")}${tail()}`;
}
