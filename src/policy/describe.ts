/**
 * Names, sentences and commands for findings: what a security engineer pastes into a ticket.
 */
import { TYPES, lastName, parseResourceId, sameValue, subscriptionOfPath } from "../model/arm-ids.js";
import { FOUNDRY_API_VERSION } from "../model/foundry.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";

export interface Location {
  subscriptionId: string;
  subscriptionName: string;
  resourceGroup: string;
  workspace?: string;
  endpoint?: string;
  deployment?: string;
  /** A Foundry or Azure OpenAI account (`Microsoft.CognitiveServices/accounts`), and the project beneath it. */
  account?: string;
  project?: string;
}

const ML_NAMESPACE = "microsoft.machinelearningservices";
const COGNITIVE_NAMESPACE = "microsoft.cognitiveservices";

/** Where a resource sits, read from its id (names keep the id's spelling). */
export function locate(view: SnapshotView, id: string): Location {
  const parsed = parseResourceId(id);
  // A scope that is no resource id (a subscription's accounts, a private endpoint's zone groups) is in the
  // subscription and resource group its path names.
  const subscriptionId = parsed?.subscriptionId ?? subscriptionOfPath(id) ?? "";
  const location: Location = {
    subscriptionId,
    subscriptionName: view.subscription(subscriptionId)?.displayName ?? subscriptionId,
    resourceGroup:
      parsed?.resourceGroup ?? /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? "",
  };
  const segments = parsed?.type?.split("/") ?? [];
  if (segments[0]?.toLowerCase() === ML_NAMESPACE && segments[1]?.toLowerCase() === "workspaces") {
    location.workspace = parsed?.names[0];
    if (segments[2]?.toLowerCase() === "onlineendpoints") {
      location.endpoint = parsed?.names[1];
      if (segments[3]?.toLowerCase() === "deployments") location.deployment = parsed?.names[2];
    }
  }
  if (segments[0]?.toLowerCase() === COGNITIVE_NAMESPACE && segments[1]?.toLowerCase() === "accounts") {
    location.account = parsed?.names[0];
    if (segments[2]?.toLowerCase() === "projects") location.project = parsed?.names[1];
  }
  return location;
}

const NOUNS: Record<string, string> = {
  [TYPES.workspace]: "Workspace",
  [TYPES.onlineEndpoint]: "Online endpoint",
  [TYPES.onlineDeployment]: "Deployment",
  [TYPES.privateEndpointConnection]: "Private endpoint connection",
  [TYPES.outboundRule]: "Outbound rule",
  [TYPES.storageAccount]: "Storage account",
  [TYPES.containerRegistry]: "Container registry",
  [TYPES.keyVault]: "Key vault",
  [TYPES.compute]: "Compute",
  [TYPES.foundryAccount]: "Account",
  [TYPES.foundryProject]: "Foundry project",
  [TYPES.foundryManagedNetwork]: "Managed network",
  [TYPES.foundryOutboundRule]: "Outbound rule",
  [TYPES.foundryPrivateEndpointConnection]: "Private endpoint connection",
  [TYPES.privateEndpoint]: "Private endpoint",
  [TYPES.virtualNetwork]: "Virtual network",
  [TYPES.privateDnsZone]: "Private DNS zone",
};

const TYPE_SCOPE =
  /^\/subscriptions\/[^/]+(\/resourceGroups\/([^/]+))?\/providers\/microsoft\.cognitiveservices\/accounts$/i;

/** What Learn calls an account of this kind: the Foundry resource (AIServices), or Azure OpenAI. */
function accountNoun(account: ArmResource | undefined): string {
  if (sameValue(account?.kind, "AIServices")) return "Foundry resource";
  if (sameValue(account?.kind, "OpenAI")) return "Azure OpenAI account";
  return "Account";
}

const NOUN_BY_TYPE = new Map(Object.entries(NOUNS).map(([type, noun]) => [type.toLowerCase(), noun]));

function nounFor(id: string): string {
  const type = parseResourceId(id)?.type;
  if (!type) return "Scope";
  return NOUN_BY_TYPE.get(type.toLowerCase()) ?? "Resource";
}

/**
 * "Online endpoint `fraud-scoring` in workspace `ml-prod` (subscription `Contoso Prod`)".
 * Deployments name their endpoint too.
 */
export function phrase(view: SnapshotView, id: string): string {
  const where = locate(view, id);
  const noun = nounFor(id);
  const subscription = `(subscription \`${where.subscriptionName}\`)`;
  if (noun === "Scope") {
    // The lists of private endpoint DNS whose failure is recorded on the list itself.
    const list = /^(.*)\/(privateDnsZoneGroups|virtualNetworkLinks)$/i.exec(id);
    if (list) {
      const owner = list[1] as string;
      const inSubscription = `(subscription \`${locate(view, owner).subscriptionName}\`)`;
      return list[2]?.toLowerCase() === "privatednszonegroups"
        ? `The DNS zone groups of private endpoint \`${lastName(owner)}\` ${inSubscription}`
        : `The virtual network links of private DNS zone \`${lastName(owner)}\` ${inSubscription}`;
    }
    const zones = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Network\/privateDnsZones$/i.exec(id);
    if (zones)
      return `The private DNS zones of subscription \`${view.subscription(zones[1])?.displayName ?? zones[1] ?? ""}\``;
    const typed = TYPE_SCOPE.exec(id);
    if (typed)
      return typed[2]
        ? `The Foundry and Azure OpenAI accounts of resource group \`${typed[2]}\` ${subscription}`
        : `The Foundry and Azure OpenAI accounts of subscription \`${where.subscriptionName}\``;
    return /^\/subscriptions\/[^/]+$/i.test(id)
      ? `Subscription \`${where.subscriptionName}\``
      : `Scope \`${id}\``;
  }
  if (noun === "Workspace") return `Workspace \`${where.workspace ?? lastName(id)}\` ${subscription}`;
  if (noun === "Account")
    return `${accountNoun(view.get(id))} \`${where.account ?? lastName(id)}\` ${subscription}`;
  const parts = [`${noun} \`${lastName(id)}\``];
  if (where.deployment && where.endpoint) parts.push(`of endpoint \`${where.endpoint}\``);
  if (where.workspace) parts.push(`in workspace \`${where.workspace}\``);
  else if (where.account) parts.push(`of account \`${where.account}\``);
  else if (where.resourceGroup) parts.push(`in resource group \`${where.resourceGroup}\``);
  parts.push(subscription);
  return parts.join(" ");
}

