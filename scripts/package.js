#!/usr/bin/env node
// Builds the deployment package exactly as `azd deploy` makes it, and checks that the platform can run it.
//
//   npm run package                       # dist/package.zip, checked
//   node scripts/package.js --project DIR [--out FILE] [--keep]
//
// What azd does for a `host: function` service in JavaScript or TypeScript (Azure/azure-dev,
// cli/azd/pkg/project/service_target_functionapp.go, project_utils.go, framework_service_node.go):
// - `remoteBuild` is checked against the project's `.funcignore`: `true` requires it to exclude
//   node_modules, `false` refuses one that does; unset means "remote when node_modules is excluded".
// - the folder zipped is the project, or its `dist` when azure.yaml sets one; the `.funcignore` at that
//   folder's root applies (gitignore rules), as do azd's own exclusions (`.azure`, the ignore file,
//   `local.settings.json`, and node_modules when there is no ignore file and the build is remote).
// - on Flex Consumption a remote build (Oryx) then runs `npm install`, and `npm run build` when
//   package.json has a `build` script, in the unpacked package.
// This script does the same, unpacks the zip in a temporary folder with no node_modules above it, runs
// the remote build there when azure.yaml asks for one, loads package.json's `main` with a stand-in for the
// worker's `@azure/functions-core`, and compares what registers with the functions of DESIGN §8.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");
const { unzipSync, zipSync } = require("fflate");
const ignore = require("ignore");
const YAML = require("yaml");

/** The functions and bindings the app must register: DESIGN §8's table. */
const EXPECTED = {
  auditWorker: { type: "queueTrigger", queueName: "audit-runs", connection: "AUDIT_STORAGE" },
  auditWorkerPoison: { type: "queueTrigger", queueName: "audit-runs-poison", connection: "AUDIT_STORAGE" },
  getAudit: { type: "httpTrigger", methods: ["GET"], route: "audits/{runId}", authLevel: "function" },
  getDashboard: { type: "httpTrigger", methods: ["GET"], route: "dashboard", authLevel: "function" },
  getSummary: { type: "httpTrigger", methods: ["GET"], route: "summary", authLevel: "function" },
  listAudits: { type: "httpTrigger", methods: ["GET"], route: "audits", authLevel: "function" },
  listFindings: { type: "httpTrigger", methods: ["GET"], route: "findings", authLevel: "function" },
  nightlyAudit: { type: "timerTrigger", schedule: "%AUDIT_SCHEDULE%", runOnStartup: false },
  startAudit: { type: "httpTrigger", methods: ["POST"], route: "audits", authLevel: "function" },
};

class PackageError extends Error {}

const timings = [];
function step(name, fn) {
  const started = performance.now();
  try {
    return fn();
  } finally {
    timings.push([name, performance.now() - started]);
  }
}

/** The `host: function` service of azure.yaml. */
function functionService(projectDir) {
  const file = path.join(projectDir, "azure.yaml");
  const config = YAML.parse(fs.readFileSync(file, "utf8"));
  const services = Object.entries(config?.services ?? {}).filter(([, s]) => s?.host === "function");
  if (services.length !== 1)
    throw new PackageError(`azure.yaml: expected one service with host: function, found ${services.length}`);
  const [name, service] = services[0];
  if (!["ts", "typescript", "js", "javascript"].includes(String(service.language).toLowerCase()))
    throw new PackageError(`azure.yaml: service ${name} is not JavaScript or TypeScript`);
  return {
    name,
    path: path.resolve(projectDir, service.project ?? "."),
    dist: service.dist,
    remoteBuild: typeof service.remoteBuild === "boolean" ? service.remoteBuild : undefined,
  };
}

