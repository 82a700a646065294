/**
 * Private endpoint DNS reads (DESIGN §3, "Private endpoint DNS"): for each approved private endpoint of a
 * judged workspace or account, the private endpoint, its DNS zone groups and its virtual network, through the
 * `@azure/arm-network` client's pipeline; then the private DNS zones of the names it needs, with their virtual
 * network links. Every read is shared: one per private endpoint, network and zone, whatever uses it.
 *
 * The index is read as the run starts, beside the ML resources, so it is there when the first subscription
 * settles: for the `arg` source one Resource Graph query per 200 audited subscriptions returns the zones of the
 * needed names with their links; for `arm`, a list of each subscription's zones and of the links of each zone of
 * a needed name. What the index lacks (a zone in a subscription outside the audit, or one Resource Graph has not
 * indexed yet) is read by id. Private endpoints and networks are read from ARM even for `arg`: their rows would
 * fill a Resource Graph page per 1,000 endpoints, and at tenant scale the ML queries already spend the quota's
 * window (15 queries per 5 s) — one query more there costs a 5 s wait, a thousand GETs spread over their
 * subscriptions' buckets cost a few round trips.
 */
import type { FullOperationResponse } from "@azure/core-client";
import {
  TYPES,
  isArmPath,
  lastName,
  sameId,
  sameValue,
  subscriptionOf,
  subscriptionOfPath,
} from "../model/arm-ids.js";
import {
  DNS_ZONE_NAMES,
  NETWORK_API_VERSION,
  PRIVATE_DNS_API_VERSION,
  approvedPrivateEndpointIds,
  connectedPrivateEndpointIds,
  judgesDns,
  networksOfLinks,
  linksPathOf,
  requiredZoneNames,
  subnetOf,
  virtualNetworkOf,
  linkedNetworkOf,
  zoneGroupZoneIds,
  zoneGroupsPathOf,
  zonesScopeOf,
} from "../model/private-dns.js";
import type { ArmResource, ScopeFailure } from "../model/snapshot.js";
import { agentInjection, isFoundryResource } from "../model/foundry.js";
import { shown } from "../common/text.js";
import type { QuotaGate } from "./quota-gate.js";

import { deniedScopes, type ProofContext, type ReadProof } from "./proof.js";
import { armUrl } from "./connection.js";
import { responseFailure } from "./failures.js";
import { normalizeResource } from "./normalize.js";

type Fetched = { status: number; body?: unknown } | { error: unknown };
type IndexRow = { id?: unknown; name?: unknown; type?: unknown; properties?: unknown };

/** Subscriptions per Resource Graph query (it allows under 300). */
const ARG_BATCH = 200;
const INDEX_TYPES = [TYPES.privateDnsZone, TYPES.virtualNetworkLink];
const ZONE_INDEX_QUERY =
  `resources | where type in~ (${INDEX_TYPES.map((t) => `'${t.toLowerCase()}'`).join(", ")})` +
  " | project id, name, type, location, tags, properties, subscriptionId | order by id asc";

/** `/subscriptions/{s}/resourceGroups/{rg}` of a resource id, lower case. */
const groupOf = (id: string) => id.split("/").slice(0, 5).join("/").toLowerCase();

const isNeededZoneName = (name: string) => DNS_ZONE_NAMES.some((n) => sameValue(name, n));

export class DnsReader {
  private readonly reads = new Map<string, Promise<unknown>>();
  private zoneIndex?: Promise<void>;
  private source: "arg" | "arm" = "arm";
  private subscriptions: readonly string[] = [];
  /** Requests the DNS reads sent, by what they read (for the benchmark and the closing numbers). */
  readonly requests = { privateEndpoints: 0, zoneGroups: 0, virtualNetworks: 0, zones: 0, index: 0 };

  constructor(private readonly collector: ProofContext) {}

  private gate?: QuotaGate;
  private proofOf?: (subscriptionId: string) => Promise<ReadProof> | undefined;

