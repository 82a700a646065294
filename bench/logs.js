#!/usr/bin/env node
// node bench/logs.js [--subscriptions N] (after `npm run build`): audits the synthetic bench tenant (default size)
// in this process, sends its rows to the local Logs Ingestion receiver with the real LogsIngestionClient, and
// prints rows, bytes (JSON and gzipped) and the time the upload took, from the publication's own steps.
"use strict";
const { mkdtemp, rm } = require("node:fs/promises");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { Composition } = require("../dist/src/compose.js");
const { syntheticTenant, DEFAULT_SIZE } = require("../dist/src/emulator/synthetic.js");
const { DEFAULT_POLICY } = require("../dist/src/policy/policy-file.js");

async function main() {
  const { values } = parseArgs({ options: { subscriptions: { type: "string" } } });
  const size = {
    ...DEFAULT_SIZE,
    ...(values.subscriptions ? { subscriptions: Number(values.subscriptions) } : {}),
  };
  const { tenant } = syntheticTenant(size);
  const out = await mkdtemp(path.join(tmpdir(), "aml-bench-logs-"));
  const marks = {};
  try {
    const composition = new Composition({
      arm: { kind: "tenant", tenant },
      source: "arg",
      policy: DEFAULT_POLICY,
      scope: {},
      out,
      logs: "local",
    });
    const started = performance.now();
    const { result, publication, logsReceived } = await composition.execute({
      onPublishStep: (step) => {
        marks[step] = performance.now();
      },
    });
    const taken = logsReceived.requests.filter((r) => r.status === 204);
    const sum = (key) => taken.reduce((n, r) => n + r[key], 0);
    const rows = Object.fromEntries(Object.entries(logsReceived.rows).map(([s, r]) => [s, r.length]));
    process.stdout.write(
      `${JSON.stringify(
        {
          subscriptions: size.subscriptions,
          findings: result.findings.length,
          rows,
          calls: taken.length,
          largestCallJsonBytes: Math.max(...taken.map((r) => r.jsonBytes)),
          jsonBytes: sum("jsonBytes"),
          gzipBytes: sum("gzipBytes"),
          uploadMs: Math.round(marks.logs - marks.digest),
          runMs: Math.round(performance.now() - started),
          problems: logsReceived.problems.length,
          delivery: publication.logs,
          node: process.version,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
