/**
 * Headless Chromium for the page tests: Debian's `chromium` (`.ci/run` installs it), driven by playwright-core,
 * which downloads no browser. A browser that cannot start fails the test that needs it: nothing is skipped.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../../scripts/chromium.js";

export const SCREENSHOTS = join(__dirname, "../../test-output/screenshots");
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
/** The widths every page is looked at: a desktop and a phone. */
export const WIDTHS = [
  ["desktop", DESKTOP],
  ["phone", PHONE],
] as const;

export function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

/** A page that records what it logged, threw and asked the network for. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

export async function watchedPage(
  browser: Browser,
  viewport = DESKTOP,
  origin?: string,
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  if (origin) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => requests.push(request.url()));
  return { context, page, consoleErrors, requests };
}

/** Waits until the page's script has shown the first page of findings. */
export async function ready(page: Page): Promise<void> {
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const source = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated, not added as a script element: the page's policy allows only its own script.
  await page.evaluate(source);
  // Strings, not functions: they run in the page, whose globals the project's types do not describe.
  const violations = await page.evaluate<
    { id: string; impact: string; targets: string[] }[]
  >(`axe.run().then((result) => result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  })))`);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.targets.join(", ")}`);
}

/** Tabs through the page and returns how many of its visible controls the keyboard reached. */
export async function keyboardReach(
  page: Page,
  presses = 400,
): Promise<{ controls: number; missed: string[] }> {
  await page.evaluate(`{
    const controls = [...document.querySelectorAll("button, select, input, summary, a[href], [tabindex='0']")].filter(
      (e) => e.offsetParent !== null && !e.disabled,
    );
    controls.forEach((e, i) => e.setAttribute("data-control", String(i)));
    document.activeElement?.blur();
  }`);
  const reached = new Set<string>();
  for (let i = 0; i < presses; i += 1) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate<string | null>(
      `document.activeElement?.getAttribute("data-control") ?? null`,
    );
    if (id !== null) reached.add(id);
  }
  const all = await page.evaluate<
    { id: string; what: string }[]
  >(`[...document.querySelectorAll("[data-control]")].map((e) => ({
    id: e.getAttribute("data-control") ?? "",
    what: e.tagName.toLowerCase() + "#" + e.id + " " + (e.textContent ?? "").slice(0, 40),
  }))`);
  return { controls: all.length, missed: all.filter((c) => !reached.has(c.id)).map((c) => c.what) };
}

/** Does something to the page and waits until it has shown the rows again (its `data-renders` count grows). */
export async function rerender(page: Page, act: () => Promise<unknown>): Promise<void> {
  const before = Number(await page.getAttribute("body", "data-renders"));
  await act();
  // Polled from here: the page's policy refuses the string evaluation waitForFunction would need.
  await expect
    .poll(async () => Number(await page.getAttribute("body", "data-renders")), {
      interval: 20,
      timeout: 20_000,
    })
    .toBeGreaterThan(before);
}
