import { endpointUpdateCommand, networkRuleCommands, phrase, staleRangeCommands } from "../describe.js";
import {
  isDisabled,
  isolationOf,
  networkAcls,
  networkSettingsUnknown,
  publicFromSelectedIps,
  staleSelectedIps,
  publicNetworkAccess,
  endpointViolation,
  judgeEndpoints,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI007",
  slug: "endpoint-public-selected-ips",
  title: "Online endpoint accepts scoring requests from the workspace's selected public IP ranges",
  severity: "medium",
  subject: "endpoint",
  posture: "private-inbound",
  rationale:
    "An endpoint with public_network_access enabled in a workspace that admits only selected IP ranges is reachable from those internet ranges: narrower than the whole internet, but still public traffic that bypasses the private endpoint.",
  remediation:
    "Disable the endpoint's public network access so clients score through the workspace's private endpoint; or keep the workspace's IP ranges to the few networks that need it.",
  seeds: ["configure-private-link"],
  *evaluate({ view }) {
    yield* judgeEndpoints(
      view,
      function* ({ workspace, endpoint, kubernetes }) {
        if (kubernetes !== false || isDisabled(publicNetworkAccess(endpoint))) return; // AMLNI001 reports the unknown
        const isolation = isolationOf(view, workspace, endpoint.id);
        if (isolation.state === "unknown" || networkSettingsUnknown(view, isolation)) return; // idem
        if (selectedIpsUnknown(view, isolation.owner)) return; // idem
        const stale = staleSelectedIps(isolation.owner);
        if (!stale && !publicFromSelectedIps(isolation.owner)) return;
        const { ipRules } = networkAcls(isolation.owner);
        const ranges = `${ipRules.length} public IP range${ipRules.length === 1 ? "" : "s"} of its workspace (${ipRules.join(", ") || "none listed"})`;
        yield endpointViolation(endpoint, isolation, {
          evidence: {
            workspacePublicNetworkAccess: isolation.owner.properties?.publicNetworkAccess ?? null,
            workspaceDefaultAction: "Deny",
            ipRules,
            ...(stale ? { staleWorkspaceRanges: true } : {}),
          },
          message: stale
            ? `${phrase(view, endpoint.id)} accepts scoring requests from ${ranges}: the workspace's public access is disabled, but its endpoints go on admitting the selected IPs it kept.`
            : `${phrase(view, endpoint.id)} accepts scoring requests from ${ranges}.`,
          remediation: stale
            ? `${endpointUpdateCommand(view, endpoint.id, "public_network_access=disabled")}; and remove the workspace's stale ranges: ${staleRangeCommands(view, isolation.owner.id, ipRules)}`
            : `${endpointUpdateCommand(view, endpoint.id, "public_network_access=disabled")}; or narrow the ranges: ${networkRuleCommands(view, isolation.owner.id)}`,
        });
      },
      "skip",
    );
  },
});
