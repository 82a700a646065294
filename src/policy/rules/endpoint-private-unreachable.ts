import { endpointUpdateCommand, phrase, workspacePrivateEndpointCommand } from "../describe.js";
import {
  approvedConnections,
  isDisabled,
  isolationOf,
  publicNetworkAccess,
  endpointViolation,
  judgeEndpoints,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI002",
  slug: "endpoint-private-unreachable",
  title: "Private online endpoint has no approved workspace private endpoint to be reached through",
  severity: "medium",
  subject: "endpoint",
  rationale:
    "An endpoint with public_network_access disabled receives scoring requests only through the workspace's private endpoint; with no approved one, no client can reach it.",
  remediation:
    "Create (or approve) a private endpoint for the workspace in the clients' virtual network, with its DNS records; or enable the endpoint's public access if it is meant to be public.",
  seeds: ["001"],
  *evaluate({ view }) {
    yield* judgeEndpoints(view, function* ({ workspace, endpoint, kubernetes }) {
      if (kubernetes || !isDisabled(publicNetworkAccess(endpoint))) return;
      // A project has no private endpoint of its own: clients reach it through its hub's.
      const isolation = isolationOf(view, workspace, endpoint.id);
      if (isolation.state === "unknown") {
        yield isolation.unknown;
        return;
      }
      const approved = approvedConnections(isolation.owner);
      if (approved > 0) return;
      yield endpointViolation(endpoint, isolation, {
        evidence: {
          workspaceApprovedPrivateEndpoints: approved,
        },
        message: `${phrase(view, endpoint.id)} has public access disabled but its workspace has no approved private endpoint, so no client can reach it.`,
        remediation: `${workspacePrivateEndpointCommand(view, isolation.owner.id)}; or, if the endpoint is meant to be public: ${endpointUpdateCommand(view, endpoint.id, "public_network_access=enabled")}`,
      });
    });
  },
});
