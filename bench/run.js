#!/usr/bin/env node
// npm run bench [-- --quick] [--subscriptions N --workspaces N --endpoints N --deployments N --projects N
//                --accounts N --account-projects N --misconfigured 0.3 --seed 1 --arm-latency 40
//                --arg-latency 300 --modes arg,arm,naive --heap-mb 1024]
// --accounts: Foundry and Azure OpenAI accounts a subscription (default 1; 0 for an ML-only tenant).
// --heap-mb: the audit process's V8 old-space limit (--max-old-space-size; 0: Node's default). The live set
// of a 10× run is far below its peak RSS: without a bound V8 lets garbage grow the heap toward its default
// limit, which on this machine is gigabytes, so the bound is what keeps a run inside a small instance.
//
// Generates a synthetic tenant, serves it from the emulator in this process (ARM-like latency, read
// throttling and the Resource Graph quota), and audits it once per mode, each in its own process. Prints per
// mode: wall time, requests by kind, 429s, peak RSS, CPU (the audit's and the emulator's, apart), and the
// lower bound latency and throttling allow; then the ratios. Every mode must read every resource and give
// the findings the generator expects: checked, and the run fails when they do not.
"use strict";
const { spawn } = require("node:child_process");
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { launchChromium } = require("../scripts/chromium.js");
const { parseArgs } = require("node:util");
const { startEmulator } = require("../dist/src/emulator/server.js");
const { syntheticTenant, DEFAULT_SIZE } = require("../dist/src/emulator/synthetic.js");
const { DEFAULT_CONCURRENCY } = require("../dist/src/inventory/index.js");

// A bound well above a 10× run's live set (about 150 MB): V8 then grows the heap by at most about twice the
// live set between collections, instead of four times toward a default limit of gigabytes.
const DEFAULT_HEAP_MB = 1024;

const QUICK = {
  subscriptions: 10,
  workspacesPerSubscription: 2,
  endpointsPerWorkspace: 2,
  deploymentsPerEndpoint: 1,
};

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      subscriptions: { type: "string" },
      workspaces: { type: "string" },
      endpoints: { type: "string" },
      deployments: { type: "string" },
      projects: { type: "string" },
      accounts: { type: "string" },
      "account-projects": { type: "string" },
      misconfigured: { type: "string" },
      seed: { type: "string" },
      "arm-latency": { type: "string" },
      "arg-latency": { type: "string" },
      modes: { type: "string" },
      "heap-mb": { type: "string" },
    },
  });
  const number = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number (got "${values[name]}")`);
    return n;
  };
  const base = values.quick ? { ...DEFAULT_SIZE, ...QUICK } : DEFAULT_SIZE;
  const modes = (values.modes ?? "arg,arm,naive").split(",");
  for (const m of modes)
    if (!["arg", "arm", "naive"].includes(m)) throw new Error(`--modes: unknown mode "${m}"`);
  return {
    size: {
      subscriptions: number("subscriptions", base.subscriptions),
      workspacesPerSubscription: number("workspaces", base.workspacesPerSubscription),
      endpointsPerWorkspace: number("endpoints", base.endpointsPerWorkspace),
      deploymentsPerEndpoint: number("deployments", base.deploymentsPerEndpoint),
      projectsPerSubscription: number("projects", base.projectsPerSubscription),
      accountsPerSubscription: number("accounts", base.accountsPerSubscription),
      projectsPerAccount: number("account-projects", base.projectsPerAccount),
      misconfigured: number("misconfigured", base.misconfigured),
      seed: number("seed", base.seed),
    },
    armLatency: number("arm-latency", 40),
    argLatency: number("arg-latency", 300),
    modes,
    heapMb: number("heap-mb", DEFAULT_HEAP_MB),
  };
}

function runChild(mode, emulator, heapMb, reportFile) {
  return new Promise((resolve, reject) => {
    const heap = heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : [];
    const child = spawn(process.execPath, [...heap, path.join(__dirname, "audit-child.js")], {
      env: {
        ...process.env,
        BENCH_MODE: mode,
        BENCH_ENDPOINT: emulator.url,
        BENCH_CA: emulator.ca,
        ...(reportFile ? { BENCH_REPORT_FILE: reportFile } : {}),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} exited ${code}`)),
    );
  });
}

/**
 * What latency and ARM's read throttle allow at best (the caller adds the audit's own CPU), for the requests a mode made: each subscription's reads
 * beyond the bucket's 250 come at 25 a second; the chain of requests that depend on one another (the
 * subscription list, then each level below it) costs its latency one after the other; and all requests
 * spread over the concurrency the mode allows.
 */
function lowerBoundMs(mode, stats, subscriptions, armLatency, argLatency) {
  const argQueries = stats.byKind.resourceGraph ?? 0;
  const armRequests = stats.total - argQueries;
  const perSubscription = armRequests / subscriptions;
  const throttleMs = Math.max(0, ((perSubscription - 250) / 25) * 1000);
  if (mode === "naive") return Math.max(throttleMs, armRequests * armLatency + argQueries * argLatency);
  // arg: subscriptions → the proof → Resource Graph (its pages one after the other); arm: subscriptions →
  // deny assignments → workspaces → endpoints → deployments.
  // Resource Graph's batches run in parallel (about seven), within its quota of 15 queries per 5 s.
  const quotaMs = Math.max(0, ((argQueries - 15) / 15) * 5000);
  const chain = mode === "arg" ? 2 * armLatency + Math.ceil(argQueries / 7) * argLatency : 5 * armLatency;
  return Math.max(throttleMs, quotaMs, chain, (armRequests * armLatency) / DEFAULT_CONCURRENCY.overall);
}

