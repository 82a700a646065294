/**
 * The private endpoint DNS terms of DESIGN §3: for a private endpoint P behind an approved connection of a
 * judged resource R, `P.group`, `P.required`, its virtual network V (Azure-provided DNS or custom servers),
 * `P.zones`, and whether each required name is resolved in V — or why that cannot be told.
 */
import { TYPES, lastName, parseResourceId, sameId, sameValue, subscriptionOf } from "../model/arm-ids.js";
import { record, str } from "../model/json-values.js";
import {
  approvedPrivateEndpointIds,
  dnsServersOf,
  judgesDns,
  networksOfLinks,
  linksPathOf,
  requiredZoneNames,
  subnetOf,
  virtualNetworkOf,
  zoneGroupZoneIds,
  zoneGroupsPathOf,
} from "../model/private-dns.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { publicNetworkAccess, isDisabled } from "./terms.js";
import { phrase } from "./describe.js";
import type { Severity, Unknown, Violation } from "./types.js";

/** One required zone name, as P's network sees it. */
export interface RequiredZone {
  name: string;
  /** The zones of this name P's zone groups name (they may not exist). */
  ownZones: string[];
  /** Whether one of `ownZones` exists. */
  ownZoneExists: boolean;
  /** The zones of this name linked to V, through P's zone groups or not. */
  linkedZones: string[];
  /** The zones of this name the auditor found, linked or not. */
  existingZones: string[];
}

export interface EndpointDns {
  subject: ArmResource;
  privateEndpoint: ArmResource;
  /** `P.group`: the group id of P's connection to the subject. */
  group: string;
  virtualNetworkId: string;
  /** V's custom DNS servers; empty for Azure-provided DNS. */
  dnsServers: string[];
  zoneGroups: readonly ArmResource[];
  required: RequiredZone[];
  /**
   * Why the zones beyond P's own could not all be searched (a subscription's zones unread), if they could not:
   * a name not found may be served from there. PEDNS001/002 still fire (never a clear) and say so.
   */
  searchUnknown?: Unknown;
}

export type EndpointDnsRead = { state: "known"; dns: EndpointDns } | { state: "unknown"; unknown: Unknown };

function groupOf(privateEndpoint: ArmResource, subject: ArmResource): string {
  const props = privateEndpoint.properties ?? {};
  for (const name of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
    const connections = props[name];
    for (const c of Array.isArray(connections) ? connections : []) {
      const p = record(record(c)?.properties);
      const groups = p?.groupIds;
      if (
        sameId(str(p?.privateLinkServiceId), subject.id) &&
        Array.isArray(groups) &&
        typeof groups[0] === "string"
      )
        return groups[0];
    }
  }
  return sameId(subject.type, TYPES.workspace) ? "amlworkspace" : "account";
}

const unknownOf = (scope: string, subject: string, reason: string): EndpointDnsRead => ({
  state: "unknown",
  unknown: { kind: "unknown", scope, subject, reason },
});

/**
 * The subscriptions whose zones were not all searched: a zone list or query that failed, or a subscription that
 * could not be read at all (sorted, so both sources name them alike). A name not found may exist there.
 */
/** The subscriptions whose private DNS zones could not be searched (their zone list, or the whole subscription). */
export function unsearchedSubscriptions(view: SnapshotView): string[] {
  const ids = new Set<string>();
  for (const f of view.snapshot.failures) {
    const zones =
      f.scopeType === "resourceType" && /\/providers\/Microsoft\.Network\/privateDnsZones$/i.test(f.scope);
    const whole = f.scopeType === "subscription" && /^\/subscriptions\/[^/]+$/i.test(f.scope);
    const id = zones || whole ? /^\/subscriptions\/([^/]+)/i.exec(f.scope)?.[1] : undefined;
    if (id) ids.add(id.toLowerCase());
  }
  return [...ids].sort();
}

/** The networks a zone is linked to (lower case): derived once per run from the zone's links. */
const linkedNetworks = (view: SnapshotView, zoneId: string) =>
  view.deriveFromChildren(zoneId, TYPES.virtualNetworkLink, networksOfLinks);

