/**
 * A value of the wrong type is unknown, never a default, and a range that covers the internet is public: what the
 * rules would otherwise read as missing (an IP rule that is a bare string, a mode that is a number, rules that are
 * an array) makes its resource AUDIT001, naming the property.
 */
import { describe, expect, it } from "vitest";
import type { Source } from "../../src/inventory/index.js";
import { wrongIn, wrongType } from "../../src/inventory/shapes.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  MANAGED_AGENTS,
  account,
  accountId,
  deployment,
  endpoint,
  foundryManagedNetwork,
  foundryProject,
  tenant,
  workspace,
  workspaceId,
} from "../helpers/tenant.js";

const SOURCES: Source[] = ["arg", "arm"];
const PUBLIC = { publicNetworkAccess: "Enabled", privateEndpointConnections: [] };

async function judged(resources: Parameters<typeof tenant>[0], source: Source) {
  const { result } = await auditThroughEmulator(tenant(resources), source);
  const audits = result.findings.filter((f) => f.ruleId === "AUDIT001");
  return {
    rules: result.findings.map((f) => f.ruleId).sort(),
    audit: audits.map((f) => ({
      on: f.resourceId,
      operations: (f.evidence.failures as { operation: string }[]).map((x) => x.operation),
    })),
    complete: result.summary.complete,
  };
}

describe.each(SOURCES)("values of the wrong type (%s)", (source) => {
  it.each([
    [
      "an account's IP rule that is a bare string",
      () => [account({ ...PUBLIC, networkAcls: { defaultAction: "Deny", ipRules: ["0.0.0.0/0"] } })],
      accountId(),
      "properties.networkAcls.ipRules[0]",
    ],
    [
      "a Foundry managed network's mode that is a number",
      () => {
        const a = account({ ...PUBLIC, ...MANAGED_AGENTS });
        const mn = foundryManagedNetwork(a, "AllowInternetOutbound");
        (mn.properties!.managedNetwork as Record<string, unknown>).isolationMode = 1;
        return [a, mn, foundryProject(a)];
      },
      `${accountId()}/managedNetworks/default`,
      "properties.managedNetwork.isolationMode",
    ],
    [
      "a Foundry managed network's rules that are an array",
      () => {
        const a = account({ ...PUBLIC, ...MANAGED_AGENTS });
        const mn = foundryManagedNetwork(a, "AllowOnlyApprovedOutbound");
        (mn.properties!.managedNetwork as Record<string, unknown>).outboundRules = [
          { type: "FQDN", category: "UserDefined", destination: "*" },
        ];
        return [a, mn, foundryProject(a)];
      },
      `${accountId()}/managedNetworks/default`,
      "properties.managedNetwork.outboundRules",
    ],
    [
      "a workspace's rules that are an array",
      () => [
        workspace({
          ...PUBLIC,
          managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound", outboundRules: [{ type: "FQDN" }] },
        }),
      ],
      workspaceId(),
      "properties.managedNetwork.outboundRules",
    ],
  ])(
    "%s is AUDIT001 on its resource, naming it; no verdict rests on a default",
    async (_what, make, on, path) => {
      const { audit, complete } = await judged(make(), source);
      expect(complete).toBe(false);
      expect(audit.find((a) => a.on === on)).toEqual({ on, operations: [`read the property ${path}`] });
      // A managed network's rules are the account's: their unknown verdicts are named on it too.
      expect(audit.filter((a) => a.on !== on)).toEqual(
        on.endsWith("/managedNetworks/default") ? [{ on: accountId(), operations: [] }] : [],
      );
    },
  );

  it("a workspace's selected IP rule that is a bare string leaves only the verdicts that need the ranges unknown", async () => {
    const ws = workspace({
      ...PUBLIC,
      managedNetwork: { isolationMode: "AllowInternetOutbound" },
      networkAcls: { defaultAction: "Deny", ipRules: ["203.0.113.0/24"] },
    });
    const { rules, audit } = await judged([ws], source);
    expect(audit).toEqual([
      { on: ws.id, operations: ["read the property properties.networkAcls.ipRules[0]"] },
    ]);
    expect(rules).not.toContain("AMLNI003");
    expect(rules).not.toContain("AMLNI008");
    expect(rules).toContain("AMLNO002");
  });
});

describe.each(SOURCES)("ranges that cover the internet (%s)", (source) => {
  it("make an account that denies by default public to the internet (AIFNI001, not AIFNI002)", async () => {
    const { rules } = await judged(
      [
        account({
          ...PUBLIC,
          networkAcls: { defaultAction: "Deny", ipRules: [{ value: "0.0.0.0/1" }, { value: "128.0.0.0/1" }] },
        }),
      ],
      source,
    );
    expect(rules).toContain("AIFNI001");
    expect(rules).not.toContain("AIFNI002");
  });

  it("make a workspace's selected IPs the internet (AMLNI003 and AMLNI001), its deployments still failing", async () => {
    const ws = workspace({
      ...PUBLIC,
      networkAcls: { defaultAction: "Deny", ipRules: [{ value: "0.0.0.0/0" }] },
    });
    const ep = endpoint(ws, { publicNetworkAccess: "Enabled" });
    const { rules } = await judged([ws, ep, deployment(ep)], source);
    expect(rules).toEqual(expect.arrayContaining(["AMLNI001", "AMLNI003", "AMLNO010"]));
    expect(rules).not.toContain("AMLNI007");
    expect(rules).not.toContain("AMLNI008");
  });
});

describe("where a value of the wrong type is", () => {
  const SHAPE = {
    a: "object",
    "a.list": "array",
    "a.list[]": "object",
    "a.list[].value": "string",
    "a.map": "object",
    "a.map.*": "object",
    "a.map.*.type": "string",
  } as const;

  it.each([
    ["an item past the first", { a: { list: [{ value: "x" }, { value: 1 }] } }, "a.list[1].value", "number"],
    [
      "a map's entry, by its key",
      { a: { map: { ok: { type: "x" }, bad: { type: true } } } },
      "a.map.bad.type",
      "boolean",
    ],
    ["an item that is no object", { a: { list: [{ value: "x" }, "y"] } }, "a.list[1]", "string"],
    ["the first path of the shape before a later one", { a: { list: "no", map: 1 } }, "a.list", "string"],
  ])("names %s", (_what, root, path, found) => {
    expect(wrongIn(root, { ...SHAPE })).toEqual({
      path,
      found,
      expected: (SHAPE as Record<string, string>)[
        path.replace(/\[\d+\]/g, "[]").replace(/map\.\w+/, "map.*")
      ],
    });
  });

  it("takes null and missing values as not set, and items under a value that is no array as absent", () => {
    expect(
      wrongIn({ a: { list: [{ value: null }, {}], map: { x: { type: null } } } }, { ...SHAPE }),
    ).toBeUndefined();
    expect(wrongIn({ a: null }, { ...SHAPE })).toBeUndefined();
    expect(wrongIn({ a: { list: { value: 1 } } }, { ...SHAPE })).toEqual({
      path: "a.list",
      found: "object",
      expected: "array",
    });
  });

  it("checks a resource against its type's shape, whatever the type's casing", () => {
    const ws = workspace({ managedNetwork: { isolationMode: 1 } });
    expect(wrongType({ ...ws, type: ws.type.toLowerCase() })?.path).toBe(
      "properties.managedNetwork.isolationMode",
    );
    expect(wrongType({ ...ws, type: "Microsoft.Web/sites" })).toBeUndefined();
  });
});