  /**
   * Reads the index now (the run's start): for the `arg` source in Resource Graph's quota `gate`, its rows trusted
   * for the subscriptions whose proof shows the identity reads every zone and link there.
   */
  start(gate?: QuotaGate, proofOf?: (subscriptionId: string) => Promise<ReadProof> | undefined): void {
    if (gate) this.gate = gate;
    if (proofOf) this.proofOf = proofOf;
    void this.readZoneIndex();
  }

  /** The source the zone index is read with, and the subscriptions it covers (those the audit reads). */
  configure(source: "arg" | "arm", subscriptions: readonly string[]): void {
    this.source = source;
    this.subscriptions = subscriptions;
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    let pending = this.reads.get(k) as Promise<T> | undefined;
    if (!pending) {
      pending = read();
      this.reads.set(k, pending);
    }
    return pending;
  }

  /** A GET or a page of a list through the network client's pipeline, in the subscription's bucket. */
  private async fetch(
    url: string | (() => string),
    subscriptionId: string,
    urgent = false,
  ): Promise<Fetched> {
    try {
      const target = typeof url === "string" ? url : url();
      const context = await this.collector.clients.network();
      const response = await this.collector.limiter.run(
        subscriptionId,
        async () => context.pathUnchecked(target).get(),
        urgent,
      );
      return { status: Number(response.status), body: response.body };
    } catch (error) {
      return { error };
    }
  }

  private urlOf(path: string, apiVersion: string): string {
    return armUrl(this.collector.clients.connection.endpoint, path, `api-version=${apiVersion}`);
  }

  private failure(fetched: Fetched, scope: string, scopeType: ScopeFailure["scopeType"], operation: string) {
    if ("error" in fetched) this.collector.fail(fetched.error, scope, scopeType, operation);
    else
      this.collector.failures.push(
        responseFailure(fetched.status, JSON.stringify(fetched.body ?? ""), scope, scopeType, operation),
      );
  }

  /** GET by id: the resource, `absent` on 404, or undefined (the failure is recorded against the id). */
  private async get(
    id: string,
    apiVersion: string,
    operation: string,
    count: keyof DnsReader["requests"],
  ): Promise<ArmResource | "absent" | undefined> {
    const subscriptionId = subscriptionOfPath(id) ?? "";
    this.requests[count] += 1;
    const fetched = await this.fetch(() => this.urlOf(id, apiVersion), subscriptionId);
    if ("status" in fetched && fetched.status === 200) return this.collector.add(fetched.body);
    if ("status" in fetched && fetched.status === 404) return "absent";
    this.failure(fetched, id, "resource", operation);
    return undefined;
  }

  /** Every item of a list, following `nextLink`; undefined when it failed (recorded against `scope`). */
  private async list(
    path: string,
    apiVersion: string,
    failure: { scope: string; scopeType: ScopeFailure["scopeType"]; operation: string } | undefined,
    count: keyof DnsReader["requests"],
    urgent = false,
  ): Promise<unknown[] | undefined> {
    // A collection path is no resource id: `subscriptionOf` would put every list in one bucket, 4 at a time.
    const subscriptionId = subscriptionOfPath(path) ?? "";
    const items: unknown[] = [];
    let url: string | (() => string) | undefined = () => this.urlOf(path, apiVersion);
    while (url) {
      this.requests[count] += 1;
      const fetched = await this.fetch(url, subscriptionId, urgent);
      if (!("status" in fetched) || fetched.status !== 200) {
        if (failure) this.failure(fetched, failure.scope, failure.scopeType, failure.operation);
        return undefined;
      }
      const body = (fetched.body ?? {}) as { value?: unknown[]; nextLink?: string };
      items.push(...(body.value ?? []));
      url = body.nextLink;
    }
    return items;
  }

