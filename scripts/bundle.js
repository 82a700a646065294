#!/usr/bin/env node
// Bundles the nine function modules into dist/bundle/functions.js, the app's `main`: one file to load instead
// of some 1,500 modules under node_modules, so a new instance starts sooner and the package needs no
// node_modules. Run by `npm run build` after tsc.
//
// `@azure/functions-core` stays external: the Functions Node worker provides it at run time (it is not on
// npm; Azure/azure-functions-nodejs-library#201). Modules the functions load lazily (the audit, on a run's
// first message) stay lazy inside the bundle: esbuild evaluates a bundled module when it is first required.
//
// It then stages the deployment package in dist/package/ (azure.yaml's `dist`): host.json, a package.json
// whose `main` is the bundle, and the bundle. azd zips that folder as it is (a local build: no remote build
// runs on Azure), so what the tests load is what the platform runs.
"use strict";
const {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} = require("node:fs");
const path = require("node:path");
const { build } = require("esbuild");

const root = path.join(__dirname, "..");
const functions = path.join(root, "dist/src/functions");
const modules = readdirSync(functions)
  .filter((f) => f.endsWith(".js"))
  .sort();

const project = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

// The report's stylesheet and script (src/report/page.ts reads them from `assets/` beside itself): beside the
// compiled module, and beside the bundle, where the bundled module's `__dirname` points.
const reportAssets = path.join(root, "src/report/assets");
const bundleDir = path.dirname(path.join(root, project.main));
function copyReportAssets(into) {
  cpSync(reportAssets, path.join(into, "assets"), { recursive: true });
}
copyReportAssets(path.join(root, "dist/src/report"));

function stagePackage() {
  const out = path.join(root, "dist/package");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, path.dirname(project.main)), { recursive: true });
  copyFileSync(path.join(root, "host.json"), path.join(out, "host.json"));
  copyFileSync(path.join(root, project.main), path.join(out, project.main));
  copyReportAssets(path.join(out, path.dirname(project.main)));
  // Only what the host reads: `main`. No dependencies: the bundle carries them.
  const manifest = {
    name: project.name,
    version: project.version,
    description: project.description,
    license: project.license,
    private: true,
    main: project.main,
  };
  writeFileSync(path.join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

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
  outfile: path.join(root, project.main),
  logLevel: "warning",
})
  .then(() => copyReportAssets(bundleDir))
  .then(stagePackage)
  .catch((error) => {
    if (error && !error.errors) process.stderr.write(`${error.message ?? error}\n`);
    process.exitCode = 1;
  });
