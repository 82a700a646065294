/** `getSummary` (GET /api/summary): The latest summary and the trend of recent runs. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getSummary as handle } from "../app/api.js";
import { httpHandler } from "../app/http.js";

export const getSummary: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> =
  httpHandler(
    () => process.env,
    (request, context) => handle(request, context, process.env),
  );

app.http("getSummary", { methods: ["GET"], route: "summary", authLevel: "function", handler: getSummary });
