#!/usr/bin/env node
// Cold-load time of each built function module, of all of them in one process, and of the bundle (what a
// new Functions instance loads): the median of several fresh `node` processes each. Run after `npm run build`.
"use strict";
const { spawnSync } = require("node:child_process");
const { readdirSync } = require("node:fs");
const path = require("node:path");

const dir = path.join(__dirname, "../dist/src/functions");
const runs = Number(process.argv[2] ?? 7);
const modules = readdirSync(dir).filter((f) => f.endsWith(".js"));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function loadMs(files) {
  const script =
    `const t = process.hrtime.bigint();` +
    files.map((f) => `require(${JSON.stringify(path.join(dir, f))});`).join("") +
    `process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const out = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(out.stderr);
  return Number(out.stdout);
}

console.log(`node ${process.version}, median of ${runs} fresh processes`);
for (const file of modules) {
  const times = Array.from({ length: runs }, () => loadMs([file]));
  console.log(`${file.padEnd(24)} ${median(times).toFixed(0).padStart(5)} ms`);
}
const all = Array.from({ length: runs }, () => loadMs(modules));
console.log(`${"all (one instance)".padEnd(24)} ${median(all).toFixed(0).padStart(5)} ms`);
// What the host loads: package.json's main, the esbuild bundle of all eight.
const bundle = path.join(__dirname, "..", require("../package.json").main);
const bundled = Array.from({ length: runs }, () => loadMs([path.relative(dir, bundle)]));
console.log(`${"bundle (the app's main)".padEnd(24)} ${median(bundled).toFixed(0).padStart(5)} ms`);
