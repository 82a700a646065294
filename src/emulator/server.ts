/**
 * A local Azure Resource Manager that serves a tenant file over HTTPS, for the CLI's `--tenant`, the
 * demo, the tests and the benchmark. It behaves like ARM where the audit depends on it: bearer tokens,
 * api-version, nextLink paging, a read token bucket per subscription and principal (429 + Retry-After),
 * Resource Graph with $skipToken paging and a per-principal quota, and injected faults.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { TYPES, isWithin, parentId, parseResourceId, sameId } from "../arm-ids.js";
import type { ArmResource } from "../snapshot.js";
import { QueryError, parseQuery, runQuery, type Row } from "./arg-query.js";
import { generateCertificate } from "./certificate.js";
import { covers, readOperationFor } from "../rbac.js";
import type { AccessGrant, Fault, TenantFile } from "./tenant-file.js";

export interface ThrottleOptions {
  /** Bucket size (ARM: 250 reads). */
  burst: number;
  /** Tokens added per second (ARM: 25). */
  refillPerSecond: number;
}

export interface EmulatorOptions {
  /** Items per page of ARM list responses (default 100). */
  pageSize?: number;
  /** Rows per Resource Graph page (default and maximum 1000). */
  argPageSize?: number;
  /** ARM's read throttling; `false` turns it off. Default: 250 burst, 25/s. */
  throttle?: ThrottleOptions | false;
  /** Resource Graph quota per principal; `false` turns it off. Default: 15 queries per 5 s. */
  argQuota?: { queries: number; windowSeconds: number } | false;
  /** Added to every ARM response (a network round trip and ARM's own time). */
  latencyMs?: number;
  /** Added to every Resource Graph response instead (its queries take longer than ARM's reads). */
  argLatencyMs?: number;
}

export type RequestKind =
  | "subscriptions"
  | "list workspaces"
  | "list onlineEndpoints"
  | "list deployments"
  | "list privateEndpointConnections"
  | "list outboundRules"
  | "list other"
  | "get workspace"
  | "get storageAccount"
  | "get registry"
  | "get privateEndpoint"
  | "get other"
  | "get permissions"
  | "list denyAssignments"
  | "resourceGraph";

export interface EmulatorStats {
  total: number;
  byKind: Partial<Record<RequestKind, number>>;
  /** 429s sent by the throttle or the Resource Graph quota. */
  throttled: number;
  /** Responses replaced by an injected fault. */
  faulted: number;
  unauthorized: number;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to give the SDK clients. */
  url: string;
  /** The emulator's certificate (PEM): trust it explicitly, e.g. `tlsOptions: { ca }`. */
  ca: string;
  stats(): EmulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

const ML_API_VERSION_HINT = "2025-12-01";

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface FaultState extends Fault {
  /** Responses this fault has replaced. */
  hits: number;
  /** Requests this fault has delayed. */
  delayed: number;
}

class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly options: ThrottleOptions) {
    this.tokens = options.burst;
    this.last = performance.now();
  }
  /** Takes a token, or returns the seconds until one is there. */
  take(): { ok: true; remaining: number } | { ok: false; retryAfter: number } {
    const now = performance.now();
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.last) / 1000) * this.options.refillPerSecond,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return {
      ok: false,
      retryAfter: Math.max(1, Math.ceil((1 - this.tokens) / this.options.refillPerSecond)),
    };
  }
}

/** Lists and lookups over the tenant's resources, by lower-cased id. */
class TenantIndex {
  readonly byId = new Map<string, ArmResource>();
  readonly children = new Map<string, ArmResource[]>();
  /** Top-level resources by subscription and type (lower-cased `sub|namespace/type`): a list costs its page. */
  readonly bySubscriptionType = new Map<string, ArmResource[]>();
  readonly argRows: Row[];
  /** Resource Graph's rows by subscription (lower-cased): a query reads the rows of its scope only. */
  readonly argRowsBySubscription = new Map<string, Row[]>();

