import { TYPES, sameValue } from "../../model/arm-ids.js";
import { agentInjection } from "../../model/foundry.js";
import { phrase } from "../describe.js";
import { agentStoresOf, approvedConnections, storeExposure, storeLabel } from "../agent-store-terms.js";
import { judgeFoundryResources } from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO005",
  slug: "foundry-agent-store-public",
  title: "A store the Foundry agents write to is public or has no private endpoint",
  severity: "medium",
  subject: "account",
  rationale:
    "In the standard agent setup the agents keep their threads in Cosmos DB, their vectors in AI Search and their files in Storage. Learn's private agent setup ends by confirming public network access is disabled on each of them, and warns that private endpoints to AI Search, Storage and Cosmos DB are not created for you: an agent behind a private Foundry resource that writes to a public store leaves its data outside the isolation.",
  remediation:
    "Disable public network access on each store the agents use, and give each an approved private endpoint in the agents' virtual network.",
  seeds: ["foundry-agent-network"],
  *evaluate({ view }) {
    yield* judgeFoundryResources(view, function* (account) {
      const read = agentStoresOf(view, account, "AIFNO005");
      if (read.state === "unknown") {
        yield* read.unknowns;
        return;
      }
      const exposed = read.stores.flatMap((store) => {
        const exposure = storeExposure(store.resource);
        const approved = approvedConnections(store.resource);
        return exposure.internet || approved === 0 ? [{ store, exposure, approved }] : [];
      });
      if (exposed.length === 0) return;
      // "Isolated" agents writing to a public store: the account is private and its agents injected.
      const isolated =
        sameValue(account.properties?.publicNetworkAccess, "Disabled") &&
        agentInjection(account) !== undefined;
      const parts = exposed.map(
        ({ store, exposure, approved }) =>
          `${storeLabel(store)} ${[exposure.internet ? "admits the internet" : "", approved === 0 ? "has no approved private endpoint" : ""].filter(Boolean).join(" and ")}`,
      );
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        severity: isolated ? "high" : "medium",
        evidence: {
          publicNetworkAccess: account.properties?.publicNetworkAccess ?? null,
          agentsInjected: agentInjection(account) !== undefined,
          stores: exposed.map(({ store, exposure, approved }) => ({
            id: store.id,
            holds: store.holds,
            connections: store.connections,
            internet: exposure.internet,
            ...exposure.evidence,
            approvedPrivateEndpoints: approved,
          })),
        },
        message: `The agents of ${phrase(view, account.id)} write to stores outside its isolation: ${parts.join("; ")}.`,
        remediation: exposed
          .map(({ store, exposure, approved }) =>
            [
              exposure.internet ? disableCommand(store.resource) : "",
              approved === 0
                ? `az network private-endpoint create --name pe-${store.resource.name} --resource-group <network-rg> --vnet-name <agents-vnet> --subnet <subnet> --private-connection-resource-id ${store.id} --group-id ${groupOf(store.resource)} --connection-name ${store.resource.name}`
                : "",
            ]
              .filter(Boolean)
              .join("; "),
          )
          .join("; "),
      };
    });
  },
});

function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "<resource-group>";
}

function disableCommand(store: { id: string; name: string; type: string }): string {
  const rg = resourceGroupOf(store.id);
  if (store.type.toLowerCase() === TYPES.cosmosAccount.toLowerCase())
    return `az cosmosdb update --name ${store.name} --resource-group ${rg} --public-network-access Disabled`;
  if (store.type.toLowerCase() === TYPES.searchService.toLowerCase())
    return `az search service update --name ${store.name} --resource-group ${rg} --public-network-access disabled`;
  return `az storage account update --name ${store.name} --resource-group ${rg} --public-network-access Disabled`;
}

/** The private endpoint sub-resource of each store kind. */
function groupOf(store: { type: string }): string {
  if (store.type.toLowerCase() === TYPES.cosmosAccount.toLowerCase()) return "Sql";
  if (store.type.toLowerCase() === TYPES.searchService.toLowerCase()) return "searchService";
  return "blob";
}
