/** `listFindings` (GET /api/findings): The dashboard feed: findings from the `findings` table, filtered and paged, as JSON or CSV. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { listFindings as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const listFindings: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context, process.env),
  );

app.http("listFindings", {
  methods: ["GET"],
  route: "findings",
  authLevel: "function",
  handler: listFindings,
});