function readIgnoreFile(dir) {
  const file = path.join(dir, ".funcignore");
  if (!fs.existsSync(file)) return undefined;
  // azd strips a UTF-8 byte-order mark before parsing.
  return ignore().add(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
}

/** azd's resolveFunctionAppRemoteBuild, with its error messages. */
function resolveRemoteBuild(service) {
  const rules = readIgnoreFile(service.path);
  if (!rules) return service.remoteBuild ?? true;
  const nodeModulesExcluded = rules.ignores("node_modules/");
  if (service.remoteBuild === undefined) return nodeModulesExcluded;
  if (service.remoteBuild && !nodeModulesExcluded)
    throw new PackageError("azd: 'remoteBuild: true' requires '.funcignore' to exclude node_modules");
  if (!service.remoteBuild && nodeModulesExcluded)
    throw new PackageError(
      "azd: 'remoteBuild: false' cannot be used when '.funcignore' excludes node_modules",
    );
  return service.remoteBuild;
}

/** The files azd's createDeployableZip puts in the zip, relative to `root`, with their bytes. */
function collectFiles(root, service) {
  const rules = readIgnoreFile(root);
  const files = {};
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).split(path.sep).join("/");
      const isDir = entry.isSymbolicLink() ? fs.statSync(full).isDirectory() : entry.isDirectory();
      if (isDir && entry.name === ".azure") continue;
      if (!isDir && (entry.name === ".funcignore" || entry.name === "local.settings.json")) continue;
      if (rules) {
        if (rules.ignores(isDir ? `${rel}/` : rel)) continue;
      } else if (isDir && entry.name === "node_modules" && service.remoteBuild !== false) continue;
      if (isDir) walk(full);
      else files[rel] = fs.readFileSync(full);
    }
  };
  walk(root);
  return files;
}

function unpack(zip, into) {
  for (const [rel, bytes] of Object.entries(unzipSync(zip))) {
    if (rel.endsWith("/")) continue;
    const target = path.join(into, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
  }
}

/** Whether Node could resolve a package from `dir` through a node_modules above it. */
function nodeModulesAbove(dir) {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "node_modules"))) return path.join(d, "node_modules");
    if (path.dirname(d) === d) return undefined;
  }
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, CI: "true" } });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new PackageError(
      `remote build: \`${command} ${args.join(" ")}\` failed (exit ${result.status}):\n${output}`,
    );
  }
}

/** What the Oryx remote build runs in the unpacked package. */
function remoteBuild(dir) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline"], dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  if (manifest.scripts?.build) run(npm, ["run", "build"], dir);
}

// The worker's half: `@azure/functions-core` as the Node worker provides it (setupCoreModule), recording what
// registers, in the shape the host indexes (one binding object per name).
const CORE_STUB = `
const Module = require("node:module");
const registered = [];
class Disposable { constructor(f) { this.f = f; } static from(...d) { return new Disposable(() => d.forEach((x) => x.dispose())); } dispose() { this.f?.(); } }
const core = {
  version: "3.10.1", hostVersion: "4.1036.1.1",
  registerFunction(metadata) { registered.push({ name: metadata.name, bindings: Object.entries(metadata.bindings).map(([name, b]) => ({ ...b, name })) }); return new Disposable(() => {}); },
  setProgrammingModel() {}, getProgrammingModel() {}, registerHook() { return new Disposable(() => {}); }, log() {}, Disposable,
};
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === "@azure/functions-core" ? core : original.apply(this, arguments); };
process.on("exit", () => process.stdout.write("\\n@@registered " + JSON.stringify(registered) + "\\n"));
`;

/** Loads `main` in a fresh Node process, as the worker does, and returns what registered. */
function index(dir, scratch) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  if (!manifest.main) throw new PackageError("package.json: no `main`: the worker would find no functions");
  const entries = fs.globSync ? fs.globSync(manifest.main, { cwd: dir }) : [manifest.main];
  if (entries.length === 0 || !fs.existsSync(path.join(dir, entries[0])))
    throw new PackageError(`package.json: main ${manifest.main} is not in the package`);
  const stub = path.join(scratch, "functions-core.cjs");
  fs.writeFileSync(stub, CORE_STUB);
  const loader = entries.map((e) => `require(${JSON.stringify(path.join(dir, e))});`).join("");
  const env = { PATH: process.env.PATH, HOME: scratch, FUNCTIONS_WORKER_RUNTIME: "node" };
  const result = spawnSync(process.execPath, ["-r", stub, "-e", loader], { cwd: dir, encoding: "utf8", env });
  const line = (result.stdout ?? "").split("\n").find((l) => l.startsWith("@@registered "));
  if (result.status !== 0 || !line)
    throw new PackageError(
      `loading ${manifest.main} failed (exit ${result.status}):\n${(result.stderr ?? "").trim().split("\n").slice(0, 12).join("\n")}`,
    );
  return JSON.parse(line.slice("@@registered ".length));
}

