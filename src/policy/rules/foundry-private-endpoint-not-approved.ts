import { TYPES, sameValue } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import { judgeAccounts, projectNames, projectsSentence } from "../foundry-terms.js";
import { privateEndpointConnections, privateEndpointOrigin } from "../terms.js";
import { defineRule } from "../types.js";

const NOT_APPROVED = ["Pending", "Rejected", "Disconnected", "Timeout"];

export default defineRule({
  id: "AIFNI005",
  slug: "foundry-private-endpoint-not-approved",
  title: "Foundry or Azure OpenAI private endpoint connection is not approved",
  severity: "medium",
  subject: "private endpoint connection",
  rationale:
    "Only an approved private endpoint connection carries traffic; a pending, rejected, disconnected or timed-out one leaves the clients that rely on it without a private path to the account and its projects.",
  remediation:
    "Approve the connection if it is expected, or delete it and the orphaned private endpoint if it is not.",
  seeds: ["foundry-private-link"],
  *evaluate({ view }) {
    yield* judgeAccounts(view, function* (account) {
      for (const connection of privateEndpointConnections(account)) {
        if (!NOT_APPROVED.some((s) => sameValue(connection.status, s))) continue;
        const id = connection.id || `${account.id}/privateEndpointConnections/${connection.name}`;
        const seen = connection.privateEndpointId
          ? privateEndpointOrigin(view, connection.privateEndpointId)
          : undefined;
        yield {
          kind: "violation",
          resourceId: id,
          resourceType: TYPES.foundryPrivateEndpointConnection,
          evidence: {
            status: connection.status,
            privateEndpointId: connection.privateEndpointId ?? null,
            privateEndpointSubnetId: seen?.subnetId ?? null,
            projects: projectNames(view, account),
          },
          message: `${phrase(view, id)} is ${connection.status}, so it carries no traffic to the account.${projectsSentence(view, account)}`,
          remediation: `az network private-endpoint-connection approve --id ${id} --description "Approved by the account owner" (or: az network private-endpoint-connection delete --id ${id})`,
        };
      }
    });
  },
});
