#!/usr/bin/env node
// Bundles the eight function modules into dist/bundle/functions.js, the app's `main`: one file to load instead
// of some 1,500 modules under node_modules, so a new instance starts sooner and the package needs no
// node_modules. Run by `npm run build` after tsc.
//
// `@azure/functions-core` stays external: the Functions Node worker provides it at run time (it is not on
// npm; Azure/azure-functions-nodejs-library#201). Modules the functions load lazily (the audit, on a run's
// first message) stay lazy inside the bundle: esbuild evaluates a bundled module when it is first required.
"use strict";
const { readdirSync } = require("node:fs");
const path = require("node:path");
const { build } = require("esbuild");

const functions = path.join(__dirname, "../dist/src/functions");
const modules = readdirSync(functions)
  .filter((f) => f.endsWith(".js"))
  .sort();

build({
  stdin: {
    contents: modules.map((f) => `require(${JSON.stringify(`./${f}`)});`).join("\n"),
    resolveDir: functions,
    sourcefile: "functions.js",
  },
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  sourcemap: "linked",
  external: ["@azure/functions-core"],
  outfile: path.join(__dirname, "../dist/bundle/functions.js"),
  logLevel: "warning",
}).catch(() => {
  process.exitCode = 1;
});
