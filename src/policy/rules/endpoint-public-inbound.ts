import { endpointUpdateCommand, phrase } from "../describe.js";
import {
  isDisabled,
  isolationOf,
  networkSettingsUnknown,
  admitsOnlyWorkspaceRanges,
  publicNetworkAccess,
  endpointViolation,
  judgeEndpoints,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AMLNI001",
  slug: "endpoint-public-inbound",
  title: "Online endpoint accepts scoring requests from the internet",
  severity: "high",
  subject: "endpoint",
  posture: "private-inbound",
  rationale:
    "With public_network_access enabled, a managed online endpoint receives scoring requests from public networks, not only through the workspace's private endpoint; unless its workspace admits only selected IP ranges (AMLNI007), that is the whole internet.",
  remediation:
    "Set the endpoint's public_network_access to disabled (it can be changed after creation); clients then score through the workspace's private endpoint.",
  seeds: ["001", "000"],
  *evaluate({ view }) {
    yield* judgeEndpoints(view, function* ({ workspace, endpoint, kubernetes }) {
      const pna = publicNetworkAccess(endpoint);
      if (kubernetes || isDisabled(pna)) return;
      // Whether the internet or only selected ranges reach it is the workspace's (the hub's) to say.
      const isolation = isolationOf(view, workspace, endpoint.id);
      const unread = networkSettingsUnknown(view, isolation);
      if (unread) {
        yield { ...unread, subject: endpoint.id };
        return;
      }
      const ranges = isolation.state === "known" ? selectedIpsUnknown(view, isolation.owner) : undefined;
      if (ranges) {
        yield { ...ranges, subject: endpoint.id };
        return;
      }
      if (isolation.state === "known" && admitsOnlyWorkspaceRanges(isolation.owner)) return;
      yield endpointViolation(endpoint, isolation, {
        evidence: {
          effective: pna,
        },
        message: `${phrase(view, endpoint.id)} accepts scoring requests from the public internet (publicNetworkAccess is ${pna}).`,
        remediation: endpointUpdateCommand(view, endpoint.id, "public_network_access=disabled"),
      });
    });
  },
});