function compare(registered) {
  const problems = [];
  const byName = new Map(registered.map((f) => [f.name, f]));
  for (const [name, want] of Object.entries(EXPECTED)) {
    const fn = byName.get(name);
    if (!fn) {
      problems.push(`${name}: not registered`);
      continue;
    }
    const triggers = fn.bindings.filter((b) => /Trigger$/.test(b.type));
    if (triggers.length !== 1)
      problems.push(`${name}: ${triggers.length} triggers (exactly one is required)`);
    const trigger = triggers[0] ?? {};
    for (const [key, value] of Object.entries(want)) {
      const got = trigger[key] ?? (key === "runOnStartup" ? false : undefined);
      if (JSON.stringify(got) !== JSON.stringify(value))
        problems.push(`${name}: ${key} is ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
    if (want.type === "httpTrigger" && !fn.bindings.some((b) => b.type === "http" && b.direction === "out"))
      problems.push(`${name}: an http trigger without an http output binding`);
  }
  for (const name of byName.keys())
    if (!(name in EXPECTED)) problems.push(`${name}: not a function of DESIGN §8`);
  return problems;
}

/** Makes the zip and checks it; returns a report, or throws a PackageError naming what would fail on Azure. */
function checkPackage({ projectDir, out, keep = false }) {
  const service = step("read azure.yaml and .funcignore", () => functionService(projectDir));
  const remote = step("resolve remoteBuild", () => resolveRemoteBuild(service));
  const root = service.dist ? path.join(service.path, service.dist) : service.path;
  if (!fs.existsSync(root) || fs.readdirSync(root).length === 0)
    throw new PackageError(
      `package source ${path.relative(projectDir, root) || "."} is empty or missing: run npm run build`,
    );
  const files = step("collect files", () => collectFiles(root, service));
  const zip = step("zip", () => zipSync(files, { level: 6 }));
  if (out) fs.writeFileSync(out, zip);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "aml-package-"));
  try {
    const wwwroot = path.join(scratch, "wwwroot");
    step("unpack", () => unpack(zip, wwwroot));
    const above = nodeModulesAbove(wwwroot);
    if (above)
      throw new PackageError(`${above} exists above the unpacked package: the check would not be alone`);
    if (!fs.existsSync(path.join(wwwroot, "host.json")))
      throw new PackageError("host.json is not in the package");
    if (remote) step("remote build (npm install, npm run build)", () => remoteBuild(wwwroot));
    const registered = step("load main and index", () => index(wwwroot, scratch));
    const problems = compare(registered);
    if (problems.length)
      throw new PackageError(`the package's functions differ from DESIGN §8:\n- ${problems.join("\n- ")}`);
    return {
      service: service.name,
      remoteBuild: remote,
      root: path.relative(projectDir, root) || ".",
      files: Object.keys(files).sort(),
      unpackedBytes: Object.values(files).reduce((n, b) => n + b.length, 0),
      zipBytes: zip.length,
      functions: registered.map((f) => f.name).sort(),
      ...(keep ? { kept: wwwroot } : {}),
    };
  } finally {
    if (!keep) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

module.exports = { checkPackage, PackageError, EXPECTED };

if (require.main === module) {
  const { values } = parseArgs({
    options: { project: { type: "string" }, out: { type: "string" }, keep: { type: "boolean" } },
  });
  const projectDir = path.resolve(values.project ?? path.join(__dirname, ".."));
  const out = values.out ?? (values.project ? undefined : path.join(projectDir, "dist/package.zip"));
  const started = performance.now();
  try {
    const report = checkPackage({ projectDir, out, keep: values.keep });
    const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
    process.stdout.write(
      [
        `package: ${report.root} (${report.remoteBuild ? "remote build on Azure" : "local build: deployed as it is"})`,
        `  ${report.files.length} files, ${kb(report.unpackedBytes)} unpacked, ${kb(report.zipBytes)} zipped${out ? ` → ${path.relative(process.cwd(), out)}` : ""}`,
        ...report.files.map((f) => `    ${f}`),
        `  registered: ${report.functions.join(", ")}`,
        ...timings.map(([name, ms]) => `  ${name}: ${ms.toFixed(0)} ms`),
        `ok: all ${report.functions.length} functions register with their bindings (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        ...(report.kept ? [`kept: ${report.kept}`] : []),
        "",
      ].join("\n"),
    );
  } catch (error) {
    process.stderr.write(
      `package check failed: ${error instanceof PackageError ? error.message : error.stack}\n`,
    );
    process.exitCode = 1;
  }
}
