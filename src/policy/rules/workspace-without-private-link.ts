import { TYPES } from "../../model/arm-ids.js";
import { phrase, workspacePrivateEndpointCommand } from "../describe.js";
import { approvedConnections, ownsIsolation, privateEndpointConnections } from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI005",
  slug: "workspace-without-private-link",
  title: "Workspace has no approved private endpoint",
  severity: "high",
  subject: "workspace",
  posture: "private-workspace",
  rationale:
    "Private inbound to the workspace and to its managed online endpoints goes through the workspace's private endpoint; without an approved one there is no private path.",
  remediation:
    "Create a private endpoint for the workspace (group id amlworkspace) with its private DNS records.",
  seeds: ["002", "003"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      const approved = approvedConnections(workspace);
      if (approved > 0) continue;
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: {
          approvedPrivateEndpoints: 0,
          privateEndpointConnections: privateEndpointConnections(workspace).map((c) => ({
            name: c.name,
            status: c.status,
          })),
        },
        message: `${phrase(view, workspace.id)} has no approved private endpoint, so it cannot be reached privately.`,
        remediation: workspacePrivateEndpointCommand(view, workspace.id),
      };
    }
  },
});
