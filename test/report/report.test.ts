/**
 * report.html in a real browser (headless Chromium): the demo tenant's run as the CLI writes it, a report of
 * 52,000 findings, and one whose names and tags hold markup. What the page shows is checked against the
 * run's own findings.json and summary.json.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import type { Summary } from "../../src/findings/summary.js";
import { SEVERITIES, severityRank } from "../../src/policy/types.js";
import { renderReport } from "../../src/report/page.js";
import {
  accessibilityProblems,
  keyboardReach,
  launchBrowser,
  ready,
  rerender,
  screenshot,
  watchedPage,
  WIDTHS,
} from "../helpers/browser.js";

const root = join(__dirname, "../..");
const cli = join(root, "dist/src/cli/main.js");

function audit(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

let browser: Browser;
let out: string;
let findings: Finding[];
let summary: Summary;
let stdoutPage: string;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm test", which builds first`);
  browser = await launchBrowser();
  out = mkdtempSync(join(tmpdir(), "report-"));
  const run = await audit([
    "--tenant",
    join(root, "examples/demo-tenant.json"),
    "--policy",
    join(root, "examples/demo-policy.json"),
    "--out",
    out,
    "--format",
    "html",
  ]);
  expect(run.code).toBe(3);
  stdoutPage = run.stdout;
  findings = JSON.parse(readFileSync(join(out, "findings.json"), "utf8")) as Finding[];
  summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary;
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

const reportUrl = () => pathToFileURL(join(out, "report.html")).toString();

/** The rows the page says match: the total in its status line, and the ids on the page shown. */
async function shown(page: Page): Promise<{ total: number; ids: string[] }> {
  const status = (await page.textContent("#page-status")) ?? "";
  const total = /of ([\d,]+)$/.exec(status)?.[1];
  const ids = await page.evaluate<string[]>(
    `[...document.querySelectorAll("li.finding")].map((i) => i.getAttribute("data-id"))`,
  );
  return { total: total ? Number(total.replace(/,/g, "")) : status.startsWith("No finding") ? 0 : NaN, ids };
}

const searchable = (f: Finding) =>
  `${f.ruleId} ${f.title} ${f.resourceId} ${f.subscriptionName} ${f.message}`.toLowerCase();