  /**
   * The virtual network Foundry agents are injected into (`networkInjections[].subnetArmId`), and the zone index:
   * agents resolve names from their own network, not from their account's private endpoint's (PEDNS004).
   */
  async readForAgents(accounts: readonly ArmResource[]): Promise<void> {
    const networks = new Set<string>();
    for (const account of accounts) {
      if (!isFoundryResource(account)) continue;
      const networkId = virtualNetworkOf(agentInjection(account)?.subnetArmId);
      if (networkId && isArmPath(networkId)) networks.add(networkId);
    }
    if (networks.size === 0) return;
    const known = (id: string) => this.collector.context.get(id.toLowerCase());
    await Promise.all([
      ...[...networks].map((id) =>
        this.once(
          id,
          async () =>
            known(id) ??
            this.get(
              id,
              NETWORK_API_VERSION,
              "read the virtual network the agents are injected into",
              "virtualNetworks",
            ),
        ),
      ),
      this.readZoneIndex(),
    ]);
  }

  /** The DNS of the approved private endpoints of these resources (one subscription's, or the last unit's). */
  async readFor(resources: readonly ArmResource[]): Promise<void> {
    for (const resource of resources)
      for (const id of connectedPrivateEndpointIds(resource))
        this.claims.set(id.toLowerCase(), (this.claims.get(id.toLowerCase()) ?? 0) + 1);
    const needed: { id: string; required: readonly string[] }[] = [];
    for (const resource of resources) {
      if (!judgesDns(resource)) continue;
      const required = requiredZoneNames(resource);
      for (const id of approvedPrivateEndpointIds(resource)) needed.push({ id, required });
    }
    const listed = this.listEndpointGroups(needed.map((n) => n.id));
    await Promise.all(needed.map((n) => this.readEndpoint(n.id, n.required, listed.get(groupOf(n.id)))));
  }

  /**
   * Where two or more private endpoints to read share a resource group, one list of the group's private
   * endpoints instead of a GET each (private endpoints are usually kept together, in the network's group).
   * What it returns joins the context; a list refused or failed leaves each endpoint to its GET.
   */
  private listEndpointGroups(ids: readonly string[]): Map<string, Promise<void>> {
    const unknown = new Map<string, string>();
    for (const id of ids)
      if (!this.collector.context.has(id.toLowerCase()) && !this.reads.has(id.toLowerCase()))
        unknown.set(id.toLowerCase(), id);
    const byGroup = new Map<string, number>();
    for (const id of unknown.keys()) byGroup.set(groupOf(id), (byGroup.get(groupOf(id)) ?? 0) + 1);
    const lists = new Map<string, Promise<void>>();
    for (const [group, count] of byGroup) {
      const path = `${group}/providers/${TYPES.privateEndpoint}`;
      if (count < 2 && !this.reads.has(path.toLowerCase())) continue;
      lists.set(
        group,
        this.once(path, async () => {
          // A refused list is no finding: the GET of each private endpoint then says what can be read.
          const items = await this.list(path, NETWORK_API_VERSION, undefined, "privateEndpoints");
          for (const item of items ?? []) this.collector.add(item);
        }),
      );
    }
    return lists;
  }

