import { TYPES, lastName } from "../../arm-ids.js";
import { phrase } from "../describe.js";
import {
  consequence,
  dnsEvidence,
  dnsSeverity,
  unsearched,
  unsearchedSentence,
  judgedEndpoints,
  linkCommand,
  zoneCreateCommand,
} from "../dns-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "PEDNS002",
  slug: "private-dns-zone-not-linked",
  title: "Private endpoint's DNS zone is not linked to its virtual network",
  severity: "high",
  subject: "private endpoint",
  rationale:
    "A zone group writes the private endpoint's records into its zones, but Azure-provided DNS answers from a private zone only in the virtual networks linked to it. A zone the private endpoint names that is not linked to its network, with no other zone of that name linked there, leaves clients in that network resolving the public address.",
  remediation:
    "Link the zone to the private endpoint's virtual network (az network private-dns link vnet create), or create it first if the zone group names a zone that no longer exists.",
  seeds: ["private-endpoint-dns"],
  *evaluate({ view }) {
    for (const read of judgedEndpoints(view)) {
      if (read.state === "unknown") continue; // PEDNS001 reports it
      const { dns } = read;
      if (dns.dnsServers.length > 0) continue;
      const unlinked = dns.required.filter((z) => z.ownZones.length > 0 && z.linkedZones.length === 0);
      if (unlinked.length === 0) continue;
      const commands = unlinked.flatMap((z) => {
        const zoneId = z.ownZones[0] as string;
        return z.ownZoneExists
          ? [linkCommand(zoneId, dns.virtualNetworkId)]
          : [zoneCreateCommand(z.name, zoneId), linkCommand(zoneId, dns.virtualNetworkId)];
      });
      const names = unlinked
        .map((z) => `\`${z.name}\`${z.ownZoneExists ? "" : " (which no longer exists)"}`)
        .join(", ");
      yield {
        kind: "violation",
        resourceId: dns.privateEndpoint.id,
        resourceType: TYPES.privateEndpoint,
        severity: dnsSeverity(dns.subject),
        evidence: {
          ...dnsEvidence(dns),
          ...unsearched(dns),
          unlinkedZones: unlinked.flatMap((z) => z.ownZones),
          missingZoneResources: unlinked.filter((z) => !z.ownZoneExists).map((z) => z.name),
        },
        message: `${phrase(view, dns.privateEndpoint.id)}, the private endpoint of ${phrase(view, dns.subject.id)}, writes its records to private DNS zone ${names}, not linked to its virtual network \`${lastName(dns.virtualNetworkId)}\`: clients there resolve the public address, and ${consequence(dns.subject)}.${unsearchedSentence(view, dns)}`,
        remediation: commands.join("; "),
      };
    }
  },
});
