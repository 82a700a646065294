/**
 * The JSON types of the properties the rules read, per audited type, as the REST specifications give them. A
 * resource whose property has another type (`isolationMode: 1`, `outboundRules: []`, an IP rule that is a bare
 * string) would otherwise be read as if it were missing, and judged by the default: a number where a mode is
 * expected is not "Disabled", it is unknown. Such a resource is recorded as not read whole (AUDIT001 naming the
 * property), so that no rule judges it by a default. `null` is what ARM sends for a property not set: it is
 * taken as missing.
 */
import { TYPES, sameId } from "../model/arm-ids.js";
import type { ArmResource, ScopeFailure } from "../model/snapshot.js";

type JsonType = "string" | "boolean" | "object" | "array";

/**
 * Paths under the resource: `.` between keys, `*` any key of a map, `[]` every item of an array. A workspace's
 * `networkAcls` is read apart, at another api-version, and checked there (selected-ips.ts).
 */
const SHAPES: Record<string, Record<string, JsonType>> = {
  [TYPES.workspace]: {
    properties: "object",
    "properties.publicNetworkAccess": "string",
    "properties.hubResourceId": "string",
    "properties.storageAccount": "string",
    "properties.containerRegistry": "string",
    "properties.privateEndpointConnections": "array",
    "properties.privateEndpointConnections[]": "object",
    "properties.managedNetwork": "object",
    "properties.managedNetwork.isolationMode": "string",
    "properties.managedNetwork.status": "object",
    "properties.managedNetwork.outboundRules": "object",
    "properties.managedNetwork.outboundRules.*": "object",
    "properties.managedNetwork.outboundRules.*.type": "string",
    "properties.managedNetwork.outboundRules.*.category": "string",
    "properties.managedNetwork.outboundRules.*.status": "string",
  },
  [TYPES.onlineEndpoint]: {
    properties: "object",
    "properties.publicNetworkAccess": "string",
  },
  [TYPES.onlineDeployment]: {
    properties: "object",
    "properties.egressPublicNetworkAccess": "string",
    "properties.endpointComputeType": "string",
    "properties.environmentId": "string",
  },
  [TYPES.foundryAccount]: {
    properties: "object",
    "properties.publicNetworkAccess": "string",
    "properties.privateEndpointConnections": "array",
    "properties.privateEndpointConnections[]": "object",
    "properties.networkAcls": "object",
    "properties.networkAcls.defaultAction": "string",
    "properties.networkAcls.ipRules": "array",
    "properties.networkAcls.ipRules[]": "object",
    "properties.networkAcls.ipRules[].value": "string",
    "properties.networkAcls.virtualNetworkRules": "array",
    "properties.networkAcls.virtualNetworkRules[]": "object",
    "properties.networkAcls.virtualNetworkRules[].id": "string",
    "properties.networkInjections": "array",
    "properties.networkInjections[]": "object",
    "properties.networkInjections[].scenario": "string",
    "properties.networkInjections[].subnetArmId": "string",
    "properties.networkInjections[].useMicrosoftManagedNetwork": "boolean",
  },
  [TYPES.foundryManagedNetwork]: {
    properties: "object",
    "properties.managedNetwork": "object",
    "properties.managedNetwork.isolationMode": "string",
    "properties.managedNetwork.outboundRules": "object",
    "properties.managedNetwork.outboundRules.*": "object",
    "properties.managedNetwork.outboundRules.*.type": "string",
    "properties.managedNetwork.outboundRules.*.category": "string",
    "properties.managedNetwork.outboundRules.*.status": "string",
  },
};

/** What the operation of a shape failure starts with: a re-read of the resource replaces them. */
export const SHAPE_OPERATION = "read the property";

