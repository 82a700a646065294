/** `listAudits` (GET /api/audits): Recent runs, newest first, paged. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { listAudits as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const listAudits: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context, process.env),
  );

app.http("listAudits", { methods: ["GET"], route: "audits", authLevel: "function", handler: listAudits });
