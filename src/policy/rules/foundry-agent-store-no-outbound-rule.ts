import { TYPES, sameId, sameValue } from "../../model/arm-ids.js";
import { accountArgs, phrase } from "../describe.js";
import { agentStoresOf, storeLabel } from "../agent-store-terms.js";
import { judgeFoundryNetworks } from "../foundry-terms.js";
import { appliedRules } from "../outbound-rules.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO008",
  slug: "foundry-agent-store-no-outbound-rule",
  title: "Foundry managed network has no private endpoint rule to a store its agents use",
  severity: "medium",
  subject: "account",
  posture: "secure-outbound",
  rationale:
    "Agents in the Microsoft managed network reach their Cosmos DB, AI Search and Storage only through private endpoint outbound rules of that network: a store with no such rule is reached over the public network, or not at all once its public access is disabled.",
  remediation:
    "Add a PrivateEndpoint outbound rule to each store (az cognitiveservices account managed-network outbound-rule set … --type privateendpoint), then provision the network.",
  seeds: ["foundry-managed-network", "foundry-agent-network"],
  *evaluate({ view }) {
    yield* judgeFoundryNetworks(view, function* (account, network) {
      if (network.missing || sameValue(network.mode, "Disabled")) return; // no managed network (AIFNO006's)
      const read = agentStoresOf(view, account, "AIFNO008");
      if (read.state === "unknown") {
        yield* read.unknowns;
        return;
      }
      const rules = appliedRules({ outboundRules: network.outboundRules }).filter((r) =>
        sameValue(r.type, "PrivateEndpoint"),
      );
      const missing = read.stores.filter((s) => !rules.some((r) => sameId(r.serviceResourceId, s.id)));
      if (missing.length === 0) return;
      const args = accountArgs(view, account.id);
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          isolationMode: network.mode,
          storesWithoutRule: missing.map((s) => ({ id: s.id, holds: s.holds, connections: s.connections })),
        },
        message: `The managed network of ${phrase(view, account.id)} has no private endpoint rule to ${missing.map(storeLabel).join(", ")}: its agents reach ${missing.length === 1 ? "it" : "them"} outside the managed network's private paths.`,
        remediation: `${missing
          .map(
            (s) =>
              `az cognitiveservices account managed-network outbound-rule set ${args} --rule pe-${s.resource.name} --type privateendpoint --destination ${s.id} --subresource-target ${sameId(s.resource.type, TYPES.cosmosAccount) ? "Sql" : sameId(s.resource.type, TYPES.searchService) ? "searchService" : "blob"}`,
          )
          .join("; ")}; then az cognitiveservices account managed-network provision-network ${args}.`,
      };
    });
  },
});