const article = (type: string) => `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** The selected IP ranges of a workspace, as read at the version that defines them. */
export const SELECTED_IPS_SHAPE: Record<string, JsonType> = {
  networkAcls: "object",
  "networkAcls.defaultAction": "string",
  "networkAcls.ipRules": "array",
  "networkAcls.ipRules[]": "object",
  "networkAcls.ipRules[].value": "string",
};

/** One step of a shape path: a key (`*`: every key of a map), and whether its value is an array to go into. */
interface Step {
  key: string;
  each: boolean;
}

interface ShapePath {
  steps: Step[];
  expected: JsonType;
}

/**
 * Each shape's paths split once: every resource read is checked against its type's shape, and a check makes no
 * garbage unless it finds something (the concrete path is written only then).
 */
const compiled = new Map<Record<string, JsonType>, ShapePath[]>();

function compile(shape: Record<string, JsonType>): ShapePath[] {
  let paths = compiled.get(shape);
  if (!paths) {
    paths = Object.entries(shape).map(([path, expected]) => ({
      steps: path.split(".").map((raw) => {
        const each = raw.endsWith("[]");
        return { key: each ? raw.slice(0, -2) : raw, each };
      }),
      expected,
    }));
    compiled.set(shape, paths);
  }
  return paths;
}

const SHAPE_BY_TYPE = new Map(Object.entries(SHAPES).map(([type, shape]) => [type.toLowerCase(), shape]));

/**
 * The first property of `resource` whose JSON type is not the one the API gives, with where it is (an item's
 * index, a map's key) and what it is, or undefined.
 */
export function wrongType(
  resource: ArmResource,
): { path: string; found: string; expected: JsonType } | undefined {
  const shape = SHAPE_BY_TYPE.get(resource.type.toLowerCase());
  return shape ? wrongIn(resource, shape) : undefined;
}

/** The first value of `root` at a path of `shape` whose JSON type is not the one given. */
export function wrongIn(
  root: unknown,
  shape: Record<string, JsonType>,
): { path: string; found: string; expected: JsonType } | undefined {
  for (const { steps, expected } of compile(shape)) {
    const at: (string | number)[] = [];
    const found = firstWrong(root, steps, 0, expected, at);
    if (found !== undefined) return { path: pathOf(at), found, expected };
  }
  return undefined;
}

/**
 * The type of the first value at `steps[i..]` under `value` that is not `expected` (null and absent values pass),
 * with `at` left holding where it is: keys, and the indexes of array items.
 */
function firstWrong(
  value: unknown,
  steps: readonly Step[],
  i: number,
  expected: JsonType,
  at: (string | number)[],
): string | undefined {
  if (i === steps.length) {
    if (value === undefined || value === null) return undefined;
    const found = typeOf(value);
    return found === expected ? undefined : found;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const step = steps[i] as Step;
  if (step.key !== "*") return underKey(record, step.key, step.each, steps, i, expected, at);
  for (const name of Object.keys(record)) {
    const found = underKey(record, name, step.each, steps, i, expected, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `firstWrong` under one key of `record` (each item of its array when `each`). */
function underKey(
  record: Record<string, unknown>,
  name: string,
  each: boolean,
  steps: readonly Step[],
  i: number,
  expected: JsonType,
  at: (string | number)[],
): string | undefined {
  const child = record[name];
  at.push(name);
  if (!each) {
    const found = firstWrong(child, steps, i + 1, expected, at);
    if (found !== undefined) return found;
  } else if (Array.isArray(child)) {
    for (let index = 0; index < child.length; index++) {
      at.push(index);
      const found = firstWrong(child[index], steps, i + 1, expected, at);
      if (found !== undefined) return found;
      at.pop();
    }
  }
  at.pop();
  return undefined;
}

/** `properties.networkAcls.ipRules[0].value` from its keys and indexes. */
function pathOf(at: readonly (string | number)[]): string {
  return at.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}

/**
 * A Cognitive Services account's `kind` says whether it is audited at all (AIServices, OpenAI) and what it
 * exposes: ARM always sends it (it is given at creation), so an account without one (or with one that is no
 * string) is unknown, never quietly left out as another kind would be.
 */
const KIND_REQUIRED = [TYPES.foundryAccount];

/**
 * The failure a resource with a property of the wrong type, or without the `kind` its type needs, is recorded
 * with (AUDIT001 on it, naming the property).
 */
export function shapeFailure(resource: ArmResource): ScopeFailure | undefined {
  if (resource.kind === undefined && KIND_REQUIRED.some((t) => sameId(t, resource.type)))
    return {
      scope: resource.id,
      scopeType: "resource",
      operation: `${SHAPE_OPERATION} kind`,
      code: "UnexpectedType",
      message:
        "the account has no kind (a string the API always gives): whether it is a Foundry or Azure OpenAI account, and what it exposes, is unknown",
    };
  const wrong = wrongType(resource);
  return wrong ? describeWrong(resource.id, wrong) : undefined;
}

/** A value of the wrong type, as the failure of the resource it is in. */
export function describeWrong(
  id: string,
  wrong: { path: string; found: string; expected: JsonType },
): ScopeFailure {
  return {
    scope: id,
    scopeType: "resource",
    operation: `${SHAPE_OPERATION} ${wrong.path}`,
    code: "UnexpectedType",
    message: `${wrong.path} is ${article(wrong.found)} where the API gives ${article(wrong.expected)}: its value is unknown, not a default`,
  };
}
