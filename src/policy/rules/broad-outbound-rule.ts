import { TYPES, sameValue } from "../../arm-ids.js";
import { phrase, locate } from "../describe.js";
import { broadness, outboundRulesOf, managedNetworkUnknown, modeIs, ownsIsolation } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNO009",
  slug: "broad-outbound-rule",
  title: "Approved-outbound managed network has a user-defined rule that opens too much",
  severity: "medium",
  subject: "outbound rule",
  rationale:
    "'Allow only approved outbound' protects against exfiltration only while its rules are narrow: a wildcard FQDN, the Internet or AzureCloud service tag, or every port turns it back into broad internet outbound.",
  remediation:
    "Replace the rule with FQDN or service tag rules that name the exact destinations and ports needed.",
  seeds: ["001"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      const unread = managedNetworkUnknown(view, workspace);
      if (unread) {
        yield unread;
        continue;
      }
      if (!modeIs(workspace, "AllowOnlyApprovedOutbound")) continue;
      const rules = outboundRulesOf(workspace.properties?.managedNetwork);
      for (const [name, value] of Object.entries(rules)) {
        const rule = value;
        if (!sameValue(rule.category, "UserDefined")) continue;
        const why = broadness(rule);
        if (!why) continue;
        const id = `${workspace.id}/outboundRules/${name}`;
        const where = locate(view, workspace.id);
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.outboundRule,
          evidence: { type: rule.type, category: rule.category, destination: rule.destination ?? null },
          message: `${phrase(view, id)} allows broad outbound from the approved-only managed network: ${why}.`,
          remediation: `az ml workspace outbound-rule remove --rule ${name} --workspace-name ${where.workspace ?? workspace.name} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}; then add narrow rules (az ml workspace outbound-rule set --rule <name> --type fqdn --destination <exact-host> ...).`,
        };
      }
    }
  },
});