  private async readEndpoint(
    privateEndpointId: string,
    required: readonly string[],
    groupListed?: Promise<void>,
  ): Promise<void> {
    if (this.zoneIndex) await this.zoneIndex;
    const known = (id: string) => this.collector.context.get(id.toLowerCase());
    await groupListed;
    // One the list lacks is asked by id: gone (404) and refused (403, a list leaves out what it may not show)
    // are different findings.
    const endpoint = await this.once(
      privateEndpointId,
      async () =>
        known(privateEndpointId) ??
        this.get(
          privateEndpointId,
          NETWORK_API_VERSION,
          "read the private endpoint of an approved connection",
          "privateEndpoints",
        ),
    );
    if (!endpoint || endpoint === "absent") {
      // A private endpoint ARM no longer has, behind a connection still approved: nothing to resolve through.
      if (endpoint === "absent")
        this.collector.failures.push({
          scope: privateEndpointId,
          scopeType: "resource",
          operation: "read the private endpoint of an approved connection",
          status: 404,
          message: "the connection is approved but ARM has no such private endpoint",
        });
      return;
    }
    const networkId = virtualNetworkOf(subnetOf(endpoint));
    const groupsPath = zoneGroupsPathOf(endpoint.id);
    const [groups] = await Promise.all([
      this.once(groupsPath, async () => {
        const items = await this.list(
          groupsPath,
          NETWORK_API_VERSION,
          {
            scope: groupsPath,
            scopeType: "resource",
            operation: "list the private endpoint's DNS zone groups",
          },
          "zoneGroups",
        );
        return (items ?? []).flatMap((item) => {
          const added = this.collector.add(item);
          return added ? [added] : [];
        });
      }),
      networkId
        ? this.once(
            networkId,
            async () =>
              known(networkId) ??
              this.get(
                networkId,
                NETWORK_API_VERSION,
                "read the virtual network of a private endpoint",
                "virtualNetworks",
              ),
          )
        : undefined,
    ]);
    const named = zoneGroupZoneIds(groups);
    // A zone named by something that is no ARM resource id is not requested: the zone groups that name it are
    // what could not be read.
    const invalid = named.filter((id) => !isArmPath(id));
    if (invalid.length > 0 && !this.collector.failures.some((f) => sameId(f.scope, groupsPath)))
      this.collector.failures.push({
        scope: groupsPath,
        scopeType: "resource",
        operation: "read the private DNS zones the private endpoint's zone groups name",
        message: `a zone group names a private DNS zone by something that is no ARM resource id: "${shown(invalid[0] ?? "", 120)}"`,
      });
    const wanted = named.filter(
      (id) => isArmPath(id) && required.some((name) => sameValue(lastName(id), name)),
    );
    await Promise.all(wanted.map((id) => this.readZone(id)));
    if (!networkId) return;
    const resolvedByOwnZones = (name: string) =>
      wanted.some((id) => sameValue(lastName(id), name) && this.linkedTo(id, networkId));
    if (required.some((name) => !resolvedByOwnZones(name))) await this.readZoneIndex();
  }

  /** Private endpoints by the resources read for that connect through them, and are not judged yet. */
  private readonly claims = new Map<string, number>();

  /**
   * The private endpoints of these resources' connections (approved or not) that no resource still to be judged
   * connects through, with their zone groups, as the context holds them. A private endpoint has one connection,
   * so this is nearly always all of them; a tenant file may give two resources the same one.
   */
  ownedBy(resources: readonly ArmResource[]): ArmResource[] {
    const owned: ArmResource[] = [];
    for (const resource of resources)
      for (const id of connectedPrivateEndpointIds(resource)) {
        const key = id.toLowerCase();
        const claims = this.claims.get(key);
        if (claims === undefined) continue;
        if (claims > 1) {
          this.claims.set(key, claims - 1);
          continue;
        }
        this.claims.delete(key);
        const endpoint = this.collector.context.get(key);
        if (!endpoint) continue;
        owned.push(endpoint, ...this.collector.context.childrenOf(endpoint.id, TYPES.privateDnsZoneGroup));
      }
    return owned;
  }

  /** Drops what `ownedBy` returned from the context and from the shared reads. */
  forget(owned: readonly ArmResource[]): void {
    for (const resource of owned) {
      this.collector.context.delete(resource.id.toLowerCase());
      if (!sameId(resource.type, TYPES.privateEndpoint)) continue;
      this.reads.delete(resource.id.toLowerCase());
      this.reads.delete(zoneGroupsPathOf(resource.id).toLowerCase());
    }
  }

  private linkedTo(zoneId: string, networkId: string): boolean {
    return this.collector.context
      .deriveFromChildren(zoneId, TYPES.virtualNetworkLink, networksOfLinks)
      .has(networkId.toLowerCase());
  }

  private indexes(zoneId: string): boolean {
    const subscriptionId = subscriptionOf(zoneId);
    return this.subscriptions.some((s) => sameId(s, subscriptionId));
  }

