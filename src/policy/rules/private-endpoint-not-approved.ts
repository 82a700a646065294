import { TYPES, parseResourceId, sameValue } from "../../model/arm-ids.js";
import type { SnapshotView } from "../../model/snapshot.js";
import { phrase } from "../describe.js";
import {
  ownsIsolation,
  privateEndpointConnections,
  privateEndpointOrigin,
  type PrivateEndpointOrigin,
} from "../terms.js";
import { defineRule } from "../types.js";

const NOT_APPROVED = ["Pending", "Rejected", "Disconnected", "Timeout"];

/** Where the request comes from: what its reviewer must know before approving it. */
function origin(view: SnapshotView, seen: PrivateEndpointOrigin | undefined): string {
  if (!seen) return "";
  const subscription = view.subscription(seen.subscriptionId)?.displayName ?? seen.subscriptionId;
  if (seen.subnetId) {
    const subnet = parseResourceId(seen.subnetId);
    const [network, name] = subnet?.names ?? [];
    return network && name
      ? ` Its private endpoint sits in subnet \`${name}\` of virtual network \`${network}\` (subscription \`${subscription}\`).`
      : ` Its private endpoint sits in subnet \`${seen.subnetId}\`.`;
  }
  if (!seen.subscriptionVisible) {
    return ` Its private endpoint is in subscription \`${subscription}\`, which the auditor cannot see (another tenant, or no access): confirm who owns it before approving.`;
  }
  return "";
}

export default defineRule({
  id: "AMLNI004",
  slug: "private-endpoint-not-approved",
  title: "Workspace private endpoint connection is not approved",
  severity: "medium",
  subject: "private endpoint connection",
  rationale:
    "Only an approved private endpoint connection carries traffic; a pending, rejected, disconnected or timed-out one leaves clients that rely on it without a private path to the workspace and its endpoints.",
  remediation:
    "Approve the connection if it is expected, or delete it and the orphaned private endpoint if it is not.",
  seeds: ["001"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      for (const connection of privateEndpointConnections(workspace)) {
        if (!NOT_APPROVED.some((s) => sameValue(connection.status, s))) continue;
        const id = connection.id || `${workspace.id}/privateEndpointConnections/${connection.name}`;
        const seen = connection.privateEndpointId
          ? privateEndpointOrigin(view, connection.privateEndpointId)
          : undefined;
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.privateEndpointConnection,
          evidence: {
            status: connection.status,
            privateEndpointId: connection.privateEndpointId ?? null,
            privateEndpointSubnetId: seen?.subnetId ?? null,
          },
          message: `${phrase(view, id)} is ${connection.status}, so it carries no traffic to the workspace.${origin(view, seen)}`,
          remediation: `az network private-endpoint-connection approve --id ${id} --description "Approved by the workspace owner" (or: az network private-endpoint-connection delete --id ${id})`,
        };
      }
    }
  },
});
