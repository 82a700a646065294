/** `startAudit` (POST /api/audits): Records a run `queued`, enqueues it and answers 202 with its location. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { startAudit as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const startAudit: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context, process.env),
  );

app.http("startAudit", { methods: ["POST"], route: "audits", authLevel: "function", handler: startAudit });
