// Headless Chromium for the page tests, the screenshots and the benchmark: Debian's `chromium` (or
// CHROMIUM_PATH), driven by playwright-core, which downloads no browser.
"use strict";
const { existsSync } = require("node:fs");

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium reaches for Google's hosts at start, which a closed network
// refuses; the sandbox needs user namespaces a container may not give.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts the browser, or throws saying where it looked and how to get one. */
function launchChromium() {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does), or set CHROMIUM_PATH`,
    );
  const { chromium } = require("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

module.exports = { CHROMIUM, FLAGS, launchChromium };
