/**
 * ARM's GET paths over the tenant file: the subscription list, the Authorization API, a resource by id, lists
 * of a subscription's (or resource group's) resources of a type, a parent's children and the collections ARM
 * serves from a parent's properties, paged by `nextLink`. What the identity may not read answers 403; what it
 * may not read, or what a lasting 404 says is gone, is left out of lists. Every answer goes out through the
 * schema of the request's api-version (api-versions.ts): what that version does not define is left out, and a
 * version with no schema for the type is refused before anything is looked up, as ARM's front door does.
 */
import { TYPES, parseResourceId, sameId } from "../model/arm-ids.js";
import type { Access } from "./access.js";
import { AUTHORIZATION_PATH } from "./access.js";
import { requireSchema, shape } from "./api-versions.js";
import { embeddedCollection, getKindOf, listKindOf } from "./resource-types.js";
import type { TenantIndex } from "./tenant-index.js";
import { ArmError, type RequestKind } from "./types.js";

/** How a request is counted in the emulator's stats. */
export function kindOf(method: string, path: string): RequestKind {
  if (method === "POST") return "resourceGraph";
  const authorization = AUTHORIZATION_PATH.exec(path)?.[2]?.toLowerCase();
  if (authorization) return authorization === "permissions" ? "get permissions" : "list denyAssignments";
  const segments = path.split("/").filter(Boolean);
  if (segments.length <= 2) return "subscriptions";
  const parsed = parseResourceId(path);
  if (parsed?.type !== undefined) return getKindOf(parsed.type);
  const parentType = parseResourceId(`/${segments.slice(0, -1).join("/")}`)?.type;
  return listKindOf(segments.at(-1), parentType);
}

/**
 * The resource type a GET path asks for: the subscriptions, or the provider namespace with every type segment
 * after it, whether the path names one resource or lists them (`…/workspaces/w/onlineEndpoints` asks for
 * `Microsoft.MachineLearningServices/workspaces/onlineEndpoints`).
 */
export function requestedType(path: string): string | undefined {
  const segments = path.split("/").filter(Boolean);
  if (segments[0]?.toLowerCase() !== "subscriptions") return undefined;
  const providers = segments.findIndex((s) => s.toLowerCase() === "providers");
  if (providers < 0) return segments.length <= 2 ? TYPES.subscription : undefined;
  const rest = segments.slice(providers + 1);
  if (rest.length < 2) return undefined;
  const types = rest.slice(1).filter((_, i) => i % 2 === 0);
  return [rest[0], ...types].join("/");
}

export interface ArmRoutesOptions {
  index: TenantIndex;
  access: Access;
  /** A lasting 404 says there is no resource here. */
  absent: (id: string) => boolean;
  pageSize: number;
  /** The emulator's own URL, for `nextLink`s. */
  baseUrl: () => string;
}

export class ArmRoutes {
  constructor(private readonly o: ArmRoutesOptions) {}

  private page<T>(items: T[], url: URL): { value: T[]; nextLink?: string } {
    const { pageSize } = this.o;
    const offset = Number(url.searchParams.get("$skipToken") ?? "0") || 0;
    const value = items.slice(offset, offset + pageSize);
    if (offset + pageSize >= items.length) return { value };
    const next = new URL(url.pathname + url.search, this.o.baseUrl());
    next.searchParams.set("$skipToken", String(offset + pageSize));
    return { value, nextLink: next.toString() };
  }

  /** The answer to a GET, as the request's api-version defines it. */
  get(path: string, url: URL): unknown {
    const type = requestedType(path);
    const apiVersion = url.searchParams.get("api-version") ?? "";
    const schema = type ? requireSchema(type, apiVersion) : undefined;
    const body = this.answer(path, url);
    if (!schema) return body;
    if (namesOneResource(path)) return shape(schema, body);
    const page = body as { value: unknown[]; nextLink?: string };
    return { ...page, value: page.value.map((item) => shape(schema, item)) };
  }

  private answer(path: string, url: URL): unknown {
    const { index, access } = this.o;
    const listed = (id: string) => access.mayRead(id) && !this.o.absent(id);
    const segments = path.split("/").filter(Boolean);
    if (segments.length === 1 && segments[0]?.toLowerCase() === "subscriptions") {
      return this.page(
        index.tenant.subscriptions
          .filter((s) => access.visible(s.subscriptionId))
          .map((s) => index.subscriptionRow(s)),
        url,
      );
    }
    const authorizationPath = AUTHORIZATION_PATH.exec(path);
    if (authorizationPath && index.subscription(authorizationPath[1] as string))
      return access.authorization(
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
      if (!access.visible(subscription.subscriptionId)) throw access.forbidden(path);
      return index.subscriptionRow(subscription);
    }
    if (!access.mayRead(path)) throw access.forbidden(path);

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
      const candidates =
        index.bySubscriptionType.get(`${subscription.subscriptionId}|${namespace}/${type}`.toLowerCase()) ??
        [];
      const items = candidates.filter(
        (r) => (group === undefined || sameId(parseResourceId(r.id)?.resourceGroup, group)) && listed(r.id),
      );
      return this.page(items, url);
    }
    const parentResource = index.byId.get(`/${parent}`.toLowerCase());
    if (parentResource) {
      const embedded = embeddedCollection(parentResource, last);
      if (embedded) {
        const items = embedded.items(parentResource);
        return embedded.onePage ? { value: items } : this.page(items, url);
      }
      const children = (index.children.get(parentResource.id.toLowerCase()) ?? []).filter(
        (c) => sameId(c.type, `${parentResource.type}/${last}`) && listed(c.id),
      );
      return this.page(children, url);
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
}

/** A path that names one resource (a subscription, or a resource id), not a list of them. */
function namesOneResource(path: string): boolean {
  return parseResourceId(path)?.type !== undefined || path.split("/").filter(Boolean).length === 2;
}
