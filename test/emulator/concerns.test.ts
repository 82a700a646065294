/** The emulator's concerns, each on its own: resource types, faults, access, throttling. */
import { describe, expect, it } from "vitest";
import { TYPES } from "../../src/model/arm-ids.js";
import { Access } from "../../src/emulator/access.js";
import { kindOf } from "../../src/emulator/arm-routes.js";
import { Faults } from "../../src/emulator/faults.js";
import { embeddedCollection, listKindOf } from "../../src/emulator/resource-types.js";
import { TenantIndex } from "../../src/emulator/tenant-index.js";
import { GraphQuota, ReadThrottle } from "../../src/emulator/throttle.js";
import { ArmError, emptyStats } from "../../src/emulator/types.js";
import { SUB, endpoint, tenant, workspace } from "../helpers/tenant.js";

const ws = workspace({
  privateEndpointConnections: [{ id: "pec" }],
  managedNetwork: { outboundRules: { pypi: { type: "FQDN", destination: "pypi.org" } } },
});
const ep = endpoint(ws);
const FOUNDRY = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/ai`;

describe("resource types", () => {
  it.each([
    ["GET", `/subscriptions/${SUB}`, "subscriptions"],
    [
      "GET",
      `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/workspaces`,
      "list workspaces",
    ],
    ["GET", `${ws.id}/onlineEndpoints`, "list onlineEndpoints"],
    ["GET", `${ep.id}/deployments`, "list deployments"],
    ["GET", `${ws.id}/privateEndpointConnections`, "list privateEndpointConnections"],
    ["GET", `${ws.id}/outboundRules`, "list outboundRules"],
    ["GET", ws.id, "get workspace"],
    [
      "GET",
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
      "get storageAccount",
    ],
    ["GET", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults`, "list keyVaults"],
    ["GET", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/x`, "get other"],
    [
      "GET",
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/denyAssignments`,
      "list denyAssignments",
    ],
    ["POST", "/providers/Microsoft.ResourceGraph/resources", "resourceGraph"],
    ["GET", `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/accounts`, "list accounts"],
    ["GET", `${FOUNDRY}/projects`, "list projects"],
    ["GET", FOUNDRY, "get account"],
    ["GET", `${FOUNDRY}/managedNetworks/default`, "get managedNetwork"],
    ["GET", `${FOUNDRY}/managedNetworks/default/outboundRules`, "list managedNetworkOutboundRules"],
    ["GET", `${FOUNDRY}/privateEndpointConnections`, "list privateEndpointConnections"],
  ])("%s %s is counted as %s", (method, path, kind) => {
    expect(kindOf(method, path)).toBe(kind);
  });

  it("serves a parent's embedded collections from its properties", () => {
    expect(embeddedCollection(ws, "privateEndpointConnections")?.items(ws)).toEqual([{ id: "pec" }]);
    expect(embeddedCollection(ws, "outboundRules")?.items(ws)).toEqual([
      {
        id: `${ws.id}/outboundRules/pypi`,
        name: "pypi",
        type: TYPES.outboundRule,
        properties: { type: "FQDN", destination: "pypi.org" },
      },
    ]);
    expect(embeddedCollection(ep, "outboundRules")).toBeUndefined(); // outbound rules are a workspace's
    expect(listKindOf("unknownThings")).toBe("list other");
  });
});

describe("faults", () => {
  it("answer a status as many times as their count, and delay only their first requests", () => {
    const stats = emptyStats();
    const faults = new Faults(
      [
        { path: ws.id, status: 503, count: 2, retryAfterSeconds: false },
        { path: ep.id, latencyMs: 50, count: 1 },
      ],
      () => stats,
    );
    const answer = () => {
      try {
        faults.apply(`${ws.id}/onlineEndpoints`);
        return undefined;
      } catch (error) {
        return error as ArmError;
      }
    };
    expect(answer()).toMatchObject({ status: 503, headers: {} });
    expect(answer()?.status).toBe(503);
    expect(answer()).toBeUndefined();
    expect(stats.faulted).toBe(2);
    expect([faults.latency(ep.id), faults.latency(ep.id)]).toEqual([50, 0]);
  });

  it("stand for what they are in Azure when they last: a deny assignment, an absent resource", () => {
    const faults = new Faults(
      [
        { path: ep.id, status: 403 },
        { path: `/subscriptions/${SUB}/resourceGroups/other`, status: 403 },
        { path: `${ws.id}/onlineEndpoints/gone`, status: 404 },
        { path: `/subscriptions/${SUB}`, status: 403 }, // a subscription's own: not below it
        { path: ws.id, status: 403, count: 1 }, // not lasting
      ],
      emptyStats,
    );
    expect(faults.denyAssignments()).toEqual([
      {
        name: "injected-fault-0",
        scope: ep.id,
        actions: ["Microsoft.MachineLearningServices/*/read"],
        notActions: [],
      },
      {
        name: "injected-fault-1",
        scope: `/subscriptions/${SUB}/resourceGroups/other`,
        actions: ["*/read"],
        notActions: [],
      },
    ]);
    expect(faults.absent()(`${ws.id}/onlineEndpoints/gone`)).toBe(true);
    expect(faults.absent()(ep.id)).toBe(false);
  });
});

describe("access", () => {
  it("reads what a grant covers at or above a path, through a management group, and not what a deny covers", () => {
    const t = {
      ...tenant([ws, ep]),
      access: [{ scope: "/providers/Microsoft.Management/managementGroups/ml", actions: ["*/read"] }],
    };
    t.subscriptions[0]!.managementGroups = ["ml"];
    const access = new Access(new TenantIndex(t), [
      { scope: ep.id, actions: ["Microsoft.MachineLearningServices/*/read"] },
    ]);
    expect(access.mayRead(ws.id)).toBe(true);
    expect(access.mayRead(ep.id)).toBe(false);
    expect(access.visible(SUB)).toBe(true);
    expect(access.forbidden(ep.id).status).toBe(403);
  });
});

describe("throttling", () => {
  it("empties a subscription's read bucket into a 429 with Retry-After, and Resource Graph's quota likewise", () => {
    const stats = emptyStats();
    const reads = new ReadThrottle({ burst: 2, refillPerSecond: 1 }, () => stats);
    expect(reads.take("p", ws.id)).toEqual({ "x-ms-ratelimit-remaining-subscription-reads": "1" });
    reads.take("p", ws.id);
    expect(() => reads.take("p", ws.id)).toThrow(ArmError);
    expect(reads.take("other-principal", ws.id)).toBeDefined();
    const quota = new GraphQuota({ queries: 1, windowSeconds: 5 }, () => stats);
    expect(quota.take("p")["x-ms-user-quota-remaining"]).toBe("0");
    expect(() => quota.take("p")).toThrow(/too many requests/);
    expect(stats.throttled).toBe(2);
  });
});