  constructor(readonly tenant: TenantFile) {
    for (const r of tenant.resources) {
      this.byId.set(r.id.toLowerCase(), r);
      const sub = parseResourceId(r.id)?.subscriptionId;
      if (sub) {
        const key = `${sub}|${r.type}`.toLowerCase();
        const list = this.bySubscriptionType.get(key);
        if (list) list.push(r);
        else this.bySubscriptionType.set(key, [r]);
      }
      const parent = parentId(r.id);
      if (parent)
        this.children.set(parent.toLowerCase(), [...(this.children.get(parent.toLowerCase()) ?? []), r]);
    }
    // Resource Graph's view lags ARM's: what it has not indexed yet is missing, what ARM deleted is still
    // there, and some properties may be left out of its rows.
    const lagging = new Set((tenant.argLag ?? []).map((id) => id.toLowerCase()));
    this.argRows = [
      ...tenant.resources.filter((r) => !lagging.has(r.id.toLowerCase())),
      ...(tenant.argStale ?? []),
    ]
      .map((r) => this.argRow(r))
      .map((row) => omit(row, tenant.argOmits ?? []));
    for (const row of this.argRows) {
      const key = String(row.subscriptionId).toLowerCase();
      const list = this.argRowsBySubscription.get(key);
      if (list) list.push(row);
      else this.argRowsBySubscription.set(key, [row]);
    }
  }

  subscription(id: string) {
    return this.tenant.subscriptions.find((s) => sameId(s.subscriptionId, id));
  }

  subscriptionRow(s: TenantFile["subscriptions"][number]): Row {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      displayName: s.displayName,
      tenantId: this.tenant.tenantId,
      state: s.state ?? "Enabled",
    };
  }

  /** A Resource Graph row: ARM's resource with the columns ARG adds, and the type lower-cased as ARG does. */
  private argRow(r: ArmResource): Row {
    const parsed = parseResourceId(r.id);
    return {
      id: r.id,
      name: r.name,
      type: r.type.toLowerCase(),
      tenantId: this.tenant.tenantId,
      kind: r.kind ?? "",
      location: r.location ?? "",
      resourceGroup: parsed?.resourceGroup?.toLowerCase() ?? "",
      subscriptionId: parsed?.subscriptionId ?? "",
      managedBy: "",
      sku: r.sku ?? null,
      plan: null,
      properties: r.properties ?? {},
      tags: r.tags ?? {},
      identity: r.identity ?? null,
      zones: null,
      extendedLocation: null,
    };
  }

  containerRows(): Row[] {
    return this.tenant.subscriptions.map((s) => ({
      id: `/subscriptions/${s.subscriptionId}`,
      name: s.displayName,
      type: "microsoft.resources/subscriptions",
      tenantId: this.tenant.tenantId,
      subscriptionId: s.subscriptionId,
      resourceGroup: "",
      properties: {
        state: s.state ?? "Enabled",
        managementGroupAncestorsChain: (s.managementGroups ?? []).map((name) => ({
          name,
          displayName: name,
        })),
      },
    }));
  }
}

