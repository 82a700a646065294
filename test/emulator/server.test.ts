import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server.js";
import { call } from "../helpers/emulator.js";
import { SUB, deployment, endpoint, tenant, workspace } from "../helpers/tenant.js";

const ws = workspace({ publicNetworkAccess: "Disabled" });
const eps = [0, 1, 2].map((i) => endpoint(ws, {}, `ep${i}`));
const API = "api-version=2025-12-01";
/** Each type at the api-version it has: the emulator refuses one it has no schema for, as ARM does. */
const SUBSCRIPTIONS_API = "api-version=2022-12-01";
const FOUNDRY_API = "api-version=2026-05-01";

describe("the ARM emulator", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator(
      tenant(
        [ws, ...eps, deployment(eps[0]!)],
        [{ path: `${eps[2]!.id}/deployments`, status: 503, count: 1, retryAfterSeconds: 7 }],
      ),
      { pageSize: 2, throttle: false },
    );
  });
  afterAll(() => emulator.close());

  it("serves only clients that trust its certificate", async () => {
    await expect(call(emulator, `/subscriptions?${SUBSCRIPTIONS_API}`, { ca: null })).rejects.toThrow(
      /self[- ]signed/i,
    );
  });

  it("answers 401 without a bearer token", async () => {
    const reply = await call(emulator, `/subscriptions?${SUBSCRIPTIONS_API}`, { token: null });
    expect(reply.status).toBe(401);
    expect(reply.headers["www-authenticate"]).toMatch(/^Bearer/);
  });

  it("requires an api-version", async () => {
    expect((await call(emulator, "/subscriptions")).body).toMatchObject({
      error: { code: "MissingApiVersionParameter" },
    });
  });

  it("gets a resource by id, case-insensitively", async () => {
    const reply = await call(emulator, `${ws.id.toUpperCase()}?${API}`);
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(ws.id);
  });

  it("answers 404 as ARM does", async () => {
    expect((await call(emulator, `${ws.id}x?${API}`)).body).toMatchObject({
      error: { code: "ResourceNotFound" },
    });
    expect(
      (
        await call(
          emulator,
          `/subscriptions/${"0".repeat(8)}-0000-0000-0000-000000000000?${SUBSCRIPTIONS_API}`,
        )
      ).status,
    ).toBe(404);
  });

  it("pages lists with an absolute nextLink", async () => {
    const first = await call(emulator, `${ws.id}/onlineEndpoints?${API}`);
    expect((first.body.value as unknown[]).length).toBe(2);
    const next = first.body.nextLink as string;
    expect(next.startsWith(emulator.url)).toBe(true);
    const second = await call(emulator, next);
    expect((second.body.value as unknown[]).length).toBe(1);
    expect(second.body.nextLink).toBeUndefined();
  });

  it("injects a fault only as many times as its count", async () => {
    const path = `${eps[2]!.id}/deployments?${API}`;
    const faulted = await call(emulator, path);
    expect(faulted.status).toBe(503);
    expect(faulted.headers["retry-after"]).toBe("7");
    expect((await call(emulator, path)).status).toBe(200);
  });

  it("answers the inventory's Resource Graph queries with $skipToken paging", async () => {
    const query =
      "resources | where type in~ ('microsoft.machinelearningservices/workspaces/onlineendpoints') | order by id asc";
    const first = await call(
      emulator,
      "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
      {
        method: "POST",
        body: { subscriptions: [SUB], query, options: { $top: 2 } },
      },
    );
    expect(first.body).toMatchObject({ totalRecords: 3, count: 2 });
    expect((first.body.data as { type: string }[])[0]?.type).toBe(
      "microsoft.machinelearningservices/workspaces/onlineendpoints",
    );
    expect(first.headers["x-ms-user-quota-remaining"]).toBeDefined();
    const second = await call(
      emulator,
      "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
      {
        method: "POST",
        body: { subscriptions: [SUB], query, options: { $skipToken: first.body.$skipToken } },
      },
    );
    expect(second.body).toMatchObject({ count: 1 });
  });

  it("refuses a query it cannot answer truthfully", async () => {
    const reply = await call(
      emulator,
      "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
      {
        method: "POST",
        body: { subscriptions: [SUB], query: "resources | summarize count() by type" },
      },
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      error: { message: expect.stringMatching(/unsupported query stage/) as unknown },
    });
  });

  it("counts requests by kind", () => {
    const stats = emulator.stats();
    expect(stats.byKind["list onlineEndpoints"]).toBeGreaterThanOrEqual(2);
    expect(stats.unauthorized).toBe(1);
    expect(stats.faulted).toBe(1);
  });
});

