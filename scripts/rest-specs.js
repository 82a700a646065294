#!/usr/bin/env node
// node scripts/rest-specs.js --bicep-types DIR [--rev REV] [--check]
//
// Writes src/emulator/rest-specs.json: for every resource type and api-version the auditor requests, the
// properties that version's REST specification defines, so that the emulator serves only what real ARM would.
//
// The source is a clone of Azure/bicep-types-az (a bare mirror works too: files are read with `git show`). Its
// `generated/<provider>/<namespace>/<api-version>/types.json` is a machine rendering of the azure-rest-api-specs
// Swagger of that api-version, one file per version, with every property, its nesting, maps, discriminated
// unions and read-only/write-only flags; the commit that last wrote each file names, in its subject, the
// azure-rest-api-specs commit it was generated from, and the extract records both. A few GET-only reads have
// no bicep type (the Authorization permissions and deny assignments of 2022-04-01, the subscription list): they
// are transcribed from their Swagger below, with the file and commit they were read from.
//
// --check: build the extract and compare it with the committed one (exit 1 when they differ).
"use strict";
const { execFileSync } = require("node:child_process");
const { readFileSync, writeFileSync } = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");

const OUTPUT = path.join(__dirname, "../src/emulator/rest-specs.json");

/** What the auditor requests: per bicep-types file, the resource types it reads at that api-version. */
const WANTED = [
  {
    folder: "generated/machinelearningservices/microsoft.machinelearningservices/2025-12-01",
    types: [
      "Microsoft.MachineLearningServices/workspaces",
      "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
      "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
      "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
      "Microsoft.MachineLearningServices/workspaces/outboundRules",
      "Microsoft.MachineLearningServices/workspaces/computes",
    ],
  },
  {
    // No stable version defines a workspace's selected IP ranges (`networkAcls`): they are read at this one.
    folder: "generated/machinelearningservices/microsoft.machinelearningservices/2026-05-15-preview",
    types: ["Microsoft.MachineLearningServices/workspaces"],
  },
  {
    folder: "generated/cognitiveservices/microsoft.cognitiveservices/2026-05-01",
    types: [
      "Microsoft.CognitiveServices/accounts",
      "Microsoft.CognitiveServices/accounts/projects",
      "Microsoft.CognitiveServices/accounts/managedNetworks",
      "Microsoft.CognitiveServices/accounts/managedNetworks/outboundRules",
      "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
      "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
      "Microsoft.CognitiveServices/accounts/projects/connections",
      "Microsoft.CognitiveServices/accounts/connections",
    ],
  },
  {
    folder: "generated/cosmos-db/microsoft.documentdb/2025-10-15",
    types: ["Microsoft.DocumentDB/databaseAccounts"],
  },
  { folder: "generated/search/microsoft.search/2025-05-01", types: ["Microsoft.Search/searchServices"] },
  { folder: "generated/storage/microsoft.storage/2023-05-01", types: ["Microsoft.Storage/storageAccounts"] },
  { folder: "generated/keyvault/microsoft.keyvault/2026-02-01", types: ["Microsoft.KeyVault/vaults"] },
  {
    folder: "generated/containerregistry_0/microsoft.containerregistry/2023-07-01",
    types: ["Microsoft.ContainerRegistry/registries"],
  },
  {
    folder: "generated/network/microsoft.network/2025-09-01",
    types: [
      "Microsoft.Network/privateEndpoints",
      "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
      "Microsoft.Network/virtualNetworks",
    ],
  },
  {
    folder: "generated/privatedns/microsoft.network/2024-06-01",
    types: ["Microsoft.Network/privateDnsZones", "Microsoft.Network/privateDnsZones/virtualNetworkLinks"],
  },
];

