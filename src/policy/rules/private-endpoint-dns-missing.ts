import {
  judgedEndpoints,
  linkCommand,
  plannedZoneId,
  resolutionViolation,
  zoneCreateCommand,
  zoneGroupCommands,
} from "../dns-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "PEDNS001",
  slug: "private-endpoint-dns-missing",
  title: "Private endpoint has no private DNS zone for a name it needs",
  severity: "high",
  subject: "private endpoint",
  rationale:
    "With Azure-provided DNS, clients in the private endpoint's network resolve the resource's private address only through a private DNS zone of the name its group needs, linked to that network. With neither a zone group naming one nor such a zone linked, they resolve the public address: refused when public access is disabled, or sent over the public path when it is not.",
  remediation:
    "Give the private endpoint a DNS zone group with every zone its group needs (az network private-endpoint dns-zone-group create|add), and link each zone to the private endpoint's virtual network (az network private-dns link vnet create).",
  seeds: ["private-endpoint-dns"],
  *evaluate({ view }) {
    for (const read of judgedEndpoints(view)) {
      if (read.state === "unknown") {
        yield read.unknown;
        continue;
      }
      const { dns } = read;
      if (dns.dnsServers.length > 0) continue; // PEDNS003: custom DNS is not provable from ARM
      const missing = dns.required.filter((z) => z.ownZones.length === 0 && z.linkedZones.length === 0);
      if (missing.length === 0) continue;
      const commands: string[] = [];
      const zoneIds = missing.map((z) => {
        const existing = z.existingZones[0];
        if (existing) {
          commands.push(linkCommand(existing, dns.virtualNetworkId));
          return existing;
        }
        const planned = plannedZoneId(z.name, dns.privateEndpoint.id);
        commands.push(
          zoneCreateCommand(z.name, dns.privateEndpoint.id),
          linkCommand(planned, dns.virtualNetworkId),
        );
        return planned;
      });
      commands.push(...zoneGroupCommands(dns, zoneIds));
      const names = missing.map((z) => `\`${z.name}\``).join(", ");
      yield resolutionViolation(view, dns, {
        lack: `has no private DNS zone ${names} in its zone groups or linked to its virtual network`,
        evidence: {
          missingZones: missing.map((z) => z.name),
          existingUnlinkedZones: missing.flatMap((z) => z.existingZones),
        },
        remediation: commands.join("; "),
      });
    }
  },
});