  /** A zone a zone group names, with its links: from the index where the `arg` source has one, else by id. */
  private async readZone(zoneId: string): Promise<void> {
    if (this.indexes(zoneId) && this.zoneIndex) await this.zoneIndex;
    // Known from the index (or read already), its links with it; else by id — Resource Graph may lag a new zone.
    if (this.collector.has(zoneId)) {
      await this.once(linksPathOf(zoneId), () => this.readLinks(zoneId));
      return;
    }
    await this.once(zoneId, async () => {
      const zone = await this.get(
        zoneId,
        PRIVATE_DNS_API_VERSION,
        "read a private DNS zone a private endpoint's zone group names",
        "zones",
      );
      if (zone && zone !== "absent") await this.once(linksPathOf(zoneId), () => this.readLinks(zoneId));
    });
  }

  private async readLinks(zoneId: string, urgent = false): Promise<void> {
    if (this.linksRead.has(zoneId.toLowerCase())) return;
    const items = await this.list(
      linksPathOf(zoneId),
      PRIVATE_DNS_API_VERSION,
      {
        scope: linksPathOf(zoneId),
        scopeType: "resource",
        operation: "list the virtual network links of a private DNS zone",
      },
      "zones",
      urgent,
    );
    for (const item of items ?? []) this.collector.add(item);
  }

  /** Zones whose links the zone index has read already (Resource Graph returns them with the zones). */
  private readonly linksRead = new Set<string>();

  /** The zones of the needed names in every audited subscription, with their links: read once per run. */
  private readZoneIndex(): Promise<void> {
    this.zoneIndex ??= this.source === "arg" ? this.zoneIndexFromGraph() : this.zoneIndexFromArm();
    return this.zoneIndex;
  }

