#!/usr/bin/env node
// Renders a Teams digest (the JSON body the audit posts) to an HTML page with the Adaptive Cards
// library: `node scripts/render-digest.js digest.json > digest.html`. scripts/screenshots.js uses it to make
// docs/digest.png from the demo's own digest.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

/** The page that renders `message` (a Teams message with one Adaptive Card attachment). */
function digestPage(message) {
  const card = message.attachments[0].content;
  const library = readFileSync(
    join(__dirname, "../node_modules/adaptivecards/dist/adaptivecards.min.js"),
    "utf8",
  );
  const hostConfig = {
    fontFamily: "Segoe UI, Helvetica Neue, Arial, sans-serif",
    containerStyles: {
      default: {
        backgroundColor: "#FFFFFF",
        foregroundColors: {
          default: { default: "#242424", subtle: "#616161" },
          attention: { default: "#C4314B", subtle: "#C4314B" },
          good: { default: "#237B4B", subtle: "#237B4B" },
        },
      },
    },
  };
  return `<!doctype html><html><head><meta charset="utf-8">
<style>body{background:#f5f5f5;margin:0;padding:16px;font-family:Segoe UI,Arial,sans-serif}
#card{max-width:660px;background:#fff;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:4px}</style>
<script>${library}</script></head><body><div id="card"></div><script>
// Teams reads the card's markdown; this page only needs its backslash escapes undone.
AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
  const html = text.replace(/\\\\(.)/g, "$1").replace(/&/g, "&amp;").replace(/</g, "&lt;");
  result.outputHtml = html;
  result.didProcess = true;
};
const card = new AdaptiveCards.AdaptiveCard();
card.hostConfig = new AdaptiveCards.HostConfig(${JSON.stringify(hostConfig)});
card.parse(${JSON.stringify(card)});
document.getElementById("card").appendChild(card.render());
</script></body></html>`;
}

module.exports = { digestPage };

if (require.main === module)
  process.stdout.write(digestPage(JSON.parse(readFileSync(process.argv[2], "utf8"))));
