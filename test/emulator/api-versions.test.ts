/**
 * The emulator serves what an api-version defines, as real ARM does: the REST specification extract names where
 * each schema came from, covers every type at every version the inventory reads it, and every answer leaves out
 * what the request's version does not define.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPES } from "../../src/model/arm-ids.js";
import { allSchemas, definesPath, schemaOf, shape } from "../../src/emulator/api-versions.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server.js";
import { READ_API_VERSIONS } from "../../src/inventory/collector.js";
import { AUTHORIZATION_API_VERSION } from "../../src/inventory/proof.js";
import { SELECTED_IPS_API_VERSION } from "../../src/inventory/selected-ips.js";
import { call } from "../helpers/emulator.js";
import { SUB, selectedIps, tenant, workspace } from "../helpers/tenant.js";

const ML_STABLE = READ_API_VERSIONS[TYPES.workspace] as string;

describe("the REST specification extract", () => {
  it("names the repository, commit and file of every schema", () => {
    for (const schema of allSchemas()) {
      expect(schema.source.repository, schema.type).toMatch(/^Azure\/(bicep-types-az|azure-rest-api-specs)$/);
      expect(schema.source.commit, schema.type).toMatch(/^[0-9a-f]{40}$/);
      expect(schema.source.path, schema.type).toMatch(/\.json$/);
      if (schema.source.repository === "Azure/bicep-types-az")
        expect(schema.source.generatedFrom, schema.type).toMatch(
          /^Azure\/azure-rest-api-specs@[0-9a-f]{7,40}$/,
        );
    }
  });

  it("has a schema for every type at every api-version the inventory reads it", () => {
    const reads: [string, string][] = [
      ...Object.entries(READ_API_VERSIONS),
      [TYPES.workspace, SELECTED_IPS_API_VERSION],
      ["Microsoft.Authorization/permissions", AUTHORIZATION_API_VERSION],
      ["Microsoft.Authorization/denyAssignments", AUTHORIZATION_API_VERSION],
      // @azure/arm-resources-subscriptions' own version.
      [TYPES.subscription, "2022-12-01"],
    ];
    for (const [type, version] of reads) expect(schemaOf(type, version), `${type}@${version}`).toBeDefined();
  });

  it("knows that a workspace's selected IP ranges exist only at the preview version the inventory reads them at", () => {
    const path = ["properties", "networkAcls", "ipRules", "[]", "value"];
    expect(definesPath(schemaOf(TYPES.workspace, ML_STABLE)!, path)).toBe(false);
    expect(definesPath(schemaOf(TYPES.workspace, SELECTED_IPS_API_VERSION)!, path)).toBe(true);
  });

  it("shapes a value by its discriminator, keeps maps' keys, and keeps a value of another shape as it is", () => {
    const schema = schemaOf(TYPES.workspace, ML_STABLE)!;
    const served = shape(schema, {
      id: "/x",
      apiVersion: ML_STABLE,
      properties: {
        notInTheSpec: true,
        publicNetworkAccess: ["Disabled"],
        managedNetwork: {
          isolationMode: "AllowOnlyApprovedOutbound",
          outboundRules: {
            pypi: { type: "FQDN", category: "UserDefined", destination: "pypi.org", fqdns: ["x"] },
            storage: {
              type: "ServiceTag",
              destination: { serviceTag: "Storage", addressPrefixes: ["0.0.0.0/0"], extra: 1 },
            },
          },
        },
      },
    });
    expect(served).toEqual({
      id: "/x",
      properties: {
        publicNetworkAccess: ["Disabled"],
        managedNetwork: {
          isolationMode: "AllowOnlyApprovedOutbound",
          outboundRules: {
            // `fqdns` is a PrivateEndpoint rule's, not an FQDN rule's.
            pypi: { type: "FQDN", category: "UserDefined", destination: "pypi.org" },
            storage: {
              type: "ServiceTag",
              destination: { serviceTag: "Storage", addressPrefixes: ["0.0.0.0/0"] },
            },
          },
        },
      },
    });
  });
});

describe("the emulator, at the request's api-version", () => {
  const ws = workspace({ publicNetworkAccess: "Enabled", ...selectedIps("203.0.113.0/24") });
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator(tenant([ws]), { throttle: false });
  });
  afterAll(() => emulator.close());

  it("leaves out what the version does not define, in a GET and in a list", async () => {
    const stable = await call(emulator, `${ws.id}?api-version=${ML_STABLE}`);
    expect(stable.status).toBe(200);
    expect(stable.body.properties).toEqual({
      publicNetworkAccess: "Enabled",
      privateEndpointConnections: [],
    });
    const list = await call(
      emulator,
      `/subscriptions/${SUB}/providers/${TYPES.workspace}?api-version=${ML_STABLE}`,
    );
    expect((list.body.value as { properties: unknown }[])[0]?.properties).toEqual(stable.body.properties);
  });

  it("serves what the version defines", async () => {
    const preview = await call(emulator, `${ws.id}?api-version=${SELECTED_IPS_API_VERSION}`);
    expect(preview.body.properties).toEqual(ws.properties);
  });

  it("refuses an api-version it has no schema for, naming those it has, before looking the resource up", async () => {
    for (const target of [ws.id, `${ws.id}-missing`]) {
      const reply = await call(emulator, `${target}?api-version=2019-01-01`);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: { code: "NoRegisteredProviderFound" } });
      expect(JSON.stringify(reply.body)).toContain(ML_STABLE);
    }
    expect(emulator.stats().refusedApiVersions).toBe(2);
  });

  it("gives Resource Graph rows the properties of the type's newest stable version", async () => {
    const reply = await call(
      emulator,
      "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
      {
        method: "POST",
        body: { subscriptions: [SUB], query: `resources | where type =~ '${TYPES.workspace}'` },
      },
    );
    expect((reply.body.data as { properties: unknown }[])[0]?.properties).toEqual({
      publicNetworkAccess: "Enabled",
      privateEndpointConnections: [],
    });
  });
});

describe("scripts/rest-specs.js", () => {
  const script = createRequire(__filename)("../../scripts/rest-specs.js") as {
    extract: (types: unknown[], wanted: string[]) => { nodes: unknown[]; roots: Record<string, number> };
    serialize: (extract: unknown) => string;
    build: (
      dir: string,
      rev: string,
      wanted: { folder: string; types: string[] }[],
      transcribed: unknown[],
    ) => { schemas: Record<string, unknown>; sources: Record<string, unknown>[] };
  };

  it("extracts the properties a resource type's GET can return: cycles, maps and unions, no write-only ones", () => {
    // A bicep-types file in miniature: a resource whose network points back at itself through a subnet.
    const types = [
      { $type: "StringType" },
      {
        $type: "ResourceType",
        name: "Contoso.Net/networks@2025-01-01",
        body: { $ref: "#/2" },
      },
      {
        $type: "ObjectType",
        name: "Contoso.Net/networks",
        properties: {
          id: { type: { $ref: "#/0" }, flags: 10 },
          apiVersion: { type: { $ref: "#/0" }, flags: 10 },
          properties: { type: { $ref: "#/3" }, flags: 0 },
        },
      },
      {
        $type: "ObjectType",
        name: "NetworkProperties",
        properties: {
          password: { type: { $ref: "#/0" }, flags: 4 },
          subnets: { type: { $ref: "#/4" }, flags: 0 },
          rules: { type: { $ref: "#/6" }, flags: 0 },
        },
      },
      { $type: "ArrayType", itemType: { $ref: "#/5" } },
      {
        $type: "ObjectType",
        name: "Subnet",
        properties: { id: { type: { $ref: "#/0" }, flags: 0 }, network: { type: { $ref: "#/3" }, flags: 0 } },
      },
      { $type: "ObjectType", name: "Rules", properties: {}, additionalProperties: { $ref: "#/7" } },
      {
        $type: "DiscriminatedObjectType",
        name: "Rule",
        discriminator: "type",
        baseProperties: { status: { type: { $ref: "#/0" }, flags: 0 } },
        elements: { FQDN: { $ref: "#/8" } },
      },
      { $type: "ObjectType", name: "Fqdn", properties: { destination: { type: { $ref: "#/0" }, flags: 0 } } },
    ];
    const { nodes, roots } = script.extract(types, ["Contoso.Net/networks"]);
    const root = roots["Contoso.Net/networks"]!;
    expect(nodes[root]).toEqual({ o: { id: 1, properties: { n: expect.any(Number) as number } } });
    const schema = {
      type: "Contoso.Net/networks",
      apiVersion: "2025-01-01",
      source: { repository: "", commit: "", path: "" },
      nodes: nodes as never,
      root: nodes[root] as never,
    };
    expect(definesPath(schema, ["properties", "subnets", "[]", "network", "subnets", "[]", "id"])).toBe(true);
    expect(definesPath(schema, ["properties", "password"])).toBe(false);
    expect(definesPath(schema, ["properties", "rules", "any-name", "destination"])).toBe(true);
    expect(definesPath(schema, ["apiVersion"])).toBe(false);
    expect(
      JSON.parse(script.serialize({ generatedBy: "x", bicepTypes: {}, schemas: {}, sources: [] })),
    ).toEqual({
      generatedBy: "x",
      bicepTypes: {},
      schemas: {},
      sources: [],
    });
  });

  it("reads a bicep-types clone with git, and records the commit of each file and the spec commit it came from", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bicep-types-"));
    try {
      const folder = "generated/contoso/contoso.net/2025-01-01";
      mkdirSync(path.join(dir, folder), { recursive: true });
      const types = [
        { $type: "StringType" },
        { $type: "ResourceType", name: "Contoso.Net/networks@2025-01-01", body: { $ref: "#/2" } },
        { $type: "ObjectType", name: "N", properties: { id: { type: { $ref: "#/0" }, flags: 10 } } },
      ];
      writeFileSync(path.join(dir, folder, "types.json"), JSON.stringify(types));
      const git = (...args: string[]) =>
        execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
          encoding: "utf8",
        }).trim();
      git("init", "-q");
      git("add", ".");
      git(
        "commit",
        "-q",
        "-m",
        "Update types from https://github.com/Azure/azure-rest-api-specs/tree/abc1234 (#1)",
      );
      const commit = git("rev-parse", "HEAD");
      const built = script.build(dir, "HEAD", [{ folder, types: ["Contoso.Net/networks"] }], []);
      expect(built.schemas).toEqual({ "Contoso.Net/networks@2025-01-01": { source: 0, root: 0 } });
      expect(built.sources[0]).toMatchObject({
        repository: "Azure/bicep-types-az",
        commit,
        path: `${folder}/types.json`,
        generatedFrom: "Azure/azure-rest-api-specs@abc1234",
        nodes: [{ o: { id: 1 } }],
      });
      expect(() => script.build(dir, "HEAD", [{ folder, types: ["Contoso.Net/other"] }], [])).toThrow(
        /no resource type Contoso\.Net\/other in this file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