// Node shapes of the extract: 1 a value kept as it is (a scalar, or a property of type any); { o: { name: node },
// x?: node } an object (x: the node of every other key, for maps); { a: node } an array; { d: "type",
// o: { base properties }, e: { value: node } } an object whose properties depend on its discriminator.
const SPEC = "Azure/azure-rest-api-specs";
const strings = { a: 1 };
const TRANSCRIBED = [
  {
    type: "Microsoft.Resources/subscriptions",
    apiVersion: "2022-12-01",
    source: {
      repository: SPEC,
      commit: "1311a1c78a628ebfe9d54eabb538587fcaaa3d90",
      path: "specification/resources/resource-manager/Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json",
      definition: "Subscription",
    },
    root: {
      o: {
        id: 1,
        subscriptionId: 1,
        displayName: 1,
        tenantId: 1,
        state: 1,
        subscriptionPolicies: { o: { locationPlacementId: 1, quotaId: 1, spendingLimit: 1 } },
        authorizationSource: 1,
        managedByTenants: { a: { o: { tenantId: 1 } } },
        tags: { o: {}, x: 1 },
      },
    },
  },
  {
    type: "Microsoft.Authorization/permissions",
    apiVersion: "2022-04-01",
    source: {
      repository: SPEC,
      commit: "007a51db374076edb902fd44eb8299eea6336335",
      path: "specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json",
      definition: "Permission",
    },
    root: { o: { actions: strings, notActions: strings, dataActions: strings, notDataActions: strings } },
  },
  {
    type: "Microsoft.Authorization/denyAssignments",
    apiVersion: "2022-04-01",
    source: {
      repository: SPEC,
      commit: "539aa2acff6b4011b859450ee4e5683b7d77fcec",
      path: "specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-DenyAssignmentCalls.json",
      definition: "DenyAssignment",
    },
    root: {
      o: {
        id: 1,
        name: 1,
        type: 1,
        properties: {
          o: {
            denyAssignmentName: 1,
            description: 1,
            permissions: {
              a: {
                o: {
                  actions: strings,
                  notActions: strings,
                  dataActions: strings,
                  notDataActions: strings,
                  condition: 1,
                  conditionVersion: 1,
                },
              },
            },
            scope: 1,
            doNotApplyToChildScopes: 1,
            principals: { a: { o: { id: 1, displayName: 1, type: 1, email: 1 } } },
            excludePrincipals: { a: { o: { id: 1, displayName: 1, type: 1, email: 1 } } },
            isSystemProtected: 1,
            condition: 1,
            conditionVersion: 1,
            createdOn: 1,
            updatedOn: 1,
            createdBy: 1,
            updatedBy: 1,
          },
        },
      },
    },
  },
];

// bicep-types property flags.
const WRITE_ONLY = 4;

function git(dir, ...args) {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
}

/**
 * The schema nodes reachable from the wanted resource types of one types.json, renumbered from 0, and each
 * type's root. Literal, string, number, boolean, union and any types become 1: the emulator checks which
 * properties exist, not their values (a tenant file may hold a wrong value on purpose, to test how it is read).
 */
function extract(types, wanted) {
  const nodes = [];
  const index = new Map();
  const target = (ref) => Number(String(ref.$ref).split("/").pop());
  function visit(i) {
    const t = types[i];
    if (t.$type === "ObjectType" || t.$type === "DiscriminatedObjectType" || t.$type === "ArrayType") {
      if (index.has(i)) return index.get(i);
      const at = nodes.length;
      index.set(i, at);
      nodes.push(null);
      nodes[at] = build(t);
      return at;
    }
    return undefined;
  }
  const ref = (r) => {
    const n = visit(target(r));
    return n === undefined ? 1 : { n };
  };
  // A node is stored once; a property points at it by index ({ n }), since the graph has cycles (a subnet's
  // network security group lists its subnets).
  function props(properties, root) {
    const o = {};
    for (const [name, p] of Object.entries(properties ?? {})) {
      if (p.flags & WRITE_ONLY) continue;
      if (root && name === "apiVersion") continue; // Bicep's own; ARM never returns it.
      o[name] = ref(p.type);
    }
    return o;
  }
  function build(t, root = false) {
    if (t.$type === "ArrayType") return { a: ref(t.itemType) };
    if (t.$type === "ObjectType") {
      const node = { o: props(t.properties, root) };
      if (t.additionalProperties) node.x = ref(t.additionalProperties);
      return node;
    }
    const e = {};
    for (const [value, element] of Object.entries(t.elements)) e[value] = ref(element);
    return { d: t.discriminator, o: props(t.baseProperties, root), e };
  }
  const roots = {};
  for (const name of wanted) {
    const resource = types.find(
      (t) => t.$type === "ResourceType" && t.name.split("@")[0].toLowerCase() === name.toLowerCase(),
    );
    if (!resource) throw new Error(`no resource type ${name} in this file`);
    const body = types[target(resource.body)];
    const at = nodes.length;
    nodes.push(null);
    index.set(`root:${name}`, at);
    nodes[at] = build(body, true);
    roots[name] = at;
  }
  return { nodes, roots };
}

