#!/usr/bin/env node
// Writes infra/app/log-analytics/tables.json from the columns src/sinks/log-analytics/schema.ts declares
// (after `npm run build`): the Bicep reads it for the tables and the data collection rule's streams alike, and
// a test fails when it and the code differ.
"use strict";
const { writeFileSync } = require("node:fs");
const path = require("node:path");
const { tablesDocument } = require("../dist/src/sinks/log-analytics/schema.js");

const file = path.join(__dirname, "../infra/app/log-analytics/tables.json");
writeFileSync(file, `${JSON.stringify(tablesDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
