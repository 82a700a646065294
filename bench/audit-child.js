#!/usr/bin/env node
// One benchmark mode in its own process: audits the emulator the parent serves, then prints what it
// measured as JSON on stdout (wall, CPU, peak RSS, what it read and found).
"use strict";
const { setInterval, clearInterval } = require("node:timers");
const { createHash } = require("node:crypto");
const { createWriteStream } = require("node:fs");
const { copyFile, mkdtemp, rm, stat } = require("node:fs/promises");
const { pipeline } = require("node:stream/promises");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { writeRun } = require("../dist/src/sinks/local-folder.js");
const { reportStream } = require("../dist/src/report/page.js");
const { runAudit } = require("../dist/src/audit.js");
const { EMULATOR_CREDENTIAL } = require("../dist/src/inventory/connection.js");
const { DEFAULT_POLICY } = require("../dist/src/policy/policy-file.js");

const MODES = {
  arg: { source: "arg" },
  arm: { source: "arm" },
  // What a script loop does: the same ARM lists, one request at a time.
  naive: { source: "arm", concurrency: { overall: 1, perSubscription: 1 } },
};

async function main() {
  const mode = MODES[process.env.BENCH_MODE];
  if (!mode) throw new Error(`BENCH_MODE must be one of ${Object.keys(MODES).join(", ")}`);
  const connection = {
    endpoint: process.env.BENCH_ENDPOINT,
    credential: EMULATOR_CREDENTIAL,
    ca: process.env.BENCH_CA,
  };
  // BENCH_TRACE=1: memory every half second on stderr, with the inventory's phase, to see where the peak is.
  let phase = "start";
  const trace = process.env.BENCH_TRACE
    ? setInterval(() => {
        const m = process.memoryUsage();
        const mb = (n) => (n / 1048576).toFixed(0);
        process.stderr.write(
          `trace ${((performance.now() - started) / 1000).toFixed(1)}s ${phase} rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)}\n`,
        );
      }, 500)
    : undefined;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await runAudit({
    connection,
    policy: DEFAULT_POLICY,
    previous: [],
    ...mode,
    onProgress: (p) =>
      (phase = `subs ${p.subscriptions.done}/${p.subscriptions.total} ws ${p.workspaces} dep ${p.deployments}`),
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // What the CLI's --out writes (findings, summary, state), so that peak memory includes the local files.
  const out = await mkdtemp(path.join(tmpdir(), "aml-bench-out-"));
  const writeStarted = performance.now();
  phase = "writing --out";
  await writeRun(out, result);
  const writeMs = performance.now() - writeStarted;
  // The report alone, once more, to tell its share of the run (writeRun above wrote it with the rest).
  phase = "report";
  const reportFile = path.join(out, "report-alone.html");
  const reportStarted = performance.now();
  await pipeline(
    reportStream({ summary: result.summary, findings: result.findings }),
    createWriteStream(reportFile),
  );
  const reportMs = performance.now() - reportStarted;
  const reportBytes = (await stat(reportFile)).size;
  if (process.env.BENCH_REPORT_FILE)
    await copyFile(path.join(out, "report.html"), process.env.BENCH_REPORT_FILE);
  await rm(out, { recursive: true, force: true });
  const byRule = {};
  for (const f of result.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  const ids = result.findings.map((f) => f.id).sort();
  if (trace) clearInterval(trace);
  process.stdout.write(
    JSON.stringify({
      wallMs,
      writeMs,
      reportMs,
      reportBytes,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      findings: result.findings.length,
      byRule,
      findingsDigest: createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 16),
      resources: result.mlResources,
      complete: result.summary.complete,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
