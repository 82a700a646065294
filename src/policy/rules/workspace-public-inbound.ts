import { TYPES } from "../../model/arm-ids.js";
import { phrase, workspaceUpdateCommand } from "../describe.js";
import {
  isDisabled,
  ownsIsolation,
  publicFromSelectedIps,
  publicNetworkAccess,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI003",
  slug: "workspace-public-inbound",
  title: "Workspace is reachable from public networks",
  severity: "high",
  subject: "workspace",
  posture: "private-workspace",
  rationale:
    "While the workspace's public_network_access is enabled for all networks, its API and its scoring endpoints can be reached from the whole internet as well as from the virtual network.",
  remediation:
    "Disable the workspace's public network access once clients use its private endpoint. Deployments with public outbound then fail (see AMLNO004): move them to secure outbound first.",
  seeds: ["002", "004"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      const pna = publicNetworkAccess(workspace);
      if (isDisabled(pna)) continue;
      const ranges = selectedIpsUnknown(view, workspace);
      if (ranges) {
        yield ranges;
        continue;
      }
      if (publicFromSelectedIps(workspace)) continue; // AMLNI008 judges those
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: { publicNetworkAccess: workspace.properties?.publicNetworkAccess ?? null, effective: pna },
        message: `${phrase(view, workspace.id)} accepts connections from public networks (publicNetworkAccess is ${pna}).`,
        remediation: workspaceUpdateCommand(view, workspace.id, "--public-network-access Disabled"),
      };
    }
  },
});