function build(dir, rev, wanted = WANTED, transcribed = TRANSCRIBED) {
  const head = git(dir, "rev-parse", rev).trim();
  const sources = [];
  const schemas = {};
  for (const { folder, types } of wanted) {
    const file = `${folder}/types.json`;
    const [commit, subject] = git(dir, "log", "-1", "--format=%H%n%s", head, "--", file).trim().split("\n");
    if (!commit) throw new Error(`${file} is not in ${dir} at ${head}`);
    const generatedFrom = subject.match(/azure-rest-api-specs\/tree\/([0-9a-f]{7,40})/)?.[1];
    const { nodes, roots } = extract(JSON.parse(git(dir, "show", `${head}:${file}`)), types);
    const apiVersion = folder.split("/").pop();
    const id = sources.length;
    sources.push({
      repository: "Azure/bicep-types-az",
      commit,
      path: file,
      ...(generatedFrom ? { generatedFrom: `${SPEC}@${generatedFrom}` } : {}),
      nodes,
    });
    for (const [type, root] of Object.entries(roots)) schemas[`${type}@${apiVersion}`] = { source: id, root };
  }
  for (const t of transcribed) {
    const id = sources.length;
    sources.push({ ...t.source, transcribed: true, nodes: [t.root] });
    schemas[`${t.type}@${t.apiVersion}`] = { source: id, root: 0 };
  }
  return {
    generatedBy: "scripts/rest-specs.js",
    bicepTypes: { repository: "Azure/bicep-types-az", commit: head },
    schemas,
    sources,
  };
}

/** The extract with a line per schema and per node, so that a change of the specs reads as a small diff. */
function serialize(extract) {
  const line = (value) => JSON.stringify(value);
  const schemas = Object.entries(extract.schemas).map(([key, value]) => `    ${line(key)}: ${line(value)}`);
  const sources = extract.sources.map(({ nodes, ...origin }) => {
    const head = line(origin).slice(0, -1);
    return `    ${head},\n      "nodes": [\n${nodes.map((n) => `        ${line(n)}`).join(",\n")}\n      ]\n    }`;
  });
  return [
    "{",
    `  "generatedBy": ${line(extract.generatedBy)},`,
    `  "bicepTypes": ${line(extract.bicepTypes)},`,
    `  "schemas": {\n${schemas.join(",\n")}\n  },`,
    `  "sources": [\n${sources.join(",\n")}\n  ]`,
    "}",
    "",
  ].join("\n");
}

function main() {
  const { values } = parseArgs({
    options: { "bicep-types": { type: "string" }, rev: { type: "string" }, check: { type: "boolean" } },
  });
  const dir = values["bicep-types"];
  if (!dir) {
    process.stderr.write(
      "usage: node scripts/rest-specs.js --bicep-types <clone of Azure/bicep-types-az> [--rev REV] [--check]\n",
    );
    process.exit(2);
  }
  const text = serialize(build(dir, values.rev ?? "HEAD"));
  if (values.check) {
    const same = readFileSync(OUTPUT, "utf8") === text;
    process.stdout.write(
      same ? "rest-specs.json is up to date\n" : "rest-specs.json differs from the specs\n",
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUTPUT, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUTPUT)} (${text.length} bytes)\n`);
}

if (require.main === module) main();

module.exports = { build, extract, serialize };