describe("ARM's read throttle", () => {
  it("answers 429 with Retry-After once a subscription's bucket is empty", async () => {
    const emulator = await startEmulator(tenant([ws]), { throttle: { burst: 2, refillPerSecond: 0.5 } });
    try {
      const replies = [];
      for (let i = 0; i < 3; i += 1) replies.push(await call(emulator, `${ws.id}?${API}`));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(replies[0]?.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBe("1");
      expect(Number(replies[2]?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      // Another principal has a bucket of its own.
      expect((await call(emulator, `${ws.id}?${API}`, { token: "someone-else" })).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });
  it("leaves out of Resource Graph's rows what a lasting 403 denies, as RBAC does", async () => {
    const emulator = await startEmulator(tenant([ws, ...eps], [{ path: eps[1]!.id, status: 403 }]));
    try {
      const query =
        "resources | where type in~ ('microsoft.machinelearningservices/workspaces/onlineendpoints') | order by id asc";
      const reply = await call(
        emulator,
        "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        {
          method: "POST",
          body: { subscriptions: [SUB], query },
        },
      );
      expect(reply.status).toBe(200);
      expect((reply.body.data as { name: string }[]).map((r) => r.name)).toEqual(["ep0", "ep2"]);
      expect((await call(emulator, `${eps[1]!.id}?${API}`)).status).toBe(403);
    } finally {
      await emulator.close();
    }
  });

  it("serves a lasting 403 below a subscription as the deny assignment it would be, and a lasting 404 as an absent resource", async () => {
    const emulator = await startEmulator(
      tenant(
        [ws, ...eps],
        [
          { path: eps[1]!.id, status: 403 },
          { path: eps[2]!.id, status: 404 },
        ],
      ),
      { throttle: false },
    );
    try {
      const denies = await call(
        emulator,
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01`,
      );
      const value = denies.body.value as {
        properties: { scope: string; permissions: { actions: string[] }[] };
      }[];
      expect(value.map((d) => d.properties.scope)).toEqual([eps[1]!.id]);
      expect(value[0]?.properties.permissions[0]?.actions).toEqual([
        "Microsoft.MachineLearningServices/*/read",
      ]);
      const list = await call(emulator, `${ws.id}/onlineEndpoints?${API}`);
      expect((list.body.value as { name: string }[]).map((e) => e.name)).toEqual(["ep0"]);
      expect((await call(emulator, `${eps[2]!.id}?${API}`)).status).toBe(404);
    } finally {
      await emulator.close();
    }
  });

  it("delays only the first requests of a latency fault with a count, and can answer 429 without Retry-After", async () => {
    const emulator = await startEmulator(
      tenant(
        [ws],
        [
          { path: ws.id, latencyMs: 400, count: 1 },
          { path: `${ws.id}/onlineEndpoints`, status: 429, count: 1, retryAfterSeconds: false },
        ],
      ),
      { throttle: false },
    );
    try {
      const timed = async () => {
        const started = performance.now();
        await call(emulator, `${ws.id}?${API}`);
        return performance.now() - started;
      };
      const first = await timed();
      const second = await timed();
      expect(first).toBeGreaterThanOrEqual(390);
      expect(second).toBeLessThan(first - 300);
      const throttled = await call(emulator, `${ws.id}/onlineEndpoints?${API}`);
      expect(throttled.status).toBe(429);
      expect(throttled.headers["retry-after"]).toBeUndefined();
    } finally {
      await emulator.close();
    }
  });

  it("serves Foundry accounts, their projects, managed network and outbound rules, paged, in ARM and Resource Graph", async () => {
    const account = {
      id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/ai`,
      name: "ai",
      type: "Microsoft.CognitiveServices/accounts",
      kind: "AIServices",
      properties: {
        publicNetworkAccess: "Enabled",
        networkInjections: [{ scenario: "agent", useMicrosoftManagedNetwork: true }],
      },
    };
    const projects = ["fraud", "chat", "search"].map((name) => ({
      id: `${account.id}/projects/${name}`,
      name,
      type: "Microsoft.CognitiveServices/accounts/projects",
      properties: {},
    }));
    const network = {
      id: `${account.id}/managedNetworks/default`,
      name: "default",
      type: "Microsoft.CognitiveServices/accounts/managedNetworks",
      properties: {
        managedNetwork: {
          isolationMode: "AllowOnlyApprovedOutbound",
          outboundRules: {
            pypi: { type: "FQDN", category: "UserDefined", destination: "pypi.org", status: "Active" },
            all: { type: "FQDN", category: "UserDefined", destination: "*", status: "Active" },
          },
        },
      },
    };
    const t = { ...tenant([account, ...projects, network]), argLag: [projects[2]!.id] };
    const emulator = await startEmulator(t, { pageSize: 2, throttle: false });
    try {
      const list = await call(
        emulator,
        `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/accounts?${FOUNDRY_API}`,
      );
      expect((list.body.value as { name: string }[]).map((a) => a.name)).toEqual(["ai"]);
      const first = await call(emulator, `${account.id}/projects?${FOUNDRY_API}`);
      expect((first.body.value as { name: string }[]).map((p) => p.name)).toEqual(["fraud", "chat"]);
      const next = await call(emulator, String(first.body.nextLink).replace(emulator.url, ""));
      expect((next.body.value as { name: string }[]).map((p) => p.name)).toEqual(["search"]);
      expect((await call(emulator, `${network.id}?${FOUNDRY_API}`)).body).toMatchObject({ name: "default" });
      const rules = await call(emulator, `${network.id}/outboundRules?${FOUNDRY_API}`);
      expect(rules.body.value).toEqual([
        {
          id: `${network.id}/outboundRules/pypi`,
          name: "pypi",
          type: "accounts/outboundRules",
          properties: network.properties.managedNetwork.outboundRules.pypi,
        },
        {
          id: `${network.id}/outboundRules/all`,
          name: "all",
          type: "accounts/outboundRules",
          properties: network.properties.managedNetwork.outboundRules.all,
        },
      ]);
      const graph = await call(
        emulator,
        "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        {
          method: "POST",
          body: {
            subscriptions: [SUB],
            query:
              "resources | where type in~ ('microsoft.cognitiveservices/accounts', 'microsoft.cognitiveservices/accounts/projects') | order by id asc",
          },
        },
      );
      // Resource Graph has not indexed the newest project yet (argLag), as for workspaces.
      expect((graph.body.data as { name: string; kind: string }[]).map((r) => r.name)).toEqual([
        "ai",
        "chat",
        "fraud",
      ]);
      expect(emulator.stats().byKind).toMatchObject({
        "list accounts": 1,
        "list projects": 2,
        "get managedNetwork": 1,
        "list managedNetworkOutboundRules": 1,
        resourceGraph: 1,
      });
    } finally {
      await emulator.close();
    }
  });
});
