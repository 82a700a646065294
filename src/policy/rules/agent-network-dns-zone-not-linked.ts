import { lastName, sameValue } from "../../model/arm-ids.js";
import { linksPathOf } from "../../model/private-dns.js";
import { agentNetworkViolation, agentNetworks } from "../agent-dns-terms.js";
import { phrase } from "../describe.js";
import { linkCommand, unsearchedSubscriptions } from "../dns-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "PEDNS004",
  slug: "agent-network-dns-zone-not-linked",
  title: "The agents' virtual network cannot resolve the private names they need",
  severity: "high",
  subject: "account",
  rationale:
    "Agents injected into a subnet resolve names from that subnet's virtual network, not from the network of the account's private endpoint: with Azure-provided DNS, each private DNS zone the agents need — the Foundry resource's own and those of the stores they write to — must be linked to it, or the agents resolve public addresses and their calls leave the private network or fail.",
  remediation:
    "Link each missing private DNS zone to the agents' virtual network (az network private-dns link vnet create).",
  seeds: ["private-endpoint-dns", "foundry-agent-network"],
  *evaluate({ view }) {
    for (const read of agentNetworks(view, "PEDNS004", "azure-provided")) {
      if (read.state === "unknown") {
        yield* read.unknowns;
        continue;
      }
      const { account, virtualNetworkId: networkId, zones, unreadLinks } = read.network;
      const missing = zones.filter((z) => !z.linked);
      if (missing.length === 0) continue;
      if (unreadLinks) {
        yield {
          kind: "unknown",
          scope: linksPathOf(unreadLinks.id),
          subject: account.id,
          reason: `the links of private DNS zone \`${unreadLinks.name}\` could not be listed`,
        };
        continue;
      }
      const existing = missing.flatMap((z) => z.existingZones.slice(0, 1));
      // As PEDNS001: a zone in a subscription whose zones could not be read is not known (AUDIT001 says so).
      const unsearched = unsearchedSubscriptions(view);
      const unsearchedNote =
        unsearched.length > 0
          ? ` The private DNS zones of ${unsearched.map((id) => `\`${view.subscription(id)?.displayName ?? id}\``).join(", ")} could not be read (AUDIT001): a zone there is not known.`
          : "";
      yield agentNetworkViolation(read.network, {
        evidence: {
          missingZones: missing.map((z) => z.name),
          existingZones: existing.map((z) => z.id),
          ...(unsearched.length > 0
            ? { unsearchedSubscriptions: unsearched.map((id) => `/subscriptions/${id}`) }
            : {}),
        },
        message: `The agents of ${phrase(view, account.id)} run in virtual network \`${lastName(networkId)}\`, which uses Azure-provided DNS and has no private DNS zone linked for ${missing.map((z) => `\`${z.name}\``).join(", ")}: they resolve the public addresses of the names they call.${unsearchedNote}`,
        remediation: missing
          .map(({ name: n }) => {
            const zone = existing.find((z) => sameValue(z.name, n));
            return zone
              ? linkCommand(zone.id, networkId)
              : `create private DNS zone ${n} and link it: az network private-dns zone create --name ${n} --resource-group <dns-rg>, then az network private-dns link vnet create --zone-name ${n} --resource-group <dns-rg> --name ${lastName(networkId)}-link --virtual-network ${networkId} --registration-enabled false`;
          })
          .join("; "),
      });
    }
  },
});