/** A copy of `row` without the given property paths (`properties.managedNetwork`). */
function omit(row: Row, paths: readonly string[]): Row {
  if (paths.length === 0) return row;
  const copy = structuredClone(row);
  for (const path of paths) {
    const keys = path.split(".");
    let target: unknown = copy;
    for (const key of keys.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[key];
    if (target && typeof target === "object")
      delete (target as Record<string, unknown>)[keys.at(-1) as string];
  }
  return copy;
}

const AUTHORIZATION_PATH =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Authorization\/(permissions|denyAssignments)$/i;

function kindOf(method: string, path: string): RequestKind {
  if (method === "POST") return "resourceGraph";
  const authorization = AUTHORIZATION_PATH.exec(path)?.[2]?.toLowerCase();
  if (authorization) return authorization === "permissions" ? "get permissions" : "list denyAssignments";
  const segments = path.split("/").filter(Boolean);
  if (segments.length <= 2) return "subscriptions";
  const last = segments.at(-1)?.toLowerCase();
  const parsed = parseResourceId(path);
  if (parsed?.type === undefined) {
    switch (last) {
      case "workspaces":
        return "list workspaces";
      case "onlineendpoints":
        return "list onlineEndpoints";
      case "deployments":
        return "list deployments";
      case "privateendpointconnections":
        return "list privateEndpointConnections";
      case "outboundrules":
        return "list outboundRules";
      default:
        return "list other";
    }
  }
  if (sameId(parsed?.type, TYPES.workspace)) return "get workspace";
  if (sameId(parsed?.type, TYPES.storageAccount)) return "get storageAccount";
  if (sameId(parsed?.type, TYPES.containerRegistry)) return "get registry";
  if (sameId(parsed?.type, TYPES.privateEndpoint)) return "get privateEndpoint";
  return "get other";
}

function pathWithin(path: string, scope: string): boolean {
  return isWithin(path.replace(/\/+$/, ""), scope);
}

export async function startEmulator(
  tenant: TenantFile,
  options: EmulatorOptions = {},
): Promise<RunningEmulator> {
  const pageSize = options.pageSize ?? 100;
  const argPageSize = Math.min(options.argPageSize ?? 1000, 1000);
  const throttle = options.throttle === undefined ? { burst: 250, refillPerSecond: 25 } : options.throttle;
  const argQuota = options.argQuota === undefined ? { queries: 15, windowSeconds: 5 } : options.argQuota;
  const index = new TenantIndex(tenant);
  const faults: FaultState[] = tenant.faults.map((f) => ({ ...f, hits: 0, delayed: 0 }));
  const buckets = new Map<string, TokenBucket>();
  const quotaWindows = new Map<string, { start: number; used: number }>();
  let stats: EmulatorStats = { total: 0, byKind: {}, throttled: 0, faulted: 0, unauthorized: 0 };
  let baseUrl = "";
  // Default: what a tenant-wide Reader holds.
  const grants: AccessGrant[] =
    tenant.access ??
    tenant.subscriptions.map((s) => ({ scope: `/subscriptions/${s.subscriptionId}`, actions: ["*/read"] }));
  // A lasting 403 below a subscription is what a deny assignment there looks like in Azure, and a lasting 404
  // a resource that is not there: the emulator serves both as such (in /denyAssignments, and absent from
  // lists and Resource Graph), so that every source sees one world.
  const lasting = (status: number) =>
    faults.filter(
      (f) => f.status === status && f.count === undefined && !/^\/subscriptions\/[^/]+\/?$/i.test(f.path),
    );
  const denies = [
    ...(tenant.denyAssignments ?? []),
    ...lasting(403).map((f, i) => ({
      name: `injected-fault-${i}`,
      scope: f.path,
      // Reads of the faulted resource's provider at and below it (a resource group's path: every read).
      actions: [
        /\/providers\//i.test(f.path) ? `${readOperationFor(f.path).split("/")[0]}/*/read` : "*/read",
      ],
      notActions: [] as string[],
    })),
  ];
  const absent = lasting(404).map((f) => f.path);
  const isAbsent = (id: string) => absent.some((p) => pathWithin(id, p));

  /** `path` is at or below `scope`: by prefix, or through a management group its subscription sits in. */
  function under(path: string, scope: string): boolean {
    if (isWithin(path, scope)) return true;
    const group = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(scope)?.[1];
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
    if (!group || !subscription) return false;
    return (index.subscription(subscription)?.managementGroups ?? []).some((g) => sameId(g, group));
  }

  // The tenant and its access do not change while the emulator runs: each path is judged once, so that a
  // request costs the same at any tenant size (Resource Graph filters every row on every query).
  const readable = new Map<string, boolean>();

  /** Whether the auditing identity may read `path`: a grant at or above it, and no deny assignment there. */
  function mayRead(path: string): boolean {
    const key = path.toLowerCase();
    let known = readable.get(key);
    if (known === undefined) {
      known = judgeRead(path);
      readable.set(key, known);
    }
    return known;
  }

  // Grants and denies by the subscription their scope lies in (one Reader grant per subscription is the
  // default), and those above any subscription: judging a path looks at its own subscription's only.
  const scopeSubscription = (scope: string) => /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase();
  const bySubscription = <T extends { scope: string }>(list: T[]) => {
    const within = new Map<string, T[]>();
    const above: T[] = [];
    for (const item of list) {
      const sub = scopeSubscription(item.scope);
      if (sub === undefined) above.push(item);
      else within.set(sub, [...(within.get(sub) ?? []), item]);
    }
    return (path: string): T[] => {
      const sub = scopeSubscription(path);
      return sub === undefined ? list : [...(within.get(sub) ?? []), ...above];
    };
  };
  const grantsFor = bySubscription(grants);
  const deniesFor = bySubscription(denies);

  function judgeRead(path: string): boolean {
    const operation = readOperationFor(path);
    return (
      grantsFor(path).some((g) => under(path, g.scope) && covers(g, operation)) &&
      !deniesFor(path).some((d) => under(path, d.scope) && covers(d, operation))
    );
  }

  /** ARM's subscription list shows every subscription where the identity holds any role, at any scope. */
  function visible(subscriptionId: string): boolean {
    const root = `/subscriptions/${subscriptionId}`;
    return grantsFor(root).some((g) => isWithin(g.scope, root) || under(root, g.scope));
  }

  function authorization(subscriptionId: string, what: string, filter: string | null): unknown {
    const root = `/subscriptions/${subscriptionId}`;
    if (what === "permissions") {
      // Permissions at a scope: the role assignments at that scope and above it.
      return {
        value: grants
          .filter((g) => under(root, g.scope))
          .map((g) => ({
            actions: g.actions,
            notActions: g.notActions ?? [],
            dataActions: [],
            notDataActions: [],
          })),
      };
    }
    // As ARM: the plain list holds the subscription's and those below it; `atScope()` those at it and above.
    const atScope = /atScope\(\)/i.test(filter ?? "");
    return {
      value: denies
        .filter((d) => (atScope ? under(root, d.scope) : isWithin(d.scope, root)))
        .map((d, i) => {
          const name = d.name ?? `deny-${i}`;
          return {
            id: `${d.scope.replace(/\/+$/, "")}/providers/Microsoft.Authorization/denyAssignments/${name}`,
            name,
            type: "Microsoft.Authorization/denyAssignments",
            properties: {
              denyAssignmentName: name,
              description: "",
              permissions: [
                { actions: d.actions, notActions: d.notActions ?? [], dataActions: [], notDataActions: [] },
              ],
              scope: d.scope,
              doNotApplyToChildScopes: false,
              principals: [{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }],
              excludePrincipals: [],
              isSystemProtected: true,
            },
          };
        }),
    };
  }

  function forbidden(path: string): ArmError {
    return new ArmError(
      403,
      "AuthorizationFailed",
      `The client does not have authorization to perform action '${readOperationFor(path)}' over scope '${path}' or the scope is invalid.`,
    );
  }

  function page<T>(items: T[], url: URL): { value: T[]; nextLink?: string } {
    const offset = Number(url.searchParams.get("$skipToken") ?? "0") || 0;
    const value = items.slice(offset, offset + pageSize);
    if (offset + pageSize >= items.length) return { value };
    const next = new URL(url.pathname + url.search, baseUrl);
    next.searchParams.set("$skipToken", String(offset + pageSize));
    return { value, nextLink: next.toString() };
  }

  function handleGet(path: string, url: URL): unknown {
    const segments = path.split("/").filter(Boolean);
    if (segments.length === 1 && segments[0]?.toLowerCase() === "subscriptions") {
      return page(
        index.tenant.subscriptions
          .filter((s) => visible(s.subscriptionId))
          .map((s) => index.subscriptionRow(s)),
        url,
      );
    }
    const authorizationPath = AUTHORIZATION_PATH.exec(path);
    if (authorizationPath && index.subscription(authorizationPath[1] as string))
      return authorization(
        authorizationPath[1] as string,
        (authorizationPath[2] as string).toLowerCase(),
        url.searchParams.get("$filter"),
      );
    if (segments[0]?.toLowerCase() !== "subscriptions" || !segments[1]) {
      throw new ArmError(404, "InvalidResourceType", `The emulator does not serve ${path}.`);
    }
    const subscription = index.subscription(segments[1]);
    if (!subscription)
      throw new ArmError(
        404,
        "SubscriptionNotFound",
        `The subscription '${segments[1]}' could not be found.`,
      );
    if (segments.length === 2) {
      if (!visible(subscription.subscriptionId)) throw forbidden(path);
      return index.subscriptionRow(subscription);
    }
    if (!mayRead(path)) throw forbidden(path);

    const resource = index.byId.get(path.toLowerCase());
    if (resource) return resource;

    const last = segments.at(-1) as string;
    const parent = segments.slice(0, -1).join("/");
    // `/subscriptions/{s}[/resourceGroups/{rg}]/providers/{ns}/{type}`: every top-level resource of that type.
    const providerList = path.match(
      /^\/subscriptions\/[^/]+(\/resourceGroups\/([^/]+))?\/providers\/([^/]+)\/([^/]+)$/i,
    );
    if (providerList) {
      const [, , group, namespace, type] = providerList;
      const wanted = `${namespace}/${type}`;
      const candidates =
        index.bySubscriptionType.get(`${subscription.subscriptionId}|${wanted}`.toLowerCase()) ?? [];
      const items = candidates.filter(
        (r) =>
          (group === undefined || sameId(parseResourceId(r.id)?.resourceGroup, group)) &&
          mayRead(r.id) &&
          !isAbsent(r.id),
      );
      return page(items, url);
    }
    const parentResource = index.byId.get(`/${parent}`.toLowerCase());
    if (parentResource) {
      if (sameId(last, "privateEndpointConnections")) {
        const connections = parentResource.properties?.privateEndpointConnections;
        return { value: Array.isArray(connections) ? connections : [] };
      }
      if (sameId(last, "outboundRules") && sameId(parentResource.type, TYPES.workspace)) {
        const network = parentResource.properties?.managedNetwork as
          { outboundRules?: Record<string, unknown> } | undefined;
        const rules = Object.entries(network?.outboundRules ?? {}).map(([name, properties]) => ({
          id: `${parentResource.id}/outboundRules/${name}`,
          name,
          type: TYPES.outboundRule,
          properties,
        }));
        return page(rules, url);
      }
      const children = (index.children.get(parentResource.id.toLowerCase()) ?? []).filter(
        (c) => sameId(c.type, `${parentResource.type}/${last}`) && mayRead(c.id) && !isAbsent(c.id),
      );
      return page(children, url);
    }
    const missingParent = parseResourceId(path)?.type === undefined;
    throw new ArmError(
      404,
      missingParent ? "ParentResourceNotFound" : "ResourceNotFound",
      missingParent
        ? `Can not perform requested operation on nested resource. Parent resource '/${parent}' not found.`
        : `The Resource '${path}' was not found.`,
    );
  }

  function takeArgQuota(principal: string): Record<string, string> {
    if (!argQuota) return {};
    const now = performance.now();
    const window = quotaWindows.get(principal);
    const current =
      window && now - window.start < argQuota.windowSeconds * 1000 ? window : { start: now, used: 0 };
    quotaWindows.set(principal, current);
    const resetsIn = Math.max(0, argQuota.windowSeconds * 1000 - (now - current.start));
    const resetsAfter = new Date(resetsIn).toISOString().slice(11, 19);
    if (current.used >= argQuota.queries) {
      stats.throttled += 1;
      throw new ArmError(
        429,
        "RateLimiting",
        "Please provide below info when asking for support: too many requests.",
        {
          "Retry-After": String(Math.max(1, Math.ceil(resetsIn / 1000))),
          "x-ms-user-quota-remaining": "0",
          "x-ms-user-quota-resets-after": resetsAfter,
        },
      );
    }
    current.used += 1;
    return {
      "x-ms-user-quota-remaining": String(argQuota.queries - current.used),
      "x-ms-user-quota-resets-after": resetsAfter,
    };
  }

  function handleResourceGraph(
    body: unknown,
    principal: string,
  ): { body: unknown; headers: Record<string, string> } {
    const request = body as {
      subscriptions?: string[];
      managementGroups?: string[];
      query?: string;
      options?: { $skipToken?: string; $top?: number };
    };
    if (typeof request?.query !== "string")
      throw new ArmError(400, "BadRequest", "The request has no query.");
    let scope = index.tenant.subscriptions;
    if (request.subscriptions?.length) {
      scope = request.subscriptions.map((id) => {
        const found = index.subscription(id);
        if (!found)
          throw new ArmError(
            403,
            "AuthorizationFailed",
            `The client does not have access to subscription '${id}'.`,
          );
        return found;
      });
    } else if (request.managementGroups?.length) {
      const groups = request.managementGroups.map((g) => g.toLowerCase());
      scope = scope.filter((s) => (s.managementGroups ?? []).some((g) => groups.includes(g.toLowerCase())));
    }
    // A fault on a subscription fails every query whose scope includes it, as a permission error would.
    for (const s of scope) applyFault(`/subscriptions/${s.subscriptionId}`, { resourceGraphOnly: true });
    const headers = takeArgQuota(principal);

    let parsed;
    try {
      parsed = parseQuery(request.query);
    } catch (error) {
      if (error instanceof QueryError) throw new ArmError(400, "BadRequest", error.message);
      throw error;
    }
    const inScope = new Set(scope.map((s) => s.subscriptionId.toLowerCase()));
    // Resource Graph answers with what the principal may read: a lasting 403/404 below a subscription
    // hides those resources from its rows instead of failing the query.
    const denied = faults.filter(
      (f) =>
        (f.status === 403 || f.status === 404) &&
        f.count === undefined &&
        !/^\/subscriptions\/[^/]+\/?$/i.test(f.path),
    );
    const rows =
      parsed.table === "resources"
        ? [...inScope].flatMap((sub) => index.argRowsBySubscription.get(sub) ?? [])
        : index.containerRows();
    const result = runQuery(
      parsed,
      rows.filter(
        (r) =>
          inScope.has(String(r.subscriptionId).toLowerCase()) &&
          !denied.some((f) => pathWithin(String(r.id), f.path)) &&
          mayRead(String(r.id)),
      ),
    );
    const skipToken = request.options?.$skipToken;
    const offset = skipToken ? Number(Buffer.from(skipToken, "base64").toString("utf8")) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new ArmError(400, "BadRequest", "Invalid $skipToken.");
    const top = Math.min(request.options?.$top ?? argPageSize, argPageSize);
    const data = result.slice(offset, offset + top);
    const more = offset + top < result.length;
    return {
      headers,
      body: {
        totalRecords: result.length,
        count: data.length,
        resultTruncated: "false",
        facets: [],
        data,
        ...(more ? { $skipToken: Buffer.from(String(offset + top)).toString("base64") } : {}),
      },
    };
  }

  /** Throws the first matching fault that still has hits left. */
  function applyFault(path: string, mode: { resourceGraphOnly?: boolean } = {}): void {
    for (const fault of faults) {
      if (fault.status === undefined) continue;
      const matches = mode.resourceGraphOnly
        ? pathWithin(path, fault.path) && /^\/subscriptions\/[^/]+\/?$/i.test(fault.path)
        : pathWithin(path, fault.path);
      if (!matches) continue;
      if (fault.count !== undefined && fault.hits >= fault.count) continue;
      fault.hits += 1;
      stats.faulted += 1;
      const headers: Record<string, string> = {};
      if ((fault.status === 429 || fault.status === 503) && fault.retryAfterSeconds !== false)
        headers["Retry-After"] = String(fault.retryAfterSeconds ?? 1);
      const codes: Record<number, [string, string]> = {
        401: ["InvalidAuthenticationToken", "The access token is invalid."],
        403: [
          "AuthorizationFailed",
          `The client does not have authorization to perform action over scope '${fault.path}' or the scope is invalid.`,
        ],
        404: ["ResourceNotFound", `The Resource '${path}' was not found.`],
        429: ["TooManyRequests", "The request is being throttled."],
        500: ["InternalServerError", "Encountered internal server error."],
        503: ["ServiceUnavailable", "The service is temporarily unavailable."],
      };
      const [code, message] = codes[fault.status] ?? ["Error", "Injected fault."];
      throw new ArmError(fault.status, code, message, headers);
    }
  }

  /** The added latency of the matching faults; a fault with `count` delays only its first `count` requests. */
  function faultLatency(path: string): number {
    let total = 0;
    for (const f of faults) {
      if (!f.latencyMs || !pathWithin(path, f.path)) continue;
      if (f.count !== undefined && f.delayed >= f.count) continue;
      f.delayed += 1;
      total += f.latencyMs;
    }
    return total;
  }

  function takeReadToken(principal: string, path: string): Record<string, string> {
    if (!throttle) return {};
    const subscription = path.match(/^\/subscriptions\/([^/]+)/i)?.[1]?.toLowerCase() ?? "tenant";
    const key = `${principal}|${subscription}`;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = new TokenBucket(throttle)));
    const taken = bucket.take();
    if (!taken.ok) {
      stats.throttled += 1;
      throw new ArmError(
        429,
        "SubscriptionRequestsThrottled",
        "Number of read requests for subscription exceeded the limit.",
        {
          "Retry-After": String(taken.retryAfter),
          "x-ms-ratelimit-remaining-subscription-reads": "0",
        },
      );
    }
    return { "x-ms-ratelimit-remaining-subscription-reads": String(taken.remaining) };
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ArmError(
        400,
        "InvalidRequestContent",
        "The request content was invalid and could not be deserialized.",
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const kind = kindOf(method, path);
    stats.total += 1;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    let headers: Record<string, string> = { "x-ms-request-id": crypto.randomUUID() };
    let status = 200;
    let body: unknown;
    try {
      const isGraph = method === "POST";
      const latency =
        (isGraph ? (options.argLatencyMs ?? options.latencyMs ?? 0) : (options.latencyMs ?? 0)) +
        faultLatency(path);
      if (latency > 0) await sleep(latency);
      const auth = req.headers.authorization ?? "";
      const principal = auth.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!principal) {
        stats.unauthorized += 1;
        throw new ArmError(
          401,
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
          {
            "WWW-Authenticate":
              'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
          },
        );
      }
      if (!url.searchParams.get("api-version")) {
        throw new ArmError(
          400,
          "MissingApiVersionParameter",
          `The api-version query parameter (?api-version=) is required for all requests (e.g. ${ML_API_VERSION_HINT}).`,
        );
      }
      if (method === "POST" && sameId(path, "/providers/Microsoft.ResourceGraph/resources")) {
        applyFault(path);
        const result = handleResourceGraph(await readBody(req), principal);
        headers = { ...headers, ...result.headers };
        body = result.body;
      } else if (method === "GET") {
        applyFault(path);
        headers = { ...headers, ...takeReadToken(principal, path) };
        body = handleGet(path, url);
      } else {
        throw new ArmError(405, "MethodNotAllowed", `The emulator is read-only: ${method} is not served.`);
      }
    } catch (error) {
      const armError =
        error instanceof ArmError
          ? error
          : new ArmError(500, "InternalServerError", (error as Error).message ?? String(error));
      status = armError.status;
      headers = { ...headers, ...armError.headers };
      body = { error: { code: armError.code, message: armError.message } };
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  const { key, cert } = await generateCertificate();
  const server: Server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    ca: cert,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = { total: 0, byKind: {}, throttled: 0, faulted: 0, unauthorized: 0 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