/** Opens a report in headless Chromium and reads its paint timings and when its first page of findings was shown. */
async function reportPaint(file) {
  let browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    return { error: error.message.split("\n")[0] };
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).toString(), { timeout: 120_000 });
    await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
    const timings = await page.evaluate(`(() => {
      const paint = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
      const ready = performance.getEntriesByName("findings-shown")[0];
      return {
        firstPaintMs: paint["first-paint"] ?? NaN,
        firstContentfulPaintMs: paint["first-contentful-paint"] ?? NaN,
        readyMs: ready ? ready.startTime : NaN,
        rows: document.querySelectorAll("li.finding").length,
      };
    })()`);
    return timings;
  } finally {
    await browser.close();
  }
}

async function main() {
  const { size, armLatency, argLatency, modes, heapMb } = options();
  const generatedAt = performance.now();
  const { tenant, expected, resources } = syntheticTenant(size);
  const generateMs = performance.now() - generatedAt;
  console.log(
    `tenant: ${size.subscriptions} subscriptions × ${size.workspacesPerSubscription} workspaces × ${size.endpointsPerWorkspace} endpoints × ${size.deploymentsPerEndpoint} deployments` +
      `${size.projectsPerSubscription ? ` + ${size.projectsPerSubscription} projects a subscription` : ""}` +
      `${size.accountsPerSubscription ? ` + ${size.accountsPerSubscription} Foundry/OpenAI account${size.accountsPerSubscription === 1 ? "" : "s"} a subscription (${size.projectsPerAccount} projects each Foundry resource)` : ""}` +
      `: ${resources} audited resources, ` +
      `${Object.values(expected).reduce((a, b) => a + b, 0)} expected findings (generated in ${generateMs.toFixed(0)} ms); ` +
      `latency ARM ${armLatency} ms, Resource Graph ${argLatency} ms; audit heap ${heapMb > 0 ? `≤ ${heapMb} MB old space` : "Node's default"}; node ${process.version}`,
  );
  const rows = [];
  let failed = false;
  const reportFile = path.join(mkdtempSync(path.join(tmpdir(), "aml-bench-report-")), "report.html");
  for (const mode of modes) {
    const emulator = await startEmulator(tenant, { latencyMs: armLatency, argLatencyMs: argLatency });
    const emulatorCpu = process.cpuUsage();
    try {
      // The first mode's report.html is kept, to be opened in Chromium after the runs.
      const result = await runChild(mode, emulator, heapMb, rows.length === 0 ? reportFile : undefined);
      const cpu = process.cpuUsage(emulatorCpu);
      const stats = emulator.stats();
      // The audit's own CPU is part of what bounds it: it cannot finish before it has done its work.
      const bound = Math.max(
        lowerBoundMs(mode, stats, size.subscriptions, armLatency, argLatency),
        result.cpuMs,
      );
      const correct =
        result.resources === resources &&
        JSON.stringify(Object.entries(result.byRule).sort()) ===
          JSON.stringify(Object.entries(expected).sort());
      if (!correct) failed = true;
      rows.push({
        mode,
        ...result,
        stats,
        emulatorCpuMs: (cpu.user + cpu.system) / 1000,
        boundMs: bound,
        correct,
      });
    } finally {
      await emulator.close();
    }
  }

  const fmt = (ms) => `${(ms / 1000).toFixed(1)} s`;
  console.log("");
  console.log(
    "| mode | wall | bound | requests | by kind | 429s | peak RSS | CPU (audit) | CPU / request | CPU (emulator) | --out written | correct |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const kinds = Object.entries(r.stats.byKind)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    console.log(
      `| ${r.mode} | ${fmt(r.wallMs)} | ${fmt(r.boundMs)} | ${r.stats.total} | ${kinds} | ${r.stats.throttled} | ${r.peakRssMb.toFixed(0)} MB | ${fmt(r.cpuMs)} | ${(r.cpuMs / r.stats.total).toFixed(2)} ms | ${fmt(r.emulatorCpuMs)} | ${fmt(r.writeMs)} | ${r.correct ? "yes" : "NO"} |`,
    );
  }
  const naive = rows.find((r) => r.mode === "naive");
  if (naive) {
    console.log("");
    for (const r of rows.filter((x) => x.mode !== "naive"))
      console.log(
        `${r.mode}: ${(naive.wallMs / r.wallMs).toFixed(1)}× faster than the naive reader; ${(r.wallMs / r.boundMs).toFixed(2)}× its bound`,
      );
  }
  const first = rows[0];
  if (first) {
    console.log("");
    console.log(
      `report.html: ${(first.reportBytes / 1048576).toFixed(1)} MB for ${first.findings} findings, written in ${fmt(first.reportMs)}: ` +
        rows.map((r) => `${r.mode} ${((100 * r.reportMs) / r.wallMs).toFixed(1)} %`).join(", ") +
        " of the audit's wall time",
    );
    const paint = await reportPaint(reportFile);
    console.log(
      paint.error
        ? `report.html in Chromium: not measured (${paint.error})`
        : `report.html in Chromium (${first.mode}'s): first paint ${paint.firstPaintMs.toFixed(0)} ms, first contentful paint ${paint.firstContentfulPaintMs.toFixed(0)} ms, findings shown ${paint.readyMs.toFixed(0)} ms after navigation; ${paint.rows} rows in the document`,
    );
  }
  const digests = new Set(rows.map((r) => r.findingsDigest));
  if (digests.size > 1) {
    failed = true;
    console.log("\nThe modes disagree on the findings.");
  }
  if (failed) {
    console.log("\nFAILED: a mode missed resources or findings (see 'correct').");
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exitCode = 2;
});
