/**
 * The tenant file (DESIGN §4): ARM resources as ARM returns them, the subscriptions they live in, and
 * the faults the emulator should inject. Validated before anything starts, with messages that name
 * the offending field.
 */
import { z } from "zod";
import { parentId, parseResourceId, sameId } from "../model/arm-ids.js";
import { shown } from "../common/text.js";
import { readJsonFile } from "../common/json-file.js";
import { formatIssues } from "../common/validation.js";
import type { ArmResource, SubscriptionInfo } from "../model/snapshot.js";

export const FAULT_STATUSES = [400, 401, 403, 404, 429, 500, 503] as const;

export interface Fault {
  /** Every request whose path starts with this (case-insensitive, at a segment boundary) is affected. */
  path: string;
  status?: (typeof FAULT_STATUSES)[number];
  /** Fail only the first N matching requests. */
  count?: number;
  latencyMs?: number;
  /** For 429 and 503: the Retry-After the emulator sends (default 1); `false`: none, as some proxies answer. */
  retryAfterSeconds?: number | false;
  /**
   * Only requests at this api-version: with 400, a version the service has retired (a preview), while the
   * others go on being served.
   */
  apiVersion?: string;
}

/** Where the auditing identity holds which actions (a role assignment's effective permissions). */
export interface AccessGrant {
  scope: string;
  actions: string[];
  notActions?: string[];
}

/** A deny assignment: the actions it denies at `scope` and below, whatever the roles grant. */
export interface DenyAssignment {
  name?: string;
  scope: string;
  actions: string[];
  notActions?: string[];
}

export interface TenantFile {
  tenantId: string;
  subscriptions: SubscriptionInfo[];
  resources: ArmResource[];
  faults: Fault[];
  /** Default: Reader (every read action) on every subscription. */
  access?: AccessGrant[];
  denyAssignments?: DenyAssignment[];
  /** Resource ids ARM serves that Resource Graph has not indexed yet (just created). */
  argLag?: string[];
  /** Resources Resource Graph still returns that ARM no longer has (just deleted). */
  argStale?: ArmResource[];
  /** Property paths Resource Graph rows leave out, e.g. `properties.managedNetwork`. */
  argOmits?: string[];
}

const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a GUID");