/** `--name … --resource-group … --subscription …` style arguments for `az ml`. */
function target(view: SnapshotView, id: string): { where: Location; ws: string } {
  const where = locate(view, id);
  const ws = `--workspace-name ${where.workspace ?? "<workspace>"} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}`;
  return { where, ws };
}

export function endpointUpdateCommand(view: SnapshotView, endpointId: string, setting: string): string {
  const { where, ws } = target(view, endpointId);
  return `az ml online-endpoint update --name ${where.endpoint ?? lastName(endpointId)} ${ws} --set ${setting}`;
}

export function workspaceUpdateCommand(view: SnapshotView, workspaceId: string, args: string): string {
  const where = locate(view, workspaceId);
  return `az ml workspace update --name ${where.workspace ?? lastName(workspaceId)} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId} ${args}`;
}

export function workspacePrivateEndpointCommand(view: SnapshotView, workspaceId: string): string {
  const where = locate(view, workspaceId);
  const name = where.workspace ?? lastName(workspaceId);
  return (
    `az network private-endpoint create --name ${name}-pe --resource-group <network-resource-group> ` +
    `--vnet-name <vnet> --subnet <subnet> --private-connection-resource-id ${workspaceId} ` +
    `--group-id amlworkspace --connection-name ${name}-pe --subscription ${where.subscriptionId}` +
    ` (then add the privatelink.api.azureml.ms and privatelink.notebooks.azure.net DNS records)`
  );
}

/**
 * `egress_public_network_access` cannot be changed on an existing deployment (seed 000), so the fix is a
 * blue/green replacement: a new deployment with the wanted flag, traffic moved, the old one deleted.
 */
export function blueGreenSteps(view: SnapshotView, deploymentId: string, setting: string): string {
  const { where, ws } = target(view, deploymentId);
  const endpoint = where.endpoint ?? "<endpoint>";
  const old = where.deployment ?? lastName(deploymentId);
  const replacement = `${old}-v2`;
  return [
    `The flag is immutable on an existing deployment; replace it blue/green:`,
    `1) az ml online-deployment create --file deployment.yml --name ${replacement} --endpoint-name ${endpoint} ${ws} --set ${setting}`,
    `2) az ml online-endpoint update --name ${endpoint} ${ws} --traffic "${old}=0 ${replacement}=100"`,
    `3) az ml online-deployment delete --name ${old} --endpoint-name ${endpoint} ${ws} --yes`,
  ].join(" ");
}

/** The commands that keep a workspace public only to selected IP ranges, or make it private. */
export function networkRuleCommands(view: SnapshotView, workspaceId: string): string {
  const where = locate(view, workspaceId);
  const ws = `--workspace-name ${where.workspace ?? lastName(workspaceId)} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}`;
  return (
    `Review the ranges (az ml workspace network-rule list ${ws} --query ipRules) and remove those not needed ` +
    `(az ml workspace network-rule remove ${ws} --ip-address <range>); or, once clients use the private endpoint, ` +
    workspaceUpdateCommand(view, workspaceId, "--public-network-access Disabled")
  );
}

/** `az ml workspace network-rule remove` for each range a workspace kept after its public access was disabled. */
export function staleRangeCommands(
  view: SnapshotView,
  workspaceId: string,
  ranges: readonly string[],
): string {
  const where = locate(view, workspaceId);
  const ws = `--workspace-name ${where.workspace ?? lastName(workspaceId)} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}`;
  return ranges.map((range) => `az ml workspace network-rule remove ${ws} --ip-address ${range}`).join("; ");
}

/** `--name … --resource-group … --subscription …` of a Foundry or Azure OpenAI account. */
export function accountArgs(view: SnapshotView, accountId: string): string {
  const where = locate(view, accountId);
  return `--name ${where.account ?? lastName(accountId)} --resource-group ${where.resourceGroup} --subscription ${where.subscriptionId}`;
}

/** The api-version the auditor reads Foundry accounts at, and the one its `az rest` remediations write with. */
export { FOUNDRY_API_VERSION } from "../model/foundry.js";

/** A PATCH of the account's properties (no `az cognitiveservices` flag sets them in every CLI release). */
export function accountPatchCommand(accountId: string, properties: Record<string, unknown>): string {
  return `az rest --method PATCH --url "https://management.azure.com${accountId}?api-version=${FOUNDRY_API_VERSION}" --body '${JSON.stringify({ properties })}'`;
}

export function accountPrivateEndpointCommand(view: SnapshotView, accountId: string): string {
  const where = locate(view, accountId);
  const name = where.account ?? lastName(accountId);
  return (
    `az network private-endpoint create --name ${name}-pe --resource-group <network-resource-group> ` +
    `--vnet-name <vnet> --subnet <subnet> --private-connection-resource-id ${accountId} ` +
    `--group-id account --connection-name ${name}-pe --subscription ${where.subscriptionId}` +
    ` (then link the account's private DNS zones to the network)`
  );
}
