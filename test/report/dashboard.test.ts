/**
 * GET /api/dashboard in headless Chromium, against the app's HTTP functions behind a host front that checks
 * the function key, over a real Azurite holding a run of the demo tenant: the page reads the feed, pages it
 * with its continuation tokens, filters on the server, and starts an audit and follows it.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAudit } from "../../src/functions/getAudit.js";
import { getDashboard } from "../../src/functions/getDashboard.js";
import { getSummary } from "../../src/functions/getSummary.js";
import { listAudits } from "../../src/functions/listAudits.js";
import { listFindings } from "../../src/functions/listFindings.js";
import { auditWorker } from "../../src/functions/auditWorker.js";
import { auditWorkerPoison } from "../../src/functions/auditWorkerPoison.js";
import { startAudit } from "../../src/functions/startAudit.js";
import { SEVERITIES, severityRank, type Severity } from "../../src/policy/types.js";
import { RUN_QUEUE } from "../../src/sinks/run-queue.js";
import { startAzurite, type Azurite } from "../helpers/azurite.js";
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
import { QueueHost } from "../helpers/functions-host.js";
import { startHttpHost, type HttpHost } from "../helpers/http-host.js";

const KEY = "dashboard-test-function-key";
const DEMO = join(__dirname, "../../examples/demo-tenant.json");

let browser: Browser;
let azurite: Azurite;
let host: HttpHost;
let saved: NodeJS.ProcessEnv;
let worker: QueueHost;

interface FeedFinding {
  id: string;
  severity: Severity;
  status: string;
  ruleId: string;
}

async function feed(path: string): Promise<{ value: FeedFinding[]; continuationToken?: string }> {
  const response = await fetch(`${host.url}/api/${path}`, { headers: { "x-functions-key": KEY } });
  expect(response.status).toBe(200);
  return (await response.json()) as { value: FeedFinding[]; continuationToken?: string };
}

async function allFindings(): Promise<FeedFinding[]> {
  const rows: FeedFinding[] = [];
  let token: string | undefined;
  do {
    const page = await feed(`findings?top=1000${token ? `&continuationToken=${token}` : ""}`);
    rows.push(...page.value);
    token = page.continuationToken;
  } while (token);
  return rows;
}

async function runIds(): Promise<string[]> {
  const response = await fetch(`${host.url}/api/audits`, { headers: { "x-functions-key": KEY } });
  return ((await response.json()) as { value: { runId: string }[] }).value.map((run) => run.runId);
}

const ids = (page: Page) =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll("li.finding")].map((i) => i.getAttribute("data-id"))`,
  );

beforeAll(async () => {
  saved = { ...process.env };
  browser = await launchBrowser();
  azurite = await startAzurite();
  Object.assign(process.env, {
    AUDIT_STORAGE: azurite.connectionString,
    AUDIT_TENANT_FILE: DEMO,
    AUDIT_SOURCE: "arg",
  });
  for (const name of ["TEAMS_WEBHOOK_URL", "AUDIT_POLICY", "AUDIT_PROFILE", "AUDIT_LOGS_ENDPOINT"])
    delete process.env[name];
  host = await startHttpHost(
    [
      { method: "GET", route: "dashboard", handler: getDashboard },
      { method: "GET", route: "summary", handler: getSummary },
      { method: "GET", route: "findings", handler: listFindings },
      { method: "GET", route: "audits", handler: listAudits },
      { method: "POST", route: "audits", handler: startAudit },
      { method: "GET", route: "audits/{runId}", handler: getAudit },
    ],
    KEY,
  );
  worker = new QueueHost(azurite.connectionString, RUN_QUEUE, auditWorker, auditWorkerPoison);
  const started = await fetch(`${host.url}/api/audits`, {
    method: "POST",
    headers: { "x-functions-key": KEY, "content-type": "application/json" },
    body: "{}",
  });
  expect(started.status).toBe(202);
  await worker.drain();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await azurite?.stop();
  process.env = saved;
});

describe("the dashboard", () => {
  it("refuses a request without the function key, as the feed does", async () => {
    expect((await fetch(`${host.url}/api/dashboard`)).status).toBe(401);
    const page = await fetch(`${host.url}/api/dashboard?code=${KEY}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toMatch(/connect-src 'self'.*frame-ancestors 'none'/);
    expect(await page.text()).not.toContain(KEY);
    expect((await fetch(`${host.url}/api/dashboard?code=${KEY}&top=0`)).status).toBe(400);
  });

  it("reads the feed with the page's key, pages it with continuation tokens and filters on the server", async () => {
    const everything = await allFindings();
    expect(everything.length).toBeGreaterThan(40);
    const { page, context, consoleErrors, requests } = await watchedPage(browser);
    await page.goto(`${host.url}/api/dashboard?code=${KEY}&top=20`);
    await ready(page);
    expect(consoleErrors).toEqual([]);
    // Nothing but the app itself, and the key never in a feed URL.
    expect(requests.every((url) => url.startsWith(`${host.url}/api/`))).toBe(true);
    expect(requests.filter((url) => url.includes(KEY))).toEqual([
      `${host.url}/api/dashboard?code=${KEY}&top=20`,
    ]);
    expect(await page.textContent("#verdict h2")).toMatch(/^Incomplete/);

    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const rows = await ids(page);
      expect(rows.length).toBeLessThanOrEqual(20);
      seen.push(...rows);
      pages += 1;
      if (await page.isDisabled("#next")) break;
      await rerender(page, () => page.click("#next"));
    }
    expect(pages).toBe(Math.ceil(everything.length / 20));
    expect(seen.sort()).toEqual(everything.map((f) => f.id).sort());
    expect(
      host.seen.some((r) => r.url.startsWith("/api/findings?") && r.url.includes("continuationToken=")),
    ).toBe(true);
    // Back one page: the token that asked for it is asked again.
    await rerender(page, () => page.click("#previous"));
    expect(await page.isDisabled("#next")).toBe(false);

    await rerender(page, () => page.selectOption("#f-severity", "high"));
    expect(host.seen.at(-1)?.url).toMatch(/^\/api\/findings\?top=20&severity=high$/);
    const high = everything.filter((f) => severityRank(f.severity) >= severityRank("high"));
    const firstPage = await ids(page);
    expect(firstPage).toHaveLength(Math.min(20, high.length));
    expect(firstPage.every((id) => high.some((f) => f.id === id))).toBe(true);
    await rerender(page, () => page.selectOption("#f-status", "exempted"));
    expect(host.seen.at(-1)?.url).toMatch(/status=exempted/);
    expect((await ids(page)).sort()).toEqual(
      everything
        .filter((f) => f.status === "exempted" && high.includes(f))
        .map((f) => f.id)
        .sort(),
    );
    // The counts are the latest summary's.
    const summary = (await (
      await fetch(`${host.url}/api/summary`, { headers: { "x-functions-key": KEY } })
    ).json()) as { latest: { counts: { bySeverity: Record<Severity, number> } } };
    for (const severity of SEVERITIES)
      expect(await page.textContent(`#counts li[data-severity=${severity}] .n`)).toBe(
        String(summary.latest.counts.bySeverity[severity]),
      );
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it("is reachable by keyboard, passes axe, and fits desktop and phone (screenshots)", async () => {
    for (const [width, viewport] of WIDTHS) {
      const name = `dashboard-${width}`;
      const { page, context, consoleErrors } = await watchedPage(browser, viewport);
      await page.goto(`${host.url}/api/dashboard?code=${KEY}`);
      await ready(page);
      if (name === "dashboard-desktop") {
        const reach = await keyboardReach(page);
        expect(reach.missed).toEqual([]);
        expect(await accessibilityProblems(page)).toEqual([]);
      }
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(
        viewport.width,
      );
      await screenshot(page, name);
      // `npm run screenshots` asks for the README's picture: the page as it opens, a finding opened.
      if (name === "dashboard-desktop" && process.env.DOCS_SCREENSHOTS) {
        await page.setViewportSize({ width: 1280, height: 1500 });
        await page.locator("li.finding summary").first().click();
        await page.screenshot({ path: join(process.env.DOCS_SCREENSHOTS, "dashboard.png") });
      }
      expect(consoleErrors).toEqual([]);
      await context.close();
    }
  });

  it("starts an audit of the whole tenant and follows it until it ends", async () => {
    const { page, context, consoleErrors } = await watchedPage(browser);
    await page.goto(`${host.url}/api/dashboard?code=${KEY}`);
    await ready(page);
    const before = (await runIds()).length;
    await page.click("#start-audit");
    await expect.poll(async () => (await runIds()).length, { timeout: 20_000 }).toBe(before + 1);
    const [newest] = await runIds();
    await worker.drain();
    // The page asks again after Retry-After (10 s), sees the run end, and reads everything again.
    await page.waitForURL(/dashboard/, { waitUntil: "load" });
    await expect
      .poll(() => page.textContent("#meta"), { timeout: 30_000, interval: 250 })
      .toMatch(new RegExp(`^Run ${newest}`));
    expect(host.seen.some((r) => r.method === "POST" && r.url === "/api/audits" && r.status === 202)).toBe(
      true,
    );
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
