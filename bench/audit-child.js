#!/usr/bin/env node
// One benchmark mode in its own process: audits the emulator the parent serves, then prints what it
// measured as JSON on stdout (wall, CPU, peak RSS, what it read and found).
"use strict";
const { createHash } = require("node:crypto");
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
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await runAudit({ connection, policy: DEFAULT_POLICY, previous: [], ...mode });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const byRule = {};
  for (const f of result.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  const ids = result.findings.map((f) => f.id).sort();
  const ml = result.snapshot.resources.filter((r) => r.type.startsWith("Microsoft.MachineLearningServices/"));
  process.stdout.write(
    JSON.stringify({
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      findings: result.findings.length,
      byRule,
      findingsDigest: createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 16),
      resources: ml.length,
      complete: result.summary.complete,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
