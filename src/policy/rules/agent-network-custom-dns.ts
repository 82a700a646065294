import { lastName } from "../../model/arm-ids.js";
import { agentNetworkViolation, agentNetworks } from "../agent-dns-terms.js";
import { phrase } from "../describe.js";
import { unsearchedSubscriptions } from "../dns-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "PEDNS005",
  slug: "agent-network-custom-dns",
  title: "The agents' virtual network uses custom DNS servers: their resolution cannot be proved from ARM",
  severity: "informational",
  subject: "account",
  rationale:
    "Agents injected into a subnet resolve names from that subnet's virtual network. When it uses its own DNS servers, the agents reach the Foundry resource and their stores privately only if those servers forward the private link zones to Azure DNS (168.63.129.16, from a network linked to the zones) or hold the records themselves. ARM does not show their forwarding, so the auditor states what it can see instead of a verdict.",
  remediation:
    "On the custom DNS servers, add conditional forwarders for each zone the agents need to 168.63.129.16 from a virtual network linked to the private DNS zones (or to a DNS Private Resolver inbound endpoint there), and check resolution from the agents' subnet.",
  seeds: ["custom-dns", "private-endpoint-dns", "foundry-agent-network"],
  *evaluate({ view }) {
    for (const read of agentNetworks(view, "PEDNS005", "custom")) {
      if (read.state === "unknown") {
        yield* read.unknowns;
        continue;
      }
      const { account, virtualNetworkId, dnsServers, zones, unreadLinks } = read.network;
      // A zone in a subscription whose zones could not be read may exist (AUDIT001 says so): null, not false.
      const unsearched = unsearchedSubscriptions(view).length > 0;
      const forwarders = zones.map((z) => z.name.replace(/^privatelink\./, "")).join(", ");
      yield agentNetworkViolation(read.network, {
        evidence: {
          requiredZones: zones.map((z) => ({
            name: z.name,
            exists: z.existingZones.length > 0 ? true : unsearched ? null : false,
            linkedToNetwork: z.linked ? true : unreadLinks || unsearched ? null : false,
          })),
        },
        message: `The agents of ${phrase(view, account.id)} run in virtual network \`${lastName(virtualNetworkId)}\`, which uses custom DNS servers (${dnsServers.join(", ")}): whether the agents resolve the private addresses of ${zones.length} zone${zones.length === 1 ? "" : "s"} they need depends on their forwarding, which ARM does not show.`,
        remediation: `On ${dnsServers.join(", ")}: forward ${forwarders} to 168.63.129.16 from a virtual network linked to the zones ${zones.map((z) => z.name).join(", ")} (or to a DNS Private Resolver inbound endpoint there); then check from the agents' subnet that ${lastName(account.id)}'s names and its stores' resolve to private addresses.`,
      });
    }
  },
});
