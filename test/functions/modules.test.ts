/**
 * What the host loads: `npm run build` emits one module per function under dist/src/functions/, each
 * loadable on its own by Node (as the host's `main` glob loads them), registering its function.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIST = join(__dirname, "../../dist/src/functions");
const FUNCTIONS = [
  "auditWorker",
  "auditWorkerPoison",
  "getAudit",
  "getDashboard",
  "getSummary",
  "listAudits",
  "listFindings",
  "nightlyAudit",
  "startAudit",
];

describe("the built function modules", () => {
  it("are exactly the functions of DESIGN §8", () => {
    expect(
      readdirSync(DIST)
        .filter((f) => f.endsWith(".js"))
        .map((f) => f.replace(/\.js$/, ""))
        .sort(),
    ).toEqual(FUNCTIONS);
  });

  it.each(FUNCTIONS)("%s loads with require() and registers its function", (name) => {
    const loaded = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(join(DIST, `${name}.js`))})`],
      {
        encoding: "utf8",
      },
    );
    expect(loaded.status, loaded.stderr).toBe(0);
    // Outside the host, @azure/functions says which registration it skipped: the module made one.
    expect(loaded.stderr).toContain(`register function "${name}"`);
  });

  it("the bundle, the app's main, registers every function with nothing from node_modules", () => {
    const main = (JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { main: string })
      .main;
    // Copied where no node_modules can be found: only the worker's built-in @azure/functions-core is external.
    const alone = mkdtempSync(join(tmpdir(), "bundle-"));
    try {
      copyFileSync(join(__dirname, "../..", main), join(alone, "functions.js"));
      const loaded = spawnSync(
        process.execPath,
        [
          "-e",
          // Outside the host, @azure/functions asks for the worker's module, then falls back to test mode.
          `require(${JSON.stringify(join(alone, "functions.js"))})`,
        ],
        { encoding: "utf8", cwd: alone },
      );
      expect(loaded.status, loaded.stderr).toBe(0);
      for (const name of FUNCTIONS) expect(loaded.stderr).toContain(`register function "${name}"`);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });

  it("runs on Node 22, the runtime Azure runs the app on, when run with npm test", () => {
    if (process.env.npm_lifecycle_event !== "test") return;
    expect(process.versions.node.split(".")[0]).toBe("22");
  });
});
