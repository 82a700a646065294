import { TYPES, lastName } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { dnsEvidence, judgedEndpoints } from "../dns-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "PEDNS003",
  slug: "private-endpoint-custom-dns",
  title: "Private endpoint's network uses custom DNS servers: resolution cannot be proved from ARM",
  severity: "informational",
  subject: "private endpoint",
  rationale:
    "When the private endpoint's virtual network uses its own DNS servers, clients resolve the resource's private address only if those servers forward the private link zones to Azure DNS (168.63.129.16, from a network linked to the zones) or hold the records themselves. ARM does not show their forwarding, so the auditor states what it can see instead of a verdict.",
  remediation:
    "On the custom DNS servers, add conditional forwarders for each required zone's public name to 168.63.129.16 from a virtual network linked to the private DNS zones (or to a DNS Private Resolver inbound endpoint there), and check resolution from a client.",
  seeds: ["custom-dns"],
  *evaluate({ view }) {
    for (const read of judgedEndpoints(view)) {
      if (read.state === "unknown") continue; // PEDNS001 reports it
      const { dns } = read;
      if (dns.dnsServers.length === 0) continue;
      const unsearched = dns.searchUnknown !== undefined;
      const required = dns.required.map((z) => ({
        name: z.name,
        exists: z.existingZones.length > 0 ? true : unsearched ? null : false,
        linkedToNetwork: z.linkedZones.length > 0 ? true : unsearched ? null : false,
      }));
      const forwarders = dns.required.map((z) => z.name.replace(/^privatelink\./, "")).join(", ");
      yield {
        kind: "violation",
        resourceId: dns.privateEndpoint.id,
        resourceType: TYPES.privateEndpoint,
        evidence: { ...dnsEvidence(dns), requiredZones: required },
        message: `${phrase(view, dns.privateEndpoint.id)}, the private endpoint of ${phrase(view, dns.subject.id)}, is in virtual network \`${lastName(dns.virtualNetworkId)}\`, which uses custom DNS servers (${dns.dnsServers.join(", ")}): whether clients there resolve its private address depends on their forwarding, which ARM does not show.`,
        remediation: `On ${dns.dnsServers.join(", ")}: forward ${forwarders} to 168.63.129.16 from a virtual network linked to the zones ${dns.required.map((z) => z.name).join(", ")} (or to a DNS Private Resolver inbound endpoint there); then check from a client that ${lastName(dns.subject.id)}'s name resolves to the private endpoint's address.`,
      };
    }
  },
});
