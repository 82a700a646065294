/**
 * The agents' own network (PEDNS004, PEDNS005): agents injected into a subnet (`networkInjections[].subnetArmId`,
 * CognitiveServices 2026-05-01) resolve names from that subnet's virtual network, not from the network of the
 * account's private endpoint. What they need resolved there: the Foundry resource's own zones and those of the
 * stores they write to.
 */
import { TYPES, sameValue } from "../model/arm-ids.js";
import { agentInjection, isFoundryResource } from "../model/foundry.js";
import {
  AGENT_STORE_ZONES,
  dnsServersOf,
  linksPathOf,
  networksOfLinks,
  requiredZoneNames,
  virtualNetworkOf,
} from "../model/private-dns.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { agentStoresOf } from "./agent-store-terms.js";
import { accountUnknown, foundryAccounts } from "./foundry-terms.js";
import type { Unknown, Violation } from "./types.js";

/** One zone name the agents need, as their network sees it. */
export interface AgentZone {
  name: string;
  /** The zones of this name the auditor found, linked or not. */
  existingZones: ArmResource[];
  /** Whether one of them is linked to the agents' network. */
  linked: boolean;
}

export interface AgentNetwork {
  account: ArmResource;
  subnetId: string;
  virtualNetworkId: string;
  /** The network's custom DNS servers; empty for Azure-provided DNS. */
  dnsServers: string[];
  /** The Foundry resource's zones, then its stores'. */
  zones: AgentZone[];
  /** A zone of a needed name whose links could not be listed: whether it is linked is not known. */
  unreadLinks?: ArmResource;
}

export type AgentNetworkRead =
  { state: "known"; network: AgentNetwork } | { state: "unknown"; unknowns: Unknown[] };

/**
 * Every Foundry resource whose agents are injected into a subnet whose network resolves with `resolver` (Azure
 * DNS or custom servers), with the zones its agents need; or why that cannot be told. A resource whose agents
 * are not injected, or whose network resolves the other way, is skipped before its stores are looked at.
 */
export function* agentNetworks(
  view: SnapshotView,
  ruleId: string,
  resolver: "azure-provided" | "custom",
): Generator<AgentNetworkRead> {
  for (const account of foundryAccounts(view)) {
    if (!isFoundryResource(account)) continue;
    const subnetId = agentInjection(account)?.subnetArmId;
    if (!subnetId) continue;
    const unread = accountUnknown(view, account);
    if (unread) {
      yield { state: "unknown", unknowns: [unread] };
      continue;
    }
    const virtualNetworkId = virtualNetworkOf(subnetId);
    const network = virtualNetworkId ? view.get(virtualNetworkId) : undefined;
    if (!virtualNetworkId || !network || !view.propertiesKnown(virtualNetworkId)) {
      yield {
        state: "unknown",
        unknowns: [
          {
            kind: "unknown",
            scope: virtualNetworkId ?? account.id,
            subject: account.id,
            reason: `${ruleId} needs the agents' virtual network`,
          },
        ],
      };
      continue;
    }
    const dnsServers = dnsServersOf(network);
    if (dnsServers.length > 0 !== (resolver === "custom")) continue;
    const stores = agentStoresOf(view, account, ruleId);
    if (stores.state === "unknown") {
      yield { state: "unknown", unknowns: stores.unknowns };
      continue;
    }
    const names = [
      ...requiredZoneNames(account),
      ...stores.stores.flatMap((s) => AGENT_STORE_ZONES[s.resource.type.toLowerCase()] ?? []),
    ].filter((n, i, all) => all.findIndex((m) => sameValue(m, n)) === i);
    const zonesNamed = (name: string) =>
      view.everyOfType(TYPES.privateDnsZone).filter((z) => sameValue(z.name, name));
    const zones = names.map((name) => {
      const existingZones = zonesNamed(name);
      const linked = existingZones.some((z) =>
        view
          .deriveFromChildren(z.id, TYPES.virtualNetworkLink, networksOfLinks)
          .has(virtualNetworkId.toLowerCase()),
      );
      return { name, existingZones, linked };
    });
    const unreadLinks = zones
      .flatMap((z) => z.existingZones)
      .find((z) => !view.propertiesKnown(linksPathOf(z.id)));
    yield {
      state: "known",
      network: {
        account,
        subnetId,
        virtualNetworkId,
        dnsServers,
        zones,
        ...(unreadLinks ? { unreadLinks } : {}),
      },
    };
  }
}

/**
 * A finding on the account whose agents' network it judges: its evidence opens with that network (the subnet, the
 * virtual network and its DNS servers), then what the rule found there.
 */
export function agentNetworkViolation(
  network: AgentNetwork,
  found: { evidence: Record<string, unknown>; message: string; remediation: string },
): Violation {
  return {
    kind: "violation",
    resourceId: network.account.id,
    resourceType: TYPES.foundryAccount,
    evidence: {
      agentSubnet: network.subnetId,
      virtualNetwork: network.virtualNetworkId,
      dnsServers: network.dnsServers,
      ...found.evidence,
    },
    message: found.message,
    remediation: found.remediation,
  };
}
