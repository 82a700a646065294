import { TYPES } from "../../model/arm-ids.js";
import { FOUNDRY_API_VERSION, phrase } from "../describe.js";
import {
  agentInjection,
  foundryInbound,
  judgeFoundryResources,
  projectNames,
  projectsOf,
  projectsSentence,
} from "../foundry-terms.js";
import { defineRule } from "../types.js";

export default defineRule({
  id: "AIFNO001",
  slug: "foundry-agents-outside-network",
  title: "Private Foundry resource's agents run outside its network isolation",
  severity: "medium",
  subject: "account",
  posture: "secure-outbound",
  rationale:
    "The account's inbound is private, but it declares no network injection for agents (a customer subnet or the Microsoft managed network): the agents of its projects reach their tools and data outside that boundary.",
  remediation:
    "Network injection is set when an account is created: create a Foundry resource with networkInjections (scenario agent, a delegated subnet or the Microsoft managed network) and move the projects and agents to it.",
  seeds: ["foundry-agent-network"],
  *evaluate({ view }) {
    yield* judgeFoundryResources(view, function* (account) {
      if (foundryInbound(account) !== "private" || agentInjection(account)) return;
      const projects = projectsOf(view, account);
      if (projects === undefined) {
        yield {
          kind: "unknown",
          scope: account.id,
          reason: "its projects could not be listed, so whether agents run under it is unknown",
        };
        return;
      }
      if (projects.length === 0) return;
      yield {
        kind: "violation",
        resourceId: account.id,
        resourceType: TYPES.foundryAccount,
        evidence: {
          publicNetworkAccess: account.properties?.publicNetworkAccess ?? null,
          networkInjections: account.properties?.networkInjections ?? null,
          projects: projectNames(view, account),
        },
        message: `${phrase(view, account.id)} is private, but its agents are not injected into a network: their outbound traffic leaves its isolation.${projectsSentence(view, account)}`,
        remediation:
          `Network injection cannot be added to an existing account. Create a new one with it ` +
          `(az rest --method PUT --url "https://management.azure.com/subscriptions/<subscription>/resourceGroups/<rg>/providers/Microsoft.CognitiveServices/accounts/<new-account>?api-version=${FOUNDRY_API_VERSION}" ` +
          `--body '{"location":"${account.location ?? "<region>"}","kind":"AIServices","sku":{"name":"S0"},"identity":{"type":"SystemAssigned"},"properties":{"allowProjectManagement":true,"customSubDomainName":"<new-account>","publicNetworkAccess":"Disabled","networkInjections":[{"scenario":"agent","subnetArmId":"<delegated-subnet-id>","useMicrosoftManagedNetwork":false}]}}'), ` +
          `or with "subnetArmId":"" and "useMicrosoftManagedNetwork":true for the Microsoft managed network; then move the projects and agents to it.`,
      };
    });
  },
});
