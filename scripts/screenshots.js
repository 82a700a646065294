#!/usr/bin/env node
// The README's pictures, made from the project's own output in headless Chromium (Debian's chromium, driven by
// playwright-core): `npm run screenshots`.
// - docs/digest.png: the Teams digest of a first run of the demo tenant, rendered by the adaptivecards library;
// - docs/report.png: that run's report.html, a finding opened;
// - docs/dashboard.png: GET /api/dashboard over the app's HTTP functions and Azurite, as its test drives it
//   (test/report/dashboard.test.ts writes it when DOCS_SCREENSHOTS names a folder).
"use strict";
const { spawnSync } = require("node:child_process");
const { mkdtempSync, readFileSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { launchChromium } = require("./chromium.js");
const { digestPage } = require("./render-digest.js");

const root = path.join(__dirname, "..");
const docs = path.join(root, "docs");

function demoRun() {
  const out = mkdtempSync(path.join(tmpdir(), "screenshots-"));
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, "dist/src/cli/main.js"),
      "--tenant",
      path.join(root, "examples/demo-tenant.json"),
      "--policy",
      path.join(root, "examples/demo-policy.json"),
      "--out",
      out,
      "--format",
      "json",
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  // 3: coverage incomplete, as the demo tenant intends.
  if (run.status !== 3) throw new Error(`the demo run ended with ${run.status}: ${run.stderr}`);
  return out;
}

async function main() {
  const out = demoRun();
  const { buildDigest } = require(path.join(root, "dist/src/sinks/teams-card.js"));
  const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));
  const findings = JSON.parse(readFileSync(path.join(out, "findings.json"), "utf8"));
  const digest = buildDigest({ summary, findings, dashboardUrl: "https://contoso.example/api/dashboard" });
  const digestFile = path.join(out, "digest.html");
  writeFileSync(digestFile, digestPage(digest));

  const browser = await launchChromium();
  try {
    const card = await browser.newPage({ viewport: { width: 720, height: 900 } });
    await card.goto(pathToFileURL(digestFile).toString());
    await card.waitForSelector("#card .ac-adaptiveCard");
    await card.locator("#card").screenshot({ path: path.join(docs, "digest.png") });

    const report = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    await report.goto(pathToFileURL(path.join(out, "report.html")).toString());
    await report.waitForSelector("body[data-ready=true]");
    await report.locator("li.finding summary").first().click();
    await report.screenshot({ path: path.join(docs, "report.png") });
  } finally {
    await browser.close();
  }

  const dashboard = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "test/report/dashboard.test.ts"],
    { cwd: root, stdio: "inherit", env: { ...process.env, DOCS_SCREENSHOTS: docs } },
  );
  if (dashboard.status !== 0) throw new Error("the dashboard test failed: docs/dashboard.png was not made");
  for (const name of ["digest.png", "report.png", "dashboard.png"]) process.stdout.write(`docs/${name}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.message ?? error}\n`);
  process.exitCode = 1;
});