describe("report.html of the demo tenant", () => {
  it("is what --format html prints, and the folder's only page", () => {
    expect(stdoutPage).toBe(readFileSync(join(out, "report.html"), "utf8"));
    expect(stdoutPage.startsWith("<!doctype html>")).toBe(true);
    expect(stdoutPage).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });

  it("opens with no console error and no request but the file itself; the counts are summary.json's", async () => {
    const { page, context, consoleErrors, requests } = await watchedPage(browser);
    await page.goto(reportUrl());
    await ready(page);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([reportUrl()]);
    // Unknown first: the verdict says the run is incomplete and names what could not be read.
    expect(await page.textContent("#verdict h2")).toMatch(/^Incomplete/);
    const unreadable = findings.filter((f) => f.ruleId === "AUDIT001");
    expect(await page.$$eval("#unreadable li", (items) => items.length)).toBe(unreadable.length);
    for (const severity of SEVERITIES)
      expect(await page.textContent(`#counts li[data-severity=${severity}] .n`)).toBe(
        String(summary.counts.bySeverity[severity]),
      );
    expect(await page.textContent("#counts li[data-change=new] .n")).toBe(String(summary.new));
    expect(await page.textContent("#counts li[data-change=resolved] .n")).toBe(String(summary.resolved));
    expect(await page.textContent("#counts li[data-change=exempted] .n")).toBe(
      String(summary.counts.byStatus.exempted),
    );
    const byRule = Object.fromEntries(
      await page.evaluate<[string, number][]>(
        `[...document.querySelectorAll("tr[data-rule]")].map((r) => [r.getAttribute("data-rule"), Number(r.lastElementChild.textContent)])`,
      ),
    );
    expect(byRule).toEqual(
      Object.fromEntries(Object.entries(summary.counts.byRule).filter(([, n]) => n > 0)),
    );
    expect((await shown(page)).total).toBe(findings.length);
    // Subscriptions by name; within one, the group whose worst finding is the most severe comes first.
    const groups = await page.evaluate<{ subscription: string; worst: number }[]>(
      `[...document.querySelectorAll("li.group")].map((g) => ({
        subscription: g.querySelector("h3").firstChild.textContent,
        worst: Math.max(...[...g.querySelectorAll("li.finding")].map((f) => ${JSON.stringify(SEVERITIES)}.length - ${JSON.stringify(SEVERITIES)}.indexOf(f.getAttribute("data-severity")))),
      }))`,
    );
    expect(groups.length).toBeGreaterThan(5);
    for (const [i, group] of groups.entries()) {
      const previous = groups[i - 1];
      if (!previous) continue;
      if (previous.subscription === group.subscription)
        expect(group.worst).toBeLessThanOrEqual(previous.worst);
      else
        expect(
          previous.subscription < group.subscription,
          `${previous.subscription} < ${group.subscription}`,
        ).toBe(true);
    }
    await context.close();
  });

  it("narrows the rows by each filter and the search exactly as findings.json says", async () => {
    const { page, context, consoleErrors } = await watchedPage(browser);
    await page.goto(reportUrl());
    await ready(page);
    const check = async (select: string, value: string, expected: Finding[]) => {
      await rerender(page, () => page.selectOption(select, value));
      const rows = await shown(page);
      expect(rows.total, `${select}=${value}`).toBe(expected.length);
      expect(new Set(rows.ids)).toEqual(new Set(expected.map((f) => f.id)));
      await rerender(page, () => page.selectOption(select, ""));
    };
    for (const severity of SEVERITIES)
      await check(
        "#f-severity",
        severity,
        findings.filter((f) => severityRank(f.severity) >= severityRank(severity)),
      );
    for (const ruleId of new Set(findings.map((f) => f.ruleId)))
      await check(
        "#f-rule",
        ruleId,
        findings.filter((f) => f.ruleId === ruleId),
      );
    for (const status of ["new", "open", "exempted", "resolved"])
      await check(
        "#f-status",
        status,
        findings.filter((f) => f.status === status),
      );
    for (const subscription of new Set(findings.map((f) => f.subscriptionId)))
      await check(
        "#f-subscription",
        subscription,
        findings.filter((f) => f.subscriptionId === subscription),
      );
    for (const type of new Set(findings.map((f) => f.resourceType)))
      await check(
        "#f-type",
        type,
        findings.filter((f) => f.resourceType === type),
      );
    expect(new Set(findings.map((f) => f.status)).size).toBeGreaterThan(1);

    for (const text of ["ml-dev", "PEDNS", "Contoso ML Prod", "no such thing"]) {
      await rerender(page, () => page.fill("#f-search", text));
      const expected = findings.filter((f) => searchable(f).includes(text.toLowerCase()));
      const rows = await shown(page);
      expect(rows.total, text).toBe(expected.length);
      expect(new Set(rows.ids)).toEqual(new Set(expected.map((f) => f.id)));
    }
    // Filters combine: a severity floor and a search together.
    await rerender(page, () => page.fill("#f-search", "ml-dev"));
    await rerender(page, () => page.selectOption("#f-severity", "high"));
    expect((await shown(page)).total).toBe(
      findings.filter(
        (f) => searchable(f).includes("ml-dev") && severityRank(f.severity) >= severityRank("high"),
      ).length,
    );
    await rerender(page, () => page.click("#clear"));
    expect((await shown(page)).total).toBe(findings.length);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it("opens a finding's evidence, sources and remediation, and copies the command", async () => {
    const { page, context } = await watchedPage(browser);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto(reportUrl());
    await ready(page);
    const finding = findings.find((f) => f.remediation.length > 0 && f.ruleId !== "AUDIT001");
    expect(finding).toBeDefined();
    const item = page.locator(`li.finding[data-id="${finding?.id}"]`);
    await item.locator("summary").click();
    expect(await item.locator(".remediation").textContent()).toBe(finding?.remediation);
    expect(JSON.parse((await item.locator(".evidence").textContent()) ?? "")).toEqual(finding?.evidence);
    expect(await item.locator(".sources li").count()).toBe(finding?.seed.length);
    await item.locator("button.copy").click();
    await expect.poll(() => item.locator(".copied").textContent()).toBe("Copied");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(finding?.remediation);
    await context.close();
  });

  it("lets the keyboard alone reach every control, and axe finds no serious or critical violation", async () => {
    const { page, context } = await watchedPage(browser);
    await page.goto(reportUrl());
    await ready(page);
    // A finding opened, so that its copy button and evidence are among the controls.
    await page.locator("li.finding summary").first().focus();
    await page.keyboard.press("Enter");
    const reach = await keyboardReach(page);
    expect(reach.controls).toBeGreaterThan(60);
    expect(reach.missed).toEqual([]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await context.close();
  });

  it("fits desktop and phone widths (screenshots in test-output/screenshots)", async () => {
    for (const [width, viewport] of WIDTHS) {
      const name = `report-${width}`;
      const { page, context, consoleErrors } = await watchedPage(browser, viewport);
      await page.goto(reportUrl());
      await ready(page);
      await page.locator("li.finding summary").first().click();
      // Nothing wider than the screen: no sideways scrolling at either width.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(viewport.width);
      expect(existsSync(await screenshot(page, name))).toBe(true);
      expect(consoleErrors).toEqual([]);
      await context.close();
    }
  });
});

/** A finding of the demo's, copied into another subscription and resource under a new id. */
function copyOf(finding: Finding, n: number): Finding {
  const subscriptionId = `00000000-0000-4000-8000-${String(n % 1000).padStart(12, "0")}`;
  const resourceId = finding.resourceId
    .replace(finding.subscriptionId, subscriptionId)
    .replace(/\/([^/]+)$/, `/$1-${n}`);
  return {
    ...finding,
    id: `${finding.id.slice(0, 24)}${n.toString(16).padStart(8, "0")}`,
    subscriptionId,
    subscriptionName: `Synthetic ${n % 1000}`,
    resourceId,
  };
}

describe("report.html of a large tenant", () => {
  it("holds 52,000 findings: pages of 100, filters and search over all of them", async () => {
    const base = findings.filter((f) => f.ruleId !== "AUDIT001");
    const many = Array.from({ length: 52_000 }, (_, n) => copyOf(base[n % base.length] as Finding, n));
    const counts = { ...summary.counts, bySeverity: { ...summary.counts.bySeverity } };
    for (const s of SEVERITIES) counts.bySeverity[s] = many.filter((f) => f.severity === s).length;
    const html = await renderReport({
      summary: { ...summary, counts, resolvedFindings: [] },
      findings: many,
    });
    const file = join(mkdtempSync(join(tmpdir(), "report-large-")), "report.html");
    writeFileSync(file, html);
    const { page, context, consoleErrors, requests } = await watchedPage(browser);
    await page.goto(pathToFileURL(file).toString());
    await ready(page);
    expect(consoleErrors).toEqual([]);
    expect(requests).toHaveLength(1);
    // Only a page of rows is in the document, whatever the total.
    expect(await page.locator("li.finding").count()).toBe(100);
    expect(await page.textContent("#page-status")).toBe("Findings 1–100 of 52,000");
    await rerender(page, () => page.click("#next"));
    expect(await page.textContent("#page-status")).toBe("Findings 101–200 of 52,000");
    await rerender(page, () => page.selectOption("#f-severity", "high"));
    const high = many.filter((f) => severityRank(f.severity) >= severityRank("high"));
    expect((await shown(page)).total).toBe(high.length);
    await rerender(page, () => page.fill("#f-search", "Synthetic 417"));
    expect((await shown(page)).total).toBe(
      high.filter((f) => searchable(f).includes("synthetic 417")).length,
    );
    await screenshot(page, "report-large-desktop");
    await context.close();
  }, 120_000);
});

describe("report.html of a run that read everything", () => {
  it("says so, with what it read", async () => {
    const coverage = {
      ...summary.coverage,
      subscriptions: { total: 2, read: 2, failed: 0 },
      workspaces: { total: 1234, read: 1234, failed: 0 },
      computes: { total: 2468, read: 2468, failed: 0 },
      accounts: { total: 1, read: 1, failed: 0 },
    };
    const html = await renderReport({
      summary: { ...summary, complete: true, coverage },
      findings: findings.filter((f) => f.ruleId !== "AUDIT001"),
    });
    const file = join(mkdtempSync(join(tmpdir(), "report-complete-")), "report.html");
    writeFileSync(file, html);
    const { page, context, consoleErrors } = await watchedPage(browser);
    await page.goto(pathToFileURL(file).toString());
    await ready(page);
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#verdict h2")).toBe("Complete: every scope in the audit was read whole");
    expect(await page.textContent("#verdict p")).toMatch(
      /^2 subscriptions, 1,234 workspaces, 2,468 computes, 1 Foundry account read\. /,
    );
    await context.close();
  });
});

describe("report.html with markup in names, tags and messages", () => {
  it("shows it as text: no element, no script runs", async () => {
    const payloads = [
      `<img src=x onerror="window.__injected=1">`,
      `</script><script>window.__injected=2</script>`,
      `"><svg onload="window.__injected=3">`,
      `<!--`,
      `\u2028</SCRIPT >`,
    ];
    const base = findings.find((f) => f.ruleId !== "AUDIT001") as Finding;
    const hostile: Finding[] = payloads.map((payload, n) => ({
      ...base,
      id: `${base.id.slice(0, 30)}${n}0`,
      subscriptionName: payload,
      workspace: payload,
      resourceGroup: payload,
      resourceId: `${base.resourceId}${payload}`,
      message: `The workspace ${payload} is public.`,
      remediation: `az ml workspace update --name '${payload}'`,
      evidence: { tags: { owner: payload } },
    }));
    const html = await renderReport({ summary, findings: hostile });
    const file = join(mkdtempSync(join(tmpdir(), "report-hostile-")), "report.html");
    writeFileSync(file, html);
    const { page, context, consoleErrors } = await watchedPage(browser);
    await page.goto(pathToFileURL(file).toString());
    await ready(page);
    for (const item of await page.locator("li.finding summary").all()) await item.click();
    expect(await page.evaluate("window.__injected")).toBeUndefined();
    expect(await page.locator("#groups img, #groups svg, #groups script").count()).toBe(0);
    const text = (await page.textContent("#groups")) ?? "";
    for (const payload of payloads) expect(text).toContain(payload);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