/** The DNS of one approved private endpoint of a judged resource, as read. */
export function endpointDns(
  view: SnapshotView,
  subject: ArmResource,
  privateEndpointId: string,
): EndpointDnsRead {
  const privateEndpoint = view.get(privateEndpointId);
  if (!privateEndpoint || !view.propertiesKnown(privateEndpointId))
    return unknownOf(privateEndpointId, privateEndpointId, "the private endpoint could not be read");
  const groupsPath = zoneGroupsPathOf(privateEndpoint.id);
  if (!view.propertiesKnown(groupsPath))
    return unknownOf(groupsPath, privateEndpoint.id, "its DNS zone groups could not be listed");
  const virtualNetworkId = virtualNetworkOf(subnetOf(privateEndpoint));
  const network = virtualNetworkId ? view.get(virtualNetworkId) : undefined;
  if (!virtualNetworkId || !network || !view.propertiesKnown(virtualNetworkId))
    return unknownOf(
      virtualNetworkId ?? privateEndpoint.id,
      privateEndpoint.id,
      "the virtual network of the private endpoint could not be read",
    );
  const zoneGroups = view.childrenOf(privateEndpoint.id, TYPES.privateDnsZoneGroup);
  const ownZoneIds = zoneGroupZoneIds(zoneGroups);
  const linked = (zone: ArmResource) => linkedNetworks(view, zone.id).has(virtualNetworkId.toLowerCase());
  const required: RequiredZone[] = [];
  let searchUnknown: Unknown | undefined;
  for (const name of requiredZoneNames(subject)) {
    const ownZones = ownZoneIds.filter((id) => sameValue(lastName(id), name));
    for (const id of ownZones) {
      const failed = [id, linksPathOf(id)].find((scope) => !view.propertiesKnown(scope));
      if (failed)
        return unknownOf(
          failed,
          privateEndpoint.id,
          `the private DNS zone \`${name}\` it names could not be read`,
        );
    }
    const own = ownZones.flatMap((id) => {
      const zone = view.get(id);
      return zone ? [zone] : [];
    });
    const others = own.some(linked)
      ? []
      : view
          .everyOfType(TYPES.privateDnsZone)
          .filter((z) => sameValue(z.name, name) && !own.some((o) => sameId(o.id, z.id)));
    // A zone found whose links could not be listed may be the one linked to V.
    const unreadLinks = others.find((z) => !view.propertiesKnown(linksPathOf(z.id)));
    if (unreadLinks && !others.some(linked))
      return unknownOf(
        linksPathOf(unreadLinks.id),
        privateEndpoint.id,
        `the links of private DNS zone \`${name}\` could not be listed`,
      );
    const linkedZones = [...own, ...others].filter(linked).map((z) => z.id);
    if (linkedZones.length === 0 && !searchUnknown) {
      const unsearched = unsearchedSubscriptions(view);
      if (unsearched.length > 0)
        searchUnknown = {
          kind: "unknown",
          scope: unsearched.map((s) => `/subscriptions/${s}`).join(", "),
          subject: privateEndpoint.id,
          reason: `a private DNS zone \`${name}\` linked to its network may be among the zones that could not be read`,
        };
    }
    required.push({
      name,
      ownZones,
      ownZoneExists: own.length > 0,
      linkedZones,
      existingZones: [...own, ...others].map((z) => z.id),
    });
  }
  return {
    state: "known",
    dns: {
      subject,
      privateEndpoint,
      group: groupOf(privateEndpoint, subject),
      virtualNetworkId,
      dnsServers: dnsServersOf(network),
      zoneGroups,
      required,
      ...(searchUnknown ? { searchUnknown } : {}),
    },
  };
}

/** What the DNS rules judge: every approved private endpoint of every judged workspace and account. */
export function* judgedEndpoints(view: SnapshotView): Generator<EndpointDnsRead> {
  const subjects = [...view.workspaces(), ...view.ofType(TYPES.foundryAccount)].filter(judgesDns);
  for (const subject of subjects) {
    if (!view.propertiesKnown(subject.id)) continue; // its own rules report it unknown
    for (const id of approvedPrivateEndpointIds(subject)) yield endpointDns(view, subject, id);
  }
}

/** PEDNS001/002's severity: refused when R's public access is disabled, leaving the network otherwise. */
export function dnsSeverity(subject: ArmResource): Severity {
  return isDisabled(publicNetworkAccess(subject)) ? "high" : "medium";
}

/** What a client in V meets: refused, or its traffic on the public path. */
export function consequence(subject: ArmResource): string {
  return isDisabled(publicNetworkAccess(subject))
    ? "they are refused, since its public network access is disabled"
    : "their traffic leaves the network for its public endpoint";
}

export function resourceGroupOf(id: string): string {
  return parseResourceId(id)?.resourceGroup ?? "<resource-group>";
}

/** `--subscription` for a command on a resource in another subscription than the private endpoint's. */
export function subscriptionArg(id: string): string {
  return `--subscription ${subscriptionOf(id) ?? "<subscription>"}`;
}

