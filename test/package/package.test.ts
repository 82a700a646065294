/**
 * The deployment package, made as `azd deploy` makes it and checked as the platform would run it
 * (scripts/package.js): the project's own configuration passes; the configurations that fail on Azure fail
 * here, with azd's or the remote build's own reason.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const SCRIPT = join(ROOT, "scripts/package.js");

/** The `.funcignore` of the earlier tree: a remote build with the sources left out. */
const EARLIER_FUNCIGNORE = [
  "*.js.map",
  "*.ts",
  ".git*",
  "local.settings.json",
  "test",
  "bench",
  "docs",
  "infra",
  "scripts",
  "node_modules",
  "dist/src",
].join("\n");

function check(projectDir: string) {
  const run = spawnSync(process.execPath, [SCRIPT, "--project", projectDir], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of what azd reads from the project: azure.yaml, package.json, host.json and the built package. */
function projectCopy(edit: (dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "aml-project-"));
  made.push(dir);
  for (const file of ["azure.yaml", "package.json", "host.json"]) cpSync(join(ROOT, file), join(dir, file));
  cpSync(join(ROOT, "dist/package"), join(dir, "dist/package"), { recursive: true });
  edit(dir);
  return dir;
}

describe("the deployment package", () => {
  it("is the staged bundle and the report's assets alone, and all nine functions register from it with no node_modules", () => {
    const result = check(ROOT);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("package: dist/package (local build: deployed as it is)");
    expect(result.stdout).toMatch(/ 5 files, /);
    // The report page's style and script, which the bundle reads from beside itself (src/report/page.ts).
    for (const file of [
      "dist/bundle/functions.js",
      "dist/bundle/assets/report.css",
      "dist/bundle/assets/report.js",
      "host.json",
      "package.json",
    ])
      expect(result.stdout).toContain(`    ${file}\n`);
    expect(result.stdout).toContain(
      "registered: auditWorker, auditWorkerPoison, getAudit, getDashboard, getSummary, listAudits, listFindings, nightlyAudit, startAudit",
    );
  });

  it("the staged package.json names the bundle as main and nothing to install", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "dist/package/package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(manifest.main).toBe("dist/bundle/functions.js");
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
  });

  it("fails as azd does when .funcignore is put back as it was (it excludes node_modules)", () => {
    const result = check(projectCopy((dir) => writeFileSync(join(dir, ".funcignore"), EARLIER_FUNCIGNORE)));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "azd: 'remoteBuild: false' cannot be used when '.funcignore' excludes node_modules",
    );
  });

  it("fails in the remote build when .funcignore leaves out what `npm run build` needs", () => {
    // The earlier tree's failure in small: Oryx runs `npm run build`, whose script was left out of the zip.
    const dir = mkdtempSync(join(tmpdir(), "aml-project-"));
    made.push(dir);
    writeFileSync(
      join(dir, "azure.yaml"),
      "services:\n  function:\n    project: .\n    language: ts\n    host: function\n    remoteBuild: true\n",
    );
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "app",
        version: "1.0.0",
        main: "dist/app.js",
        scripts: { build: "node scripts/build.js" },
      }),
    );
    writeFileSync(join(dir, "host.json"), JSON.stringify({ version: "2.0" }));
    mkdirSync(join(dir, "scripts"));
    writeFileSync(join(dir, "scripts/build.js"), "");
    writeFileSync(join(dir, ".funcignore"), EARLIER_FUNCIGNORE);
    const result = check(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("remote build: `npm run build` failed");
    expect(result.stderr).toContain("Cannot find module");
  });

  it("fails when the package does not register the functions of DESIGN §8", () => {
    const result = check(
      projectCopy((dir) => writeFileSync(join(dir, "dist/package/dist/bundle/functions.js"), "")),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("auditWorker: not registered");
  });
});
