/** `getDashboard` (GET /api/dashboard): the findings as a page, reading the feed beside it with the same key. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getDashboard as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const getDashboard: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context),
  );

app.http("getDashboard", {
  methods: ["GET"],
  route: "dashboard",
  authLevel: "function",
  handler: getDashboard,
});
