import { judgedEndpoints, linkCommand, resolutionViolation, zoneCreateCommand } from "../dns-terms.js";
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
      yield resolutionViolation(view, dns, {
        lack: `writes its records to private DNS zone ${names}, not linked to its virtual network`,
        evidence: {
          unlinkedZones: unlinked.flatMap((z) => z.ownZones),
          missingZoneResources: unlinked.filter((z) => !z.ownZoneExists).map((z) => z.name),
        },
        remediation: commands.join("; "),
      });
    }
  },
});
