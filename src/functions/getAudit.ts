/** `getAudit` (GET /api/audits/{runId}): A run's status, progress, and its summary once done. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getAudit as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const getAudit: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context, process.env),
  );

app.http("getAudit", { methods: ["GET"], route: "audits/{runId}", authLevel: "function", handler: getAudit });
