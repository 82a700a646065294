/**
 * What both sources share: the resources and failures gathered so far, bounded requests, reads by id
 * through the SDK client's pipeline (credential, retries, throttling), and progress.
 */
import { RestError, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import {
  TYPES,
  isArmPath,
  isWithin,
  parseResourceId,
  sameId,
  sameValue,
  subscriptionOf,
} from "../model/arm-ids.js";
import { FOUNDRY_API_VERSION, managedNetworkId, usesManagedNetwork } from "../model/foundry.js";
import { NETWORK_API_VERSION, PRIVATE_DNS_API_VERSION } from "../model/private-dns.js";
import { ResourceIndex, type ArmResource, type ScopeFailure, type ScopeType } from "../model/snapshot.js";
import { ML_API_VERSION, armUrl, type ArmClients } from "./connection.js";
import { responseFailure, toFailure } from "./failures.js";
import { Carried } from "./arg-needs.js";
import { DnsReader } from "./dns.js";
import type { Denies } from "./proof.js";
import { SelectedIpReader } from "./selected-ips.js";
import { AgentStoreReader } from "./agent-stores.js";
import { shapeFailure } from "./shapes.js";
import type { Limiter } from "./limiter.js";
import { normalizeResource } from "./normalize.js";
import type { Fetched, Listed, ReadContext } from "./reads.js";

/**
 * The api-version each type is read at, by id or in a list: each a version whose published schema defines what
 * the rules read of that type (test/emulator/api-versions.test.ts holds them to it). A workspace's selected IP
 * ranges are the exception: `SELECTED_IPS_API_VERSION` (selected-ips.ts).
 */
export const READ_API_VERSIONS: Readonly<Record<string, string>> = {
  [TYPES.workspace]: ML_API_VERSION,
  [TYPES.onlineEndpoint]: ML_API_VERSION,
  [TYPES.onlineDeployment]: ML_API_VERSION,
  [TYPES.compute]: ML_API_VERSION,
  [TYPES.outboundRule]: ML_API_VERSION,
  [TYPES.privateEndpointConnection]: ML_API_VERSION,
  [TYPES.storageAccount]: "2023-05-01",
  [TYPES.containerRegistry]: "2023-07-01",
  [TYPES.keyVault]: "2026-02-01",
  [TYPES.privateEndpoint]: NETWORK_API_VERSION,
  [TYPES.privateDnsZoneGroup]: NETWORK_API_VERSION,
  [TYPES.virtualNetwork]: NETWORK_API_VERSION,
  [TYPES.privateDnsZone]: PRIVATE_DNS_API_VERSION,
  [TYPES.virtualNetworkLink]: PRIVATE_DNS_API_VERSION,
  [TYPES.foundryAccount]: FOUNDRY_API_VERSION,
  [TYPES.foundryProject]: FOUNDRY_API_VERSION,
  [TYPES.foundryManagedNetwork]: FOUNDRY_API_VERSION,
  [TYPES.foundryOutboundRule]: FOUNDRY_API_VERSION,
  [TYPES.foundryPrivateEndpointConnection]: FOUNDRY_API_VERSION,
  [TYPES.foundryCapabilityHost]: FOUNDRY_API_VERSION,
  [TYPES.foundryConnection]: FOUNDRY_API_VERSION,
  [TYPES.foundryAccountConnection]: FOUNDRY_API_VERSION,
  [TYPES.cosmosAccount]: "2025-10-15",
  [TYPES.searchService]: "2025-05-01",
};

/** How both sources name a subscription they could not read, so that their findings are the same. */
export const SUBSCRIPTION_READ = "read the subscription's Azure ML resources";
/** How a workspace's compute list that failed is named (its failure carries the property `computes`). */
export const COMPUTES_LIST = "list the workspace's computes";

export interface Progress {
  subscriptions: { done: number; total: number };
  workspaces: number;
  endpoints: number;
  deployments: number;
  /** Foundry and Azure OpenAI accounts, and Foundry projects. */
  accounts: number;
  projects: number;
}

/** What a settled subscription hands to evaluation: its audited resources, read whole (or its failures say not). */
export interface InventoryUnit {
  /** Undefined for the last unit: ML resources read by id outside the audited subscriptions (a hub). */
  subscriptionId?: string;
  resources: ArmResource[];
  /**
   * The private endpoints of these resources' connections and their DNS zone groups: context only this unit
   * used (a private endpoint serves one connection), handed on with it for the archive and then forgotten.
   */
  released: ArmResource[];
}

/** The audited types: held per subscription until it settles (the rest is context, kept for the run). */
const ML_TYPES = [
  TYPES.workspace,
  TYPES.onlineEndpoint,
  TYPES.onlineDeployment,
  TYPES.compute,
  TYPES.foundryAccount,
  TYPES.foundryProject,
  TYPES.foundryManagedNetwork,
];
const isMlType = (type: string) => ML_TYPES.some((t) => sameId(t, type));
/**
 * A 200's body, parsed once here: the clients' pipelines do not parse it (connection.ts). A body that is not JSON
 * is the read's error, as ARM's SDK clients make it, without the body in its message.
 */
function jsonBody(response: PipelineResponse): unknown {
  if (!response.bodyAsText) return null;
  try {
    return JSON.parse(response.bodyAsText) as unknown;
  } catch {
    throw new RestError("ARM answered with a body that is not JSON", {
      code: RestError.PARSE_ERROR,
      statusCode: response.status,
    });
  }
}

/** Sorted by lower-case id: each id lower-cased once, not at each comparison. */
function sortedById(resources: Iterable<ArmResource>): ArmResource[] {
  return [...resources]
    .map((r) => ({ key: r.id.toLowerCase(), r }))
    .sort((a, b) => a.key.localeCompare(b.key))
    .map(({ r }) => r);
}

/**
 * Resources are held per subscription only until it settles: then its dependencies are read, it is handed to
 * `onSettled` (evaluation, the archive) and forgotten, so memory follows the subscriptions in flight, not the
 * tenant. What other subscriptions may look up stays in `context` for the run: hubs, storage accounts,
 * registries, private endpoints.
 */
export class Collector implements ReadContext {
  private readonly open = new Map<string, Map<string, ArmResource>>();
  private readonly settled = new Set<string>();
  /** Resources any subscription's rules may look up by id; kept for the whole run. */
  readonly context = new ResourceIndex();
  readonly failures: ScopeFailure[] = [];
  /** Private endpoint DNS: the private endpoints, networks and zones the audited resources rely on. */
  readonly dns = new DnsReader(this);
  /** The stores Foundry agents write to: capability hosts, connections and the stores they name. */
  readonly agentStores = new AgentStoreReader(this);
  /** Workspaces' selected IP ranges, read at the one api-version that defines them. */
  readonly selectedIps = new SelectedIpReader(this);
  /** Each subscription's deny assignments, read once (proof.ts). */
  readonly denials = new Map<string, Promise<Denies>>();
  /** Subscriptions the `arg` source could not show whole, read with ARM lists instead, and why. */
  armFallback: { subscriptionId: string; reason: string }[] = [];
  readonly progress: Progress = {
    subscriptions: { done: 0, total: 0 },
    workspaces: 0,
    endpoints: 0,
    deployments: 0,
    accounts: 0,
    projects: 0,
  };

  constructor(
    readonly clients: ArmClients,
    readonly limiter: Limiter,
    private readonly onProgress?: (progress: Progress) => void,
    private readonly onSettled: (unit: InventoryUnit) => void = () => undefined,
  ) {}

  /** The subscriptions being read: their ML resources are held until each settles. */
  expect(subscriptionIds: readonly string[]): void {
    for (const id of subscriptionIds) this.open.set(id.toLowerCase(), new Map());
  }

  private unitOf(id: string): Map<string, ArmResource> | undefined {
    return this.open.get(subscriptionOf(id)?.toLowerCase() ?? "");
  }

  /** Resources as Resource Graph's rows gave them, not read from ARM since: what `arg` may need to complete. */
  private readonly graphRows = new Set<string>();

  /** The needed properties Resource Graph's rows were seen to carry (arg-needs.ts). */
  readonly carried = new Carried();

  /** A Resource Graph row. */
  addRow(row: unknown): ArmResource | undefined {
    const resource = this.add(row);
    if (resource) {
      this.graphRows.add(resource.id.toLowerCase());
      this.carried.note(resource);
    }
    return resource;
  }

  /** Whether the resource is as a Resource Graph row gave it. */
  fromGraph(id: string): boolean {
    return this.graphRows.has(id.toLowerCase());
  }

  /** A resource as ARM returned it (it replaces a row of the same id). */
  add(raw: unknown): ArmResource | undefined {
    const resource = normalizeResource(raw);
    if (!resource) return undefined;
    const key = resource.id.toLowerCase();
    this.graphRows.delete(key);
    this.checkShape(resource);
    const unit = isMlType(resource.type) ? this.unitOf(resource.id) : undefined;
    if (!this.has(key)) {
      if (sameId(resource.type, TYPES.workspace)) this.progress.workspaces += 1;
      else if (sameId(resource.type, TYPES.onlineEndpoint)) this.progress.endpoints += 1;
      else if (sameId(resource.type, TYPES.onlineDeployment)) this.progress.deployments += 1;
      else if (sameId(resource.type, TYPES.foundryAccount)) this.progress.accounts += 1;
      else if (sameId(resource.type, TYPES.foundryProject)) this.progress.projects += 1;
    }
    if (unit) unit.set(key, resource);
    else this.context.set(key, resource);
    return resource;
  }

  /**
   * A property of the wrong type makes its resource unknown (shapes.ts): the failure of a copy read before is
   * replaced by what this one says.
   */
  private checkShape(resource: ArmResource): void {
    const earlier = this.failures.findIndex(
      (f) => f.code === "UnexpectedType" && f.property === undefined && sameId(f.scope, resource.id),
    );
    if (earlier >= 0) this.failures.splice(earlier, 1);
    const failure = shapeFailure(resource);
    if (failure) this.failures.push(failure);
  }

  has(id: string): boolean {
    const key = id.toLowerCase();
    return this.context.has(key) || (this.unitOf(key)?.has(key) ?? false);
  }

  private find(id: string): ArmResource | undefined {
    const key = id.toLowerCase();
    return this.unitOf(key)?.get(key) ?? this.context.get(key);
  }

  /** Every audited resource of one subscription still held. */
  held(subscriptionId: string): ArmResource[] {
    return [...(this.open.get(subscriptionId.toLowerCase())?.values() ?? [])];
  }

  /** The ML resources of one subscription still held, of one type. */
  ofType(type: string, subscriptionId: string): ArmResource[] {
    const unit = this.open.get(subscriptionId.toLowerCase());
    return unit ? [...unit.values()].filter((r) => sameId(r.type, type)) : [];
  }

  /**
   * The subscription is read whole (or its failures say what is not): its workspaces' hubs, dependencies
   * and pending private endpoints are read, then it is handed on and forgotten.
   */
  async settle(subscriptionId: string): Promise<void> {
    const key = subscriptionId.toLowerCase();
    const unit = this.open.get(key);
    if (!unit || this.settled.has(key)) return;
    await this.readDependencies(subscriptionId);
    this.clients.release(subscriptionId);
    for (const id of unit.keys()) this.graphRows.delete(id);
    this.open.delete(key);
    this.settled.add(key);
    const resources = sortedById(unit.values());
    // Projects of other subscriptions judge their endpoints by these hubs' settings.
    for (const r of resources)
      if (sameId(r.type, TYPES.workspace) && sameValue(r.kind, "Hub"))
        this.context.set(r.id.toLowerCase(), r);
    this.handOn({ subscriptionId, resources });
  }

  /**
   * Judged with the context as it stands, then the unit's own private endpoints leave it: at tenant scale they
   * and their zone groups were most of what the run held (networks, zones and links are shared, and stay).
   */
  private handOn(unit: Omit<InventoryUnit, "released">): void {
    const released = this.dns.ownedBy(unit.resources);
    this.onSettled({ ...unit, released });
    this.dns.forget(released);
  }

  /** The last unit: ML resources read by id that belong to no audited subscription (a hub outside the audit). */
  async finish(): Promise<void> {
    const resources = sortedById(
      [...this.context.values()]
        .filter((r) => isMlType(r.type))
        .filter((r) => {
          const sub = subscriptionOf(r.id)?.toLowerCase() ?? "";
          return !this.settled.has(sub) && !this.open.has(sub);
        }),
    );
    if (resources.length === 0) return;
    await this.dns.readFor(resources);
    this.handOn({ resources });
  }

  /** What the archive keeps beside the units: storage accounts, registries, networks, zones. */
  contextResources(): ArmResource[] {
    return sortedById([...this.context.values()].filter((r) => !isMlType(r.type)));
  }

  fail(error: unknown, scope: string, scopeType: ScopeType, operation: string): void {
    this.failures.push(toFailure(error, scope, scopeType, operation));
  }

  subscriptionDone(): void {
    this.progress.subscriptions.done += 1;
    this.report();
  }

  report(): void {
    this.onProgress?.(this.progress);
  }

  /** GET one resource by id through its subscription's client: its status and body, or what was thrown. */
  private fetchById(id: string): Promise<Fetched> {
    const type = parseResourceId(id)?.type ?? "";
    return this.fetchAt(
      id,
      READ_API_VERSIONS[Object.keys(READ_API_VERSIONS).find((t) => sameId(t, type)) ?? ""],
    );
  }

  /** GET one resource by id at an api-version, through its subscription's client. */
  async fetchAt(id: string, apiVersion: string | undefined): Promise<Fetched> {
    const subscriptionId = subscriptionOf(id);
    if (!subscriptionId || !apiVersion) return { unreadable: `not a resource id the auditor reads: ${id}` };
    const client = this.clients.ml(subscriptionId);
    try {
      const url = armUrl(this.clients.connection.endpoint, id, `api-version=${apiVersion}`);
      const response = await this.limiter.run(subscriptionId, () =>
        client.sendRequest(createPipelineRequest({ url, method: "GET" })),
      );
      if (response.status === 200) return { status: 200, value: jsonBody(response) };
      return { status: response.status, ...(response.bodyAsText ? { body: response.bodyAsText } : {}) };
    } catch (error) {
      return { error };
    }
  }

  /**
   * GET a resource by id (raw JSON). A read that fails becomes a failure of that resource, unless it is
   * `optional`: context that no rule depends on, whose absence the findings state themselves.
   */
  async getById(id: string, operation: string, optional = false): Promise<ArmResource | undefined> {
    const fetched = await this.fetchById(id);
    if ("status" in fetched && fetched.status === 200) return this.add(fetched.value);
    if (optional) return undefined;
    this.record(id, operation, fetched);
    return undefined;
  }

  /**
   * Lists `path` and adds the items whose ids are `wanted` (a list holds siblings nobody asked for): the ids it
   * returned, or undefined when the list could not be read whole.
   */
  async addListed(
    subscriptionId: string,
    path: string,
    apiVersion: string,
    wanted: ReadonlySet<string>,
  ): Promise<Set<string> | undefined> {
    const listed = await this.listRaw(subscriptionId, path, apiVersion).catch(() => undefined);
    if (!listed || !("items" in listed)) return undefined;
    const returned = new Set<string>();
    for (const item of listed.items) {
      const id = (item as { id?: unknown }).id;
      if (typeof id !== "string" || !wanted.has(id.toLowerCase())) continue;
      const added = this.add(item);
      if (added) returned.add(added.id.toLowerCase());
    }
    return returned;
  }

  /**
   * Reads resources by id, as `getById` does, in fewer requests: where two or more of a type listed by resource
   * group share one, a list of that group's resources of the type. What the list does not return, or all of them
   * when it fails, is read by GET, so that each keeps the answer (and the failure) its own GET gives.
   */
  async readByIds(ids: readonly string[], operation: string): Promise<void> {
    const groups = new Map<string, { path: string; ids: string[] }>();
    const alone: string[] = [];
    for (const id of ids) {
      const path = resourceGroupListOf(id);
      if (!path) {
        alone.push(id);
        continue;
      }
      const group = groups.get(path.toLowerCase());
      if (group) group.ids.push(id);
      else groups.set(path.toLowerCase(), { path, ids: [id] });
    }
    const byGet = (list: readonly string[]) => list.map((id) => this.getById(id, operation));
    await Promise.all([
      ...byGet(alone),
      ...[...groups.values()].map(async ({ path, ids: members }) => {
        if (members.length < 2) return Promise.all(byGet(members));
        const parsed = parseResourceId(members[0] as string);
        const returned = await this.addListed(
          parsed?.subscriptionId ?? "",
          path,
          READ_API_VERSIONS[parsed?.type ?? ""] as string,
          new Set(members.map((id) => id.toLowerCase())),
        );
        return Promise.all(byGet(members.filter((id) => !returned?.has(id.toLowerCase()))));
      }),
    ]);
  }

  /** Forgets a resource and everything beneath it: ARM says it no longer exists. */
  remove(id: string): void {
    for (const map of [this.unitOf(id), this.context])
      if (map) for (const key of [...map.keys()]) if (isWithin(key, id)) map.delete(key);
  }

  /**
   * Reads from ARM a resource Resource Graph did not return (or returned without a property the rules
   * need): `gone` on 404 — ARM no longer has it —, `found` with ARM's answer, or `failed` (recorded as
   * a failure of that resource: it is unknown).
   */
  async confirm(id: string, operation: string): Promise<"found" | "gone" | "failed"> {
    const fetched = await this.fetchById(id);
    if ("status" in fetched && fetched.status === 404) {
      this.remove(id);
      return "gone";
    }
    if ("status" in fetched && fetched.status === 200) {
      this.add(fetched.value);
      return "found";
    }
    this.record(id, operation, fetched);
    return "failed";
  }

  /** A failed read by id, as the failure of that resource. */
  private record(id: string, operation: string, fetched: Fetched): void {
    if ("unreadable" in fetched)
      this.failures.push({ scope: id, scopeType: "resource", operation, message: fetched.unreadable });
    else if ("error" in fetched) this.fail(fetched.error, id, "resource", operation);
    else this.failures.push(responseFailure(fetched.status, fetched.body, id, "resource", operation));
  }

  /**
   * GET a path of a subscription through its client's pipeline (credential, retries, throttling),
   * following `nextLink`: every `value` item, or the failing status. Throws only what the network throws, and
   * a page whose body is not JSON.
   */
  async listRaw(
    subscriptionId: string,
    path: string,
    apiVersion: string,
    filter?: string,
    urgent = false,
  ): Promise<Listed> {
    const client = this.clients.ml(subscriptionId);
    const items: unknown[] = [];
    let url: string | undefined = armUrl(
      this.clients.connection.endpoint,
      path,
      `api-version=${apiVersion}${filter ? `&$filter=${encodeURIComponent(filter)}` : ""}`,
    );
    while (url) {
      const next: string = url;
      const response = await this.limiter.run(
        subscriptionId,
        () => client.sendRequest(createPipelineRequest({ url: next, method: "GET" })),
        urgent,
      );
      if (response.status !== 200)
        return { status: response.status, ...(response.bodyAsText ? { body: response.bodyAsText } : {}) };
      const body = (jsonBody(response) ?? {}) as { value?: unknown[]; nextLink?: string };
      items.push(...(body.value ?? []));
      url = body.nextLink;
    }
    return { status: 200, items };
  }

  /** The subscription's workspaces, and the hubs (read already) its projects inherit from. */
  private workspacesOf(subscriptionId: string): ArmResource[] {
    const own = this.ofType(TYPES.workspace, subscriptionId);
    const hubs = own.flatMap((w) => {
      const hub = hubOf(w);
      const found = hub ? this.find(hub) : undefined;
      return found ? [found] : [];
    });
    return [...own, ...hubs];
  }

  /**
   * The storage accounts and container registries the workspaces name, once each, and the key vaults of the
   * private ones (`selected`: the default resources of those public from selected IP ranges only, once their
   * ranges are read).
   */
  dependencyIds(subscriptionId: string, selected = false): string[] {
    const ids = new Map<string, string>();
    for (const workspace of this.workspacesOf(subscriptionId)) {
      if (sameValue(workspace.kind, "Project")) continue;
      const names = selected
        ? isSelectedIpsOnly(workspace)
          ? DEFAULT_RESOURCES
          : []
        : ["storageAccount", "containerRegistry", ...(isPrivate(workspace) ? ["keyVault"] : [])];
      for (const name of names) {
        const id = workspace.properties?.[name];
        if (typeof id === "string" && id) ids.set(id.toLowerCase(), id);
      }
    }
    return [...ids.values()];
  }

  /**
   * A workspace's computes, from ARM in both sources: Resource Graph indexes them, but each row costs a share of
   * its quota (15 queries per 5 s, 1,000 rows a page) that a list per workspace, in parallel with the other
   * reads of the subscription, does not (bench/RESULTS.md). A list that fails leaves only the compute rules
   * unknown for that workspace (the failure names the property `computes`); its endpoints and settings are judged.
   */
  private async readComputes(subscriptionId: string, workspaceId: string): Promise<void> {
    try {
      const listed = await this.listRaw(subscriptionId, `${workspaceId}/computes`, ML_API_VERSION);
      if ("items" in listed) {
        for (const item of listed.items) this.add(item);
        return;
      }
      this.failures.push({
        ...responseFailure(listed.status, listed.body, workspaceId, "resource", COMPUTES_LIST),
        property: "computes",
      });
    } catch (error) {
      this.failures.push({
        ...toFailure(error, workspaceId, "resource", COMPUTES_LIST),
        property: "computes",
      });
    }
  }

  /**
   * A workspace Resource Graph gave without the ids of its default resources, found public from selected IP ranges
   * only once its ranges were read: the ids are read from ARM (a row lacks them only where no row carries them,
   * arg-needs.ts). A read that fails makes them unknown (the failure names the property `defaultResources`).
   */
  private async completeDefaultResources(workspace: ArmResource): Promise<void> {
    const absent = DEFAULT_RESOURCES.filter(
      (p) => !(p in (workspace.properties ?? {})) && !this.carried.has(TYPES.workspace, p),
    );
    if (absent.length === 0) return;
    const operation = "read the workspace's storage account, key vault and registry";
    const fetched = await this.fetchById(workspace.id);
    if ("status" in fetched && fetched.status === 200) {
      const read = normalizeResource(fetched.value);
      for (const p of absent)
        if (read?.properties?.[p] !== undefined) (workspace.properties ??= {})[p] = read.properties[p];
      return;
    }
    const failure: ScopeFailure =
      "unreadable" in fetched
        ? { scope: workspace.id, scopeType: "resource", operation, message: fetched.unreadable }
        : "error" in fetched
          ? toFailure(fetched.error, workspace.id, "resource", operation)
          : responseFailure(fetched.status, fetched.body, workspace.id, "resource", operation);
    this.failures.push({ ...failure, property: "defaultResources" });
  }

  /**
   * The private endpoints of the approved connections of the storage accounts of private workspaces without a
   * managed network: which sub-resource each serves (`blob`, `file`) is the private endpoint's, not the
   * connection's. A workspace with a managed network reaches its storage through endpoints the service makes.
   */
  storagePrivateEndpointIds(subscriptionId: string): string[] {
    const ids = new Map<string, string>();
    for (const workspace of this.workspacesOf(subscriptionId)) {
      if (sameValue(workspace.kind, "Project") || usesMlManagedNetwork(workspace)) continue;
      if (!isPrivate(workspace) && !isSelectedIpsOnly(workspace)) continue;
      const storageId = workspace.properties?.storageAccount;
      const storage = typeof storageId === "string" && storageId ? this.find(storageId) : undefined;
      for (const id of approvedEndpointIds(storage)) ids.set(id.toLowerCase(), id);
    }
    return [...ids.values()].filter((id) => !this.has(id));
  }

  /**
   * The private endpoints behind workspace connections that await a decision (not `Approved`): where
   * such a request comes from (which subnet, which subscription) is what its reviewer needs to know.
   * Approved connections need no such context, so they cost no request.
   */
  pendingPrivateEndpointIds(subscriptionId: string): string[] {
    const ids = new Map<string, string>();
    const withPrivateLink = [
      ...this.ofType(TYPES.workspace, subscriptionId),
      ...this.ofType(TYPES.foundryAccount, subscriptionId),
    ];
    for (const workspace of withPrivateLink) {
      const connections = workspace.properties?.privateEndpointConnections;
      if (!Array.isArray(connections)) continue;
      for (const connection of connections as { properties?: Record<string, unknown> }[]) {
        const state = connection.properties?.privateLinkServiceConnectionState as
          { status?: unknown } | undefined;
        const endpoint = connection.properties?.privateEndpoint as { id?: unknown } | undefined;
        if (typeof endpoint?.id !== "string" || !endpoint.id) continue;
        if (typeof state?.status === "string" && sameValue(state.status, "Approved")) continue;
        ids.set(endpoint.id.toLowerCase(), endpoint.id);
      }
    }
    return [...ids.values()];
  }

  /**
   * The hubs of the subscription's projects: a project inherits its hub's network isolation, so a hub not
   * read yet (outside the audit, or in a subscription still being read) is read by id, and one that cannot
   * be read makes its projects' verdicts unknown. Each is kept in `context` for the projects' rules.
   */
  private async readHubs(subscriptionId: string): Promise<void> {
    const ids = new Map<string, string>();
    for (const workspace of this.ofType(TYPES.workspace, subscriptionId)) {
      const hub = hubOf(workspace);
      if (hub) ids.set(hub.toLowerCase(), hub);
    }
    await Promise.all(
      [...ids.values()].map(async (id) => {
        const hub = this.find(id) ?? (await this.getById(id, "read the hub of a project"));
        if (hub) this.context.set(id.toLowerCase(), hub);
      }),
    );
  }

  /**
   * The managed networks of the subscription's Foundry resources whose agents use one (the only accounts that
   * can have one in use): a GET each, in the subscription's bucket — Resource Graph does not index them. 404 means
   * none was created (its mode is `Disabled`); any other failure makes that managed network unknown.
   */
  private async readManagedNetworks(subscriptionId: string): Promise<void> {
    const wanted = this.ofType(TYPES.foundryAccount, subscriptionId)
      .filter(usesManagedNetwork)
      .map(managedNetworkId)
      .filter((id) => !this.has(id) && !this.failures.some((f) => isWithin(id, f.scope)));
    await Promise.all(
      wanted.map(async (id) => {
        const fetched = await this.fetchById(id);
        if ("status" in fetched && fetched.status === 404) return;
        if ("status" in fetched && fetched.status === 200) this.add(fetched.value);
        else this.record(id, "read the managed network of a Foundry resource", fetched);
      }),
    );
  }

  /**
   * Reads what the subscription's workspaces and accounts point at and is not read yet: hubs, dependencies,
   * managed networks, pending private endpoints, and the DNS of their approved private endpoints.
   */
  async readDependencies(subscriptionId: string): Promise<void> {
    const missing = (ids: string[]) => ids.filter((id) => !this.has(id));
    // Hubs first: their storage accounts and registries are the projects' dependencies too.
    await this.readHubs(subscriptionId);
    await Promise.all([
      // The subscription's workspaces, and the hubs its projects inherit from (in any subscription, and read
      // before the project is judged: the hub's own subscription may settle later).
      this.selectedIps.readFor(
        this.workspacesOf(subscriptionId),
        this.ofType(TYPES.onlineEndpoint, subscriptionId),
      ),
      this.readManagedNetworks(subscriptionId),
      this.agentStores.readFor(
        this.ofType(TYPES.foundryAccount, subscriptionId),
        this.ofType(TYPES.foundryProject, subscriptionId),
      ),
      this.dns.readForAgents(this.ofType(TYPES.foundryAccount, subscriptionId)),
      ...this.ofType(TYPES.workspace, subscriptionId).map((w) => this.readComputes(subscriptionId, w.id)),
      this.readByIds(missing(this.dependencyIds(subscriptionId)), "read the workspace's dependency"),
      ...missing(this.pendingPrivateEndpointIds(subscriptionId)).map((id) =>
        this.getById(id, "read the private endpoint of a pending connection", true),
      ),
      this.dns.readFor([
        ...this.ofType(TYPES.workspace, subscriptionId),
        ...this.ofType(TYPES.foundryAccount, subscriptionId),
      ]),
    ]);
    // What only the reads above tell: which workspaces are public from selected IP ranges only (their default
    // resources are judged too), and which private endpoints serve their storage accounts.
    await Promise.all(
      this.workspacesOf(subscriptionId)
        .filter((w) => isSelectedIpsOnly(w) && this.fromGraph(w.id))
        .map((w) => this.completeDefaultResources(w)),
    );
    await Promise.all([
      this.readByIds(missing(this.dependencyIds(subscriptionId, true)), "read the workspace's dependency"),
      ...this.storagePrivateEndpointIds(subscriptionId).map((id) =>
        this.getById(id, "read a private endpoint of the workspace's storage account"),
      ),
    ]);
  }
}

/**
 * The types whose resources a list of their resource group returns whole, as a GET does: Key Vault's
 * `Vaults_ListByResourceGroup` (2026-02-01) answers a `VaultListResult` of `Vault`, the schema of `Vaults_Get`.
 * A workspace's key vault sits beside it, one a workspace, where its storage account and registry are often shared.
 * Storage accounts are not listed so: the example of `StorageAccounts_ListByResourceGroup` (2023-05-01) returns
 * accounts without `publicNetworkAccess`, `networkAcls` or `privateEndpointConnections`, the very properties judged.
 */
const LISTED_BY_RESOURCE_GROUP = [TYPES.keyVault];

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/{type}` for a top-level resource of a type listed so. */
function resourceGroupListOf(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (!parsed?.resourceGroup || parsed.names.length !== 1 || !isArmPath(id)) return undefined;
  const type = LISTED_BY_RESOURCE_GROUP.find((t) => sameId(t, parsed.type));
  return type
    ? `/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}/providers/${type}`
    : undefined;
}

/** The properties that name a workspace's default resources. */
const DEFAULT_RESOURCES = ["storageAccount", "keyVault", "containerRegistry"] as const;

/** Public network access disabled: the workspace is private (AMLNI009 judges its default resources). */
function isPrivate(workspace: ArmResource): boolean {
  return sameValue(workspace.properties?.publicNetworkAccess, "Disabled");
}

/** Public network access enabled but denied by default: public from its selected IP ranges only. */
function isSelectedIpsOnly(workspace: ArmResource): boolean {
  const acls = workspace.properties?.networkAcls as { defaultAction?: unknown } | undefined;
  return !isPrivate(workspace) && sameValue(acls?.defaultAction, "Deny");
}

function usesMlManagedNetwork(workspace: ArmResource): boolean {
  const mode = (workspace.properties?.managedNetwork as { isolationMode?: unknown } | undefined)
    ?.isolationMode;
  return typeof mode === "string" && mode !== "" && !sameValue(mode, "Disabled");
}

/** The private endpoints of a resource's approved connections. */
function approvedEndpointIds(resource: ArmResource | undefined): string[] {
  const connections = resource?.properties?.privateEndpointConnections;
  if (!Array.isArray(connections)) return [];
  return (connections as { properties?: Record<string, unknown> }[]).flatMap((c) => {
    const state = c.properties?.privateLinkServiceConnectionState as { status?: unknown } | undefined;
    const id = (c.properties?.privateEndpoint as { id?: unknown } | undefined)?.id;
    return sameValue(state?.status, "Approved") && typeof id === "string" && isArmPath(id) ? [id] : [];
  });
}

function hubOf(workspace: ArmResource): string | undefined {
  if (!sameValue(workspace.kind, "Project")) return undefined;
  const hub = workspace.properties?.hubResourceId;
  return typeof hub === "string" && hub ? hub : undefined;
}
