import { TYPES } from "../../model/arm-ids.js";
import { networkRuleCommands, phrase } from "../describe.js";
import {
  isDisabled,
  networkAcls,
  ownsIsolation,
  publicFromSelectedIps,
  publicNetworkAccess,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI008",
  slug: "workspace-public-selected-ips",
  title: "Workspace is reachable from selected public IP ranges",
  severity: "medium",
  subject: "workspace",
  posture: "private-workspace",
  rationale:
    "A workspace with public network access enabled from selected IP addresses admits its API, studio and endpoints to those internet ranges besides its private endpoint; the profile requires a private workspace.",
  remediation:
    "Keep the ranges to networks that cannot use the private endpoint, or disable public network access once clients use the private endpoint.",
  seeds: ["configure-private-link"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace) || isDisabled(publicNetworkAccess(workspace))) continue;
      const ranges = selectedIpsUnknown(view, workspace);
      if (ranges) {
        yield ranges;
        continue;
      }
      if (!publicFromSelectedIps(workspace)) continue;
      const { ipRules } = networkAcls(workspace);
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: {
          publicNetworkAccess: workspace.properties?.publicNetworkAccess ?? null,
          defaultAction: "Deny",
          ipRules,
        },
        message: `${phrase(view, workspace.id)} accepts connections from ${ipRules.length} public IP range${ipRules.length === 1 ? "" : "s"} (${ipRules.join(", ") || "none listed"}).`,
        remediation: networkRuleCommands(view, workspace.id),
      };
    }
  },
});