  /**
   * Every settle waits on it, so its lists are urgent: in rank order the last subscription's zone list would
   * run near the end of the run, and the whole tenant would be held until then.
   */
  private async zoneIndexFromArm(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscriptionId) => this.zonesFromArm(subscriptionId)));
  }

  /**
   * A subscription's zones of the needed names, with their links, from ARM lists. A list leaves out what a deny
   * assignment keeps from the identity: each scope where one denies zone reads is recorded as not searched.
   */
  private async zonesFromArm(subscriptionId: string): Promise<void> {
    const [zones, denies] = await Promise.all([
      this.list(
        zonesScopeOf(subscriptionId),
        PRIVATE_DNS_API_VERSION,
        {
          scope: zonesScopeOf(subscriptionId),
          scopeType: "resourceType",
          operation: "list the subscription's private DNS zones",
        },
        "index",
        true,
      ),
      deniedScopes(this.collector, subscriptionId, true),
    ]);
    if (zones) this.recordDenied(denies.denies.dns);
    const needed = (zones ?? []).flatMap((raw) => {
      const listed = normalizeResource(raw);
      const zone = listed && isNeededZoneName(listed.name) ? this.collector.add(listed) : undefined;
      return zone ? [zone] : [];
    });
    await Promise.all(
      needed.map((zone) => this.once(linksPathOf(zone.id), () => this.readLinks(zone.id, true))),
    );
  }

  private recordDenied(denied: readonly ScopeFailure[]): void {
    for (const failure of denied)
      if (
        !this.collector.failures.some(
          (f) => sameId(f.scope, failure.scope) && f.operation === failure.operation,
        )
      )
        this.collector.failures.push(failure);
  }

  /**
   * Resource Graph leaves out the zones and links the identity may not read: its rows are taken only for the
   * subscriptions proven to show them whole, the others are read with ARM lists (where a refusal is a finding).
   */
  private async zoneIndexFromGraph(): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < this.subscriptions.length; i += ARG_BATCH)
      batches.push(this.subscriptions.slice(i, i + ARG_BATCH));
    await Promise.all(
      batches.map(async (batch) => {
        const [rows, proofs] = await Promise.all([
          this.queryZones(batch),
          Promise.all(batch.map((s) => this.proofOf?.(s) ?? Promise.resolve(undefined))),
        ]);
        const trusted = new Set<string>();
        const fallback: string[] = [];
        for (const [i, subscriptionId] of batch.entries()) {
          const proof = proofs[i];
          if (proof?.dns.proven) trusted.add(subscriptionId.toLowerCase());
          else if (!rows.failed.has(subscriptionId.toLowerCase())) fallback.push(subscriptionId);
          if (proof) this.recordDenied(proof.dns.denied);
        }
        await Promise.all([
          this.takeRows(
            rows.rows.filter((r) => trusted.has(subscriptionOf(String(r.id))?.toLowerCase() ?? "")),
          ),
          ...fallback.map((s) => this.zonesFromArm(s)),
        ]);
      }),
    );
  }

  /**
   * The index's rows: the zones of the needed names and their links. A zone one of whose link rows lacks the
   * network it links is read again from ARM with its links: which networks a zone serves is what the rules judge.
   */
  private async takeRows(rows: readonly IndexRow[]): Promise<void> {
    const incomplete = new Set<string>();
    for (const row of rows) {
      if (typeof row.id !== "string" || typeof row.type !== "string") continue;
      // A zone of a needed name, or a link of one (the zone's name is the link id's eighth segment).
      const zoneName = sameId(row.type, TYPES.privateDnsZone) ? row.name : row.id.split("/")[8];
      if (typeof zoneName !== "string" || !isNeededZoneName(zoneName)) continue;
      const added = this.collector.add(row);
      if (added && sameId(added.type, TYPES.privateDnsZone)) {
        this.linksRead.add(added.id.toLowerCase());
        this.reads.set(linksPathOf(added.id).toLowerCase(), Promise.resolve());
      } else if (added && linkedNetworkOf(added) === undefined)
        incomplete.add(added.id.split("/").slice(0, 9).join("/").toLowerCase());
    }
    await Promise.all(
      [...incomplete].map(async (zoneKey) => {
        const zone = this.collector.context.get(zoneKey);
        if (!zone) return;
        this.linksRead.delete(zoneKey);
        this.reads.delete(linksPathOf(zone.id).toLowerCase());
        await this.once(linksPathOf(zone.id), () => this.readLinks(zone.id, true));
      }),
    );
  }

  /**
   * One batch of the zone index's query; a batch that fails is split until the subscription at fault is isolated
   * (recorded as not searched).
   */
  private async queryZones(batch: string[]): Promise<{ rows: IndexRow[]; failed: Set<string> }> {
    const rows: IndexRow[] = [];
    try {
      let skipToken: string | undefined;
      do {
        this.requests.index += 1;
        await this.gate?.wait();
        let answered: FullOperationResponse | undefined;
        const page = await this.collector.clients
          .resourceGraph()
          .resources(
            {
              subscriptions: batch,
              query: ZONE_INDEX_QUERY,
              options: { resultFormat: "objectArray", ...(skipToken ? { skipToken } : {}) },
            },
            { onResponse: (response) => (answered = response) },
          )
          .finally(() => this.gate?.done(answered));
        rows.push(...(page.data as IndexRow[]));
        skipToken = page.skipToken;
      } while (skipToken);
      return { rows, failed: new Set() };
    } catch (error) {
      if (batch.length === 1) {
        const subscriptionId = batch[0] as string;
        this.collector.fail(
          error,
          zonesScopeOf(subscriptionId),
          "resourceType",
          "query the subscription's private DNS zones",
        );
        return { rows: [], failed: new Set([subscriptionId.toLowerCase()]) };
      }
      const half = Math.ceil(batch.length / 2);
      const parts = await Promise.all([
        this.queryZones(batch.slice(0, half)),
        this.queryZones(batch.slice(half)),
      ]);
      return {
        rows: parts.flatMap((p) => p.rows),
        failed: new Set(parts.flatMap((p) => [...p.failed])),
      };
    }
  }
}
