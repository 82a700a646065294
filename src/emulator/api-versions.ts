/**
 * What each api-version defines, from the REST specification extract `rest-specs.json` (written by
 * `scripts/rest-specs.js`, which names the file and commit each schema came from). A resource provider answers
 * with the properties of the api-version asked for: the emulator serves a tenant file's resources through the
 * schema of the request's version, leaving out what that version does not define, and refuses a version it has
 * no schema for, as ARM does.
 */
import extract from "./rest-specs.json";
import { ArmError } from "./types.js";

/**
 * A schema node: 1 keeps a value as it is (scalars, and properties of type any); `n` points at a shared node
 * (the graph has cycles); `o` an object's properties and `x` the node of every other key (a map); `a` an
 * array's items; `d` the discriminator whose value `e` maps to the properties added to `o`.
 */
export type SchemaNode = 1 | { n: number } | { a: SchemaNode } | ObjectNode;
interface ObjectNode {
  o: Record<string, SchemaNode>;
  x?: SchemaNode;
  d?: string;
  e?: Record<string, SchemaNode>;
}
type Resolved = 1 | { a: SchemaNode } | ObjectNode;

interface SchemaSource {
  repository: string;
  commit: string;
  path: string;
  generatedFrom?: string;
  transcribed?: boolean;
  nodes: SchemaNode[];
}

interface Extract {
  schemas: Record<string, { source: number; root: number }>;
  sources: SchemaSource[];
}

const EXTRACT = extract as unknown as Extract;

export interface ResourceSchema {
  type: string;
  apiVersion: string;
  source: Omit<SchemaSource, "nodes">;
  nodes: readonly SchemaNode[];
  root: SchemaNode;
}

const byKey = new Map<string, ResourceSchema>();
const versionsByType = new Map<string, string[]>();
for (const [key, { source, root }] of Object.entries(EXTRACT.schemas)) {
  const at = key.lastIndexOf("@");
  const type = key.slice(0, at);
  const apiVersion = key.slice(at + 1);
  const { nodes, ...origin } = EXTRACT.sources[source] as SchemaSource;
  byKey.set(key.toLowerCase(), { type, apiVersion, source: origin, nodes, root: nodes[root] as SchemaNode });
  versionsByType.set(type.toLowerCase(), [...(versionsByType.get(type.toLowerCase()) ?? []), apiVersion]);
}

/** The api-versions the extract has a schema for, of a type (empty when it has none). */
export function apiVersionsOf(type: string): readonly string[] {
  return versionsByType.get(type.toLowerCase()) ?? [];
}

export function schemaOf(type: string, apiVersion: string): ResourceSchema | undefined {
  return byKey.get(`${type}@${apiVersion}`.toLowerCase());
}

/** Every schema of the extract. */
export function allSchemas(): ResourceSchema[] {
  return [...byKey.values()];
}

/** The newest stable api-version of a type the extract has (what Resource Graph's rows are taken to carry). */
export function newestStable(type: string): string | undefined {
  return apiVersionsOf(type)
    .filter((v) => !v.includes("preview"))
    .sort()
    .at(-1);
}

/**
 * The schema of a type at the request's api-version, or ARM's refusal: `NoRegisteredProviderFound` names the
 * versions it does serve.
 */
export function requireSchema(type: string, apiVersion: string): ResourceSchema {
  const schema = schemaOf(type, apiVersion);
  if (schema) return schema;
  const supported = apiVersionsOf(type);
  throw new ArmError(
    400,
    "NoRegisteredProviderFound",
    `No registered resource provider found for API version '${apiVersion}' and type '${type}'. ` +
      (supported.length > 0
        ? `The supported api-versions are '${supported.join(", ")}'.`
        : "The emulator has no schema of this type at any api-version (src/emulator/rest-specs.json)."),
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The object node a discriminated node stands for, given the value: its base properties and its element's. */
function properties(
  nodes: readonly SchemaNode[],
  node: ObjectNode,
  value: Record<string, unknown>,
): Record<string, SchemaNode> {
  if (!node.d || !node.e) return node.o;
  const tag = value[node.d];
  const matches = Object.entries(node.e).filter(
    ([name]) => typeof tag === "string" && name.toLowerCase() === tag.toLowerCase(),
  );
  // A value the version does not name keeps what any of its kinds define.
  const elements = (matches.length > 0 ? matches : Object.entries(node.e)).map(([, e]) => resolve(nodes, e));
  const merged: Record<string, SchemaNode> = { ...node.o };
  for (const element of elements) {
    if (typeof element !== "object" || !("o" in element)) continue;
    // Kinds that define a name differently: the value is kept as it is.
    for (const [key, child] of Object.entries(element.o))
      merged[key] = Object.hasOwn(merged, key) && merged[key] !== child ? 1 : child;
  }
  return merged;
}

function resolve(nodes: readonly SchemaNode[], node: SchemaNode): Resolved {
  let current = node;
  while (typeof current === "object" && "n" in current) current = nodes[current.n] as SchemaNode;
  return current;
}

/**
 * `value` as the schema's version serves it: properties it does not define are left out, recursively. A value of
 * another shape than the schema says (an array where it has an object) is kept as it is: the tenant file may hold
 * one on purpose, to test how the auditor reads it.
 */
export function shape(schema: ResourceSchema, value: unknown): unknown {
  return shapeNode(schema.nodes, schema.root, value);
}

function shapeNode(nodes: readonly SchemaNode[], node: SchemaNode, value: unknown): unknown {
  const at = resolve(nodes, node);
  if (at === 1) return value;
  if ("a" in at) return Array.isArray(value) ? value.map((item) => shapeNode(nodes, at.a, item)) : value;
  if (!isObject(value)) return value;
  const defined = properties(nodes, at, value);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const child = Object.hasOwn(defined, key) ? defined[key] : at.x;
    if (child !== undefined) result[key] = shapeNode(nodes, child, item);
  }
  return result;
}

/**
 * Whether a property path (`properties.networkAcls.ipRules[].value`, a map's keys by any name) is defined: every
 * step in the schema, through any of a discriminated object's kinds. For the test that holds the rules to what the
 * api-versions they are read at define.
 */
export function definesPath(schema: ResourceSchema, path: readonly string[]): boolean {
  const walk = (node: SchemaNode, at: number): boolean => {
    if (at === path.length) return true;
    const resolved = resolve(schema.nodes, node);
    if (resolved === 1) return true;
    const step = path[at] as string;
    if ("a" in resolved) return step === "[]" && walk(resolved.a, at + 1);
    const own = Object.hasOwn(resolved.o, step) ? resolved.o[step] : undefined;
    if (own !== undefined) return walk(own, at + 1);
    for (const element of Object.values(resolved.e ?? {})) {
      const kind = resolve(schema.nodes, element);
      if (typeof kind === "object" && "o" in kind && Object.hasOwn(kind.o, step))
        if (walk(kind.o[step] as SchemaNode, at + 1)) return true;
    }
    return resolved.x !== undefined && walk(resolved.x, at + 1);
  };
  return walk(schema.root, 0);
}
