#!/usr/bin/env node
// azd's predeploy hook (azure.yaml). Flex Consumption reads the deployment package from the host storage with
// the app's identity, through a role assignment `azd provision` has just made; Azure takes minutes to apply a new
// assignment, and a first `azd deploy` before it does is refused (403 on the deployment container,
// Azure/azure-dev#8026). This waits, bounded, until the assignment is old enough, and says why.
//
// Reads AUDIT_DEPLOYMENT_ROLE_CREATED_ON (a main.bicep output, in azd's environment) and AUDIT_ROLE_WAIT_SECONDS
// (default 300; 0: do not wait). An environment provisioned long ago waits for nothing.
"use strict";
const { setTimeout: sleep } = require("node:timers/promises");

const DEFAULT_WAIT_SECONDS = 300;
const REPORT_EVERY_SECONDS = 30;

/** Seconds still to wait, and why; 0 when the role is old enough or its age is unknown. */
function plan(env, now = Date.now()) {
  const raw = env.AUDIT_ROLE_WAIT_SECONDS;
  const wait = raw === undefined || raw === "" ? DEFAULT_WAIT_SECONDS : Number(raw);
  if (!Number.isFinite(wait) || wait < 0)
    return { seconds: 0, note: `AUDIT_ROLE_WAIT_SECONDS is not a number of seconds ("${raw}"): not waiting` };
  if (wait === 0) return { seconds: 0 };
  const created = Date.parse(env.AUDIT_DEPLOYMENT_ROLE_CREATED_ON ?? "");
  if (Number.isNaN(created))
    return {
      seconds: 0,
      note: "the app's role on its deployment storage has no creation time in this environment (run azd provision first): not waiting",
    };
  const left = Math.ceil((created + wait * 1000 - now) / 1000);
  return { seconds: Math.max(0, Math.min(left, wait)) };
}

async function main() {
  const { seconds, note } = plan(process.env);
  if (note) process.stdout.write(`predeploy: ${note}\n`);
  if (seconds === 0) return;
  process.stdout.write(
    `predeploy: the app's role on its deployment storage is new; waiting ${seconds} s for Azure to apply it, so that the deploy is not refused (403). AUDIT_ROLE_WAIT_SECONDS=0 skips this.\n`,
  );
  for (let left = seconds; left > 0; left -= REPORT_EVERY_SECONDS) {
    const step = Math.min(left, REPORT_EVERY_SECONDS);
    await sleep(step * 1000);
    if (left - step > 0) process.stdout.write(`predeploy: ${left - step} s left\n`);
  }
  process.stdout.write("predeploy: done waiting\n");
}

module.exports = { plan, DEFAULT_WAIT_SECONDS };

if (require.main === module) {
  main().catch((error) => {
    // The hook must never stop a deploy that could succeed: it only waits.
    process.stdout.write(`predeploy: ${error instanceof Error ? error.message : String(error)}\n`);
  });
}