const resourceSchema = z.looseObject({
  id: z
    .string({ error: "is required (the resource's ARM id)" })
    .min(1, "is required (the resource's ARM id)"),
  name: z.string({ error: "is required" }),
  type: z.string({ error: "is required" }),
  location: z.string().optional(),
  kind: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  sku: z.looseObject({ name: z.string().optional(), tier: z.string().optional() }).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const tenantSchema = z.strictObject({
  tenantId: guid.optional(),
  subscriptions: z
    .array(
      z.strictObject({
        subscriptionId: guid,
        displayName: z.string().min(1, "is required"),
        state: z.string().optional(),
        managementGroups: z.array(z.string().min(1)).optional(),
      }),
    )
    .min(1, "must list at least one subscription"),
  resources: z.array(resourceSchema).default([]),
  faults: z
    .array(
      z
        .strictObject({
          path: z.string().startsWith("/", "must be a request path starting with /"),
          status: z
            .number({ error: `must be one of ${FAULT_STATUSES.join(", ")}` })
            .refine(
              (v): v is (typeof FAULT_STATUSES)[number] => (FAULT_STATUSES as readonly number[]).includes(v),
              `must be one of ${FAULT_STATUSES.join(", ")}`,
            )
            .optional(),
          count: z.number().int().positive().optional(),
          latencyMs: z.number().int().nonnegative().optional(),
          retryAfterSeconds: z.union([z.number().int().nonnegative(), z.literal(false)]).optional(),
          apiVersion: z.string().min(1).optional(),
        })
        .refine(
          (f) => f.status !== undefined || f.latencyMs !== undefined,
          "needs a status, a latencyMs, or both",
        ),
    )
    .default([]),
  access: z
    .array(
      z.strictObject({
        scope: z.string().startsWith("/", "must be a scope such as /subscriptions/<id>"),
        actions: z.array(z.string().min(1)).min(1, "must list at least one action"),
        notActions: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
  denyAssignments: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        scope: z.string().startsWith("/", "must be a scope such as /subscriptions/<id>"),
        actions: z.array(z.string().min(1)).min(1, "must list at least one action"),
        notActions: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
  argLag: z.array(z.string().startsWith("/", "must be a resource id")).optional(),
  argStale: z.array(resourceSchema).optional(),
  argOmits: z
    .array(
      z
        .string()
        .regex(/^properties(\.[A-Za-z0-9_]+)+$/, "must be a property path such as properties.managedNetwork"),
    )
    .optional(),
});

export class TenantFileError extends Error {
  override name = "TenantFileError";
}

/**
 * Why an id would not reach ARM as written, if it would not: ARM ids travel as URL paths, where `.` and `..`
 * segments are resolved away, `?` and `#` end the path, `%` decodes, `\\` is a separator, and an empty segment
 * or a space or control character is not a name.
 */
function pathProblem(id: string): string | undefined {
  const segments = id.split("/").slice(1);
  if (segments.some((s) => s === "." || s === ".."))
    return "has a . or .. segment, which a URL path resolves away";
  if (segments.some((s) => s === "")) return "has an empty segment (//, or a trailing /)";
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[?#%\\\s\u0000-\u001f\u007f]/.test(id))
    return "holds a character that does not survive a URL path (? # % \\ a space or a control character)";
  return undefined;
}

/** Checks what a schema cannot: ids that parse, types and names that match them, parents that exist. */
function checkResources(tenant: z.infer<typeof tenantSchema>): string[] {
  const problems: string[] = [];
  const subscriptions = new Set<string>();
  tenant.subscriptions.forEach((s, i) => {
    const id = s.subscriptionId.toLowerCase();
    if (subscriptions.has(id))
      problems.push(`subscriptions[${i}].subscriptionId: ${shown(s.subscriptionId)} is listed twice`);
    subscriptions.add(id);
  });
  const ids = new Set<string>();
  tenant.resources.forEach((r, i) => {
    const at = `resources[${i}]`;
    const unsafe = pathProblem(r.id);
    if (unsafe) {
      problems.push(`${at}.id: "${shown(r.id)}" ${unsafe}`);
      return;
    }
    const parsed = parseResourceId(r.id);
    if (!parsed?.type) {
      problems.push(
        `${at}.id: "${shown(r.id, 300)}" is not an ARM resource id (/subscriptions/{id}/resourceGroups/{rg}/providers/{namespace}/{type}/{name})`,
      );
      return;
    }
    if (!sameId(parsed.type, r.type))
      problems.push(
        `${at}.type: "${shown(r.type)}" does not match its id, which names a ${shown(parsed.type)}`,
      );
    if (!sameId(parsed.names.at(-1), r.name))
      problems.push(`${at}.name: "${shown(r.name)}" does not match the last segment of its id`);
    if (!subscriptions.has(parsed.subscriptionId.toLowerCase())) {
      problems.push(
        `${at}.id: subscription ${shown(parsed.subscriptionId)} is not listed in "subscriptions"`,
      );
    }
    if (ids.has(r.id.toLowerCase())) problems.push(`${at}.id: "${shown(r.id, 300)}" appears twice`);
    ids.add(r.id.toLowerCase());
  });
  tenant.resources.forEach((r, i) => {
    const parent = parentId(r.id);
    if (parent && parseResourceId(r.id)?.type && !ids.has(parent.toLowerCase())) {
      problems.push(`resources[${i}].id: its parent ${shown(parent, 300)} is not in the file`);
    }
  });
  return problems;
}

/** How deep a tenant file may nest: ARM resources are a few levels deep; the emulator's JSON must stay serializable. */
export const MAX_DEPTH = 64;

/** The path of the first value nested deeper than MAX_DEPTH, walked without recursion. */
function tooDeep(json: unknown): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: json, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_DEPTH) return path;
    for (const [key, child] of Object.entries(value)) {
      const next = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      stack.push({ value: child, path: next, depth: depth + 1 });
    }
  }
  return undefined;
}

export function parseTenant(json: unknown, source = "tenant file"): TenantFile {
  const deep = tooDeep(json);
  if (deep !== undefined) {
    const shown = deep.length > 120 ? `${deep.slice(0, 120)}…` : deep;
    throw new TenantFileError(`${source} is invalid: ${shown}: nested deeper than ${MAX_DEPTH} levels`);
  }
  const result = tenantSchema.safeParse(json);
  if (!result.success) throw new TenantFileError(`${source} is invalid: ${formatIssues(result.error)}`);
  const problems = checkResources(result.data);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join("; ");
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : "";
    throw new TenantFileError(`${source} is invalid: ${shown}${more}`);
  }
  const data = result.data;
  return {
    tenantId: data.tenantId ?? "00000000-0000-0000-0000-000000000000",
    subscriptions: data.subscriptions,
    resources: data.resources,
    faults: data.faults,
    ...(data.access ? { access: data.access } : {}),
    ...(data.denyAssignments ? { denyAssignments: data.denyAssignments } : {}),
    ...(data.argLag ? { argLag: data.argLag } : {}),
    ...(data.argStale ? { argStale: data.argStale } : {}),
    ...(data.argOmits ? { argOmits: data.argOmits } : {}),
  };
}

export async function loadTenantFile(path: string): Promise<TenantFile> {
  const json = await readJsonFile(path, "tenant file", (message) => new TenantFileError(message));
  return parseTenant(json, `tenant file ${path}`);
}