const dashed = (name: string) => name.replace(/\./g, "-");

/** `az network private-dns link vnet create` for a zone and V, with the zone's own resource group and subscription. */
export function linkCommand(zoneId: string, virtualNetworkId: string): string {
  return `az network private-dns link vnet create --resource-group ${resourceGroupOf(zoneId)} --zone-name ${lastName(zoneId)} --name ${lastName(virtualNetworkId)}-link --virtual-network ${virtualNetworkId} --registration-enabled false ${subscriptionArg(zoneId)}`;
}

/** `az network private-dns zone create` in the private endpoint's resource group: where no zone of the name exists. */
export function zoneCreateCommand(name: string, privateEndpointId: string): string {
  return `az network private-dns zone create --resource-group ${resourceGroupOf(privateEndpointId)} --name ${name} ${subscriptionArg(privateEndpointId)}`;
}

/** The id a zone of this name will have when created by `zoneCreateCommand`. */
export function plannedZoneId(name: string, privateEndpointId: string): string {
  return `/subscriptions/${subscriptionOf(privateEndpointId) ?? "<subscription>"}/resourceGroups/${resourceGroupOf(privateEndpointId)}/providers/${TYPES.privateDnsZone}/${name}`;
}

/**
 * `az network private-endpoint dns-zone-group create|add` for each zone: `add` to P's first zone group when it has
 * one, else `create` a group named `default` with the first zone and `add` the rest.
 */
export function zoneGroupCommands(dns: EndpointDns, zoneIds: readonly string[]): string[] {
  const pe = dns.privateEndpoint;
  const base = `--resource-group ${resourceGroupOf(pe.id)} --endpoint-name ${pe.name} ${subscriptionArg(pe.id)}`;
  const existing = dns.zoneGroups[0]?.name;
  return zoneIds.map((zoneId, i) => {
    const verb = existing || i > 0 ? "add" : "create";
    return `az network private-endpoint dns-zone-group ${verb} ${base} --name ${existing ?? "default"} --private-dns-zone ${zoneId} --zone-name ${dashed(lastName(zoneId))}`;
  });
}

/** Evidence the DNS findings share. */
export function dnsEvidence(dns: EndpointDns): Record<string, unknown> {
  return {
    groupId: dns.group,
    privateLinkResource: dns.subject.id,
    subjectPublicNetworkAccess: publicNetworkAccess(dns.subject),
    virtualNetwork: dns.virtualNetworkId,
    dnsServers: dns.dnsServers.length > 0 ? dns.dnsServers : "Azure-provided",
    zoneGroups: dns.zoneGroups.map((g) => g.name),
  };
}

/** Evidence of a zone search that could not cover every audited subscription. */
export function unsearched(dns: EndpointDns): Record<string, unknown> {
  return dns.searchUnknown ? { unsearchedSubscriptions: dns.searchUnknown.scope.split(", ") } : {};
}

export function unsearchedSentence(view: SnapshotView, dns: EndpointDns): string {
  if (!dns.searchUnknown) return "";
  const names = dns.searchUnknown.scope
    .split(", ")
    .map((id) => `\`${view.subscription(subscriptionOf(id))?.displayName ?? subscriptionOf(id) ?? id}\``);
  return ` The private DNS zones of subscription${names.length === 1 ? "" : "s"} ${names.join(", ")} could not be read (AUDIT001): a zone there is not known.`;
}

/**
 * A PEDNS001/002 finding on the private endpoint: what the two share — the severity by R's public access, the
 * evidence, and a message that names P and R, says what P's network lacks (`lack`), what its clients meet, and
 * which subscriptions' zones could not be searched.
 */
export function resolutionViolation(
  view: SnapshotView,
  dns: EndpointDns,
  finding: { lack: string; evidence: Record<string, unknown>; remediation: string },
): Violation {
  return {
    kind: "violation",
    resourceId: dns.privateEndpoint.id,
    resourceType: TYPES.privateEndpoint,
    severity: dnsSeverity(dns.subject),
    evidence: { ...dnsEvidence(dns), ...unsearched(dns), ...finding.evidence },
    message: `${phrase(view, dns.privateEndpoint.id)}, the private endpoint of ${phrase(view, dns.subject.id)}, ${finding.lack} \`${lastName(dns.virtualNetworkId)}\`: clients there resolve the public address, and ${consequence(dns.subject)}.${unsearchedSentence(view, dns)}`,
    remediation: finding.remediation,
  };
}
