/** `nightlyAudit`: records a tenant-wide run and enqueues it, on `AUDIT_SCHEDULE` (UTC). */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { scheduleRun } from "../app/api.js";

export async function nightlyAudit(timer: Timer, context: InvocationContext): Promise<void> {
  await scheduleRun(timer, context, process.env);
}

// Never runOnStartup: it would start a tenant-wide audit on every cold start and scale-out.
app.timer("nightlyAudit", { schedule: "%AUDIT_SCHEDULE%", runOnStartup: false, handler: nightlyAudit });
