import { TYPES, sameValue } from "../../model/arm-ids.js";
import { phrase, locate } from "../describe.js";
import { appliedRules, broadness } from "../outbound-rules.js";
import { modeIs, judgeManagedNetworks } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO009",
  slug: "broad-outbound-rule",
  title: "Approved-outbound managed network has a user-defined rule that opens too much",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "'Allow only approved outbound' protects against exfiltration only while its rules are narrow: a wildcard FQDN the documentation does not call for, the Internet or AzureCloud service tag, the tag of a service that stores data (it reaches that service in every tenant), address prefixes that cover the internet, or every port turns it back into broad outbound. Rules are judged as the service applies them: address prefixes replace a rule's service tag, and a deny rule opens nothing.",
  remediation:
    "Replace the rule with FQDN rules naming the exact hosts, or a private endpoint rule to the one resource needed.",
  seeds: ["001", "ml-managed-network", "service-tags"],
  *evaluate({ view }) {
    yield* judgeManagedNetworks(view, function* (workspace) {
      if (!modeIs(workspace, "AllowOnlyApprovedOutbound")) return;
      for (const rule of appliedRules(workspace.properties?.managedNetwork)) {
        if (!sameValue(rule.category, "UserDefined")) continue;
        const why = broadness(rule, "ml");
        if (!why) continue;
        const id = `${workspace.id}/outboundRules/${rule.name}`;
        const where = locate(view, workspace.id);
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.outboundRule,
          evidence: { type: rule.type ?? null, category: rule.category, destination: rule.destination },
          message: `${phrase(view, id)} allows broad outbound from the approved-only managed network: ${why}.`,
          remediation: `az ml workspace outbound-rule remove --rule ${rule.name} --workspace-name ${where.workspace ?? workspace.name} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}; then add narrow rules (az ml workspace outbound-rule set --rule <name> --type fqdn --destination <exact-host> ..., or --type private_endpoint --service-resource-id <resource-id> --subresource-target <target>).`,
        };
      }
    });
  },
});
