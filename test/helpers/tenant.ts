/**
 * Builds small tenants (and snapshots) in ARM's shape, so that each test states only what matters to it.
 */
import type { TenantFile } from "../../src/emulator/tenant-file.js";
import type { ArmResource, ScopeFailure, Snapshot } from "../../src/model/snapshot.js";

export const SUB = "11111111-1111-4111-8111-111111111111";
export const SUB2 = "22222222-2222-4222-8222-222222222222";
export const SUB3 = "33333333-3333-4333-8333-333333333333";
const ML = "Microsoft.MachineLearningServices";

type Props = Record<string, unknown>;

export function workspaceId(name = "ws", rg = "rg", sub = SUB): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${ML}/workspaces/${name}`;
}

/**
 * A workspace as ARM returns it: with its (read-only) private endpoint connections, none unless `props` gives
 * some — a row without them is one Resource Graph does not carry, which the `arg` source completes from ARM.
 */
export function workspace(props: Props = {}, name = "ws", rg = "rg", sub = SUB): ArmResource {
  return {
    id: workspaceId(name, rg, sub),
    name,
    type: `${ML}/workspaces`,
    location: "westeurope",
    properties: { privateEndpointConnections: [], ...props },
  };
}

/** An online endpoint as ARM returns it: `publicNetworkAccess` is `Enabled` unless `props` says otherwise. */
export function endpoint(ws: ArmResource, props: Props = {}, name = "ep"): ArmResource {
  return {
    id: `${ws.id}/onlineEndpoints/${name}`,
    name,
    type: `${ML}/workspaces/onlineEndpoints`,
    properties: { publicNetworkAccess: "Enabled", ...props },
  };
}

export function deployment(ep: ArmResource, props: Props = {}, name = "blue"): ArmResource {
  return {
    id: `${ep.id}/deployments/${name}`,
    name,
    type: `${ML}/workspaces/onlineEndpoints/deployments`,
    properties: { endpointComputeType: "Managed", egressPublicNetworkAccess: "Enabled", ...props },
  };
}

/**
 * A compute as ARM returns it (api-version 2025-12-01: `properties` is the `Compute` union, its network settings in
 * its own `properties`): an instance with no public IP in subnet `ml` unless `props` says otherwise.
 */
export function compute(
  ws: ArmResource,
  props: Props = {},
  name = "ci",
  computeType: "ComputeInstance" | "AmlCompute" = "ComputeInstance",
): ArmResource {
  return {
    id: `${ws.id}/computes/${name}`,
    name,
    type: `${ML}/workspaces/computes`,
    location: "westeurope",
    properties: {
      computeType,
      provisioningState: "Succeeded",
      properties: {
        vmSize: "STANDARD_DS3_V2",
        enableNodePublicIp: false,
        subnet: { id: `${vnetId()}/subnets/ml` },
        ...props,
      },
    },
  };
}

export function connection(parentId: string, status: string, name = `pe-${status.toLowerCase()}`): Props {
  return {
    id: `${parentId}/privateEndpointConnections/${name}`,
    name,
    properties: {
      privateEndpoint: {
        id: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/${name}`,
      },
      privateLinkServiceConnectionState: { status },
    },
  };
}

/** The private endpoint `connection(…, name)` points at, in subnet `subnet` of VNet `vnet`. */
export function privateEndpoint(name: string, vnet = "hub", subnet = "ml", sub = SUB): ArmResource {
  return {
    id: `/subscriptions/${sub}/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/${name}`,
    name,
    type: "Microsoft.Network/privateEndpoints",
    location: "westeurope",
    properties: {
      subnet: {
        id: `/subscriptions/${sub}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`,
      },
    },
  };
}

export function storageAccount(name = "st", rg = "rg", approved = true, sub = SUB): ArmResource {
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}`;
  return {
    id,
    name,
    type: "Microsoft.Storage/storageAccounts",
    sku: { name: "Standard_LRS" },
    properties: { privateEndpointConnections: approved ? [connection(id, "Approved")] : [] },
  };
}

export function registry(name = "cr", rg = "rg", sku = "Premium", approved = true, sub = SUB): ArmResource {
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${name}`;
  return {
    id,
    name,
    type: "Microsoft.ContainerRegistry/registries",
    sku: { name: sku },
    properties: { privateEndpointConnections: approved ? [connection(id, "Approved")] : [] },
  };
}

export const DNS_ZONES = [
  "privatelink.api.azureml.ms",
  "privatelink.notebooks.azure.net",
  "privatelink.cognitiveservices.azure.com",
  "privatelink.openai.azure.com",
  "privatelink.services.ai.azure.com",
];

export function vnetId(name = "hub", sub = SUB): string {
  return `/subscriptions/${sub}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/${name}`;
}

export function virtualNetwork(name = "hub", dnsServers: string[] = [], sub = SUB): ArmResource {
  return {
    id: vnetId(name, sub),
    name,
    type: "Microsoft.Network/virtualNetworks",
    location: "westeurope",
    properties: { dhcpOptions: { dnsServers }, subnets: [] },
  };
}

export function zoneId(name: string, sub = SUB, rg = "dns"): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/${name}`;
}

export function dnsZone(name: string, sub = SUB, rg = "dns"): ArmResource {
  return {
    id: zoneId(name, sub, rg),
    name,
    type: "Microsoft.Network/privateDnsZones",
    location: "global",
    properties: {},
  };
}

export function zoneLink(
  zone: string,
  vnet: string,
  name = `${vnet.split("/").at(-1) ?? "vnet"}-link`,
): ArmResource {
  return {
    id: `${zone}/virtualNetworkLinks/${name}`,
    name,
    type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    location: "global",
    properties: { registrationEnabled: false, virtualNetwork: { id: vnet } },
  };
}

export function zoneGroup(privateEndpointId: string, zones: string[], name = "default"): ArmResource {
  return {
    id: `${privateEndpointId}/privateDnsZoneGroups/${name}`,
    name,
    type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    properties: {
      privateDnsZoneConfigs: zones.map((z) => ({
        name: z.split("/").at(-1)?.replace(/\./g, "-"),
        properties: { privateDnsZoneId: z },
      })),
    },
  };
}

/**
 * Working DNS for every approved private endpoint the resources name and do not hold themselves: the private
 * endpoint in VNet `hub` (Azure-provided DNS), a zone group naming every private link zone, each zone linked to
 * `hub`. Tenants that are not about DNS then have none of its findings, as a well-run estate would not.
 */
export function withWorkingDns(resources: ArmResource[]): ArmResource[] {
  const has = new Set(resources.map((r) => r.id.toLowerCase()));
  const added: ArmResource[] = [];
  const add = (r: ArmResource) => {
    if (has.has(r.id.toLowerCase())) return;
    has.add(r.id.toLowerCase());
    added.push(r);
  };
  for (const r of resources) {
    if (!/\/(workspaces|accounts)$/i.test(r.type)) continue;
    const connections = r.properties?.privateEndpointConnections;
    for (const c of Array.isArray(connections) ? (connections as Props[]) : []) {
      const props = c.properties as Props | undefined;
      const state = props?.privateLinkServiceConnectionState as { status?: string } | undefined;
      const pe = (props?.privateEndpoint as { id?: string } | undefined)?.id;
      if (!pe || state?.status !== "Approved" || has.has(pe.toLowerCase())) continue;
      const sub = pe.split("/")[2] ?? SUB;
      add({ ...privateEndpoint(pe.split("/").at(-1) ?? "pe", "hub", "ml", sub), id: pe });
      add(virtualNetwork("hub", [], sub));
      add(
        zoneGroup(
          pe,
          DNS_ZONES.map((z) => zoneId(z, sub)),
        ),
      );
      for (const z of DNS_ZONES) {
        add(dnsZone(z, sub));
        add(zoneLink(zoneId(z, sub), vnetId("hub", sub)));
      }
    }
  }
  return [...resources, ...added];
}

export function snapshot(resources: ArmResource[], failures: ScopeFailure[] = [], subs = [SUB]): Snapshot {
  return {
    subscriptions: subs.map((s, i) => ({ subscriptionId: s, displayName: `Sub ${i + 1}` })),
    resources: withWorkingDns(resources),
    failures,
  };
}

export function failure(scope: string, scopeType: ScopeFailure["scopeType"], status = 403): ScopeFailure {
  return { scope, scopeType, operation: "read", status, code: "AuthorizationFailed", message: "no access" };
}

export function tenant(
  resources: ArmResource[],
  faults: TenantFile["faults"] = [],
  subs = [SUB],
): TenantFile {
  return {
    tenantId: "99999999-9999-4999-8999-999999999999",
    subscriptions: subs.map((s, i) => ({ subscriptionId: s, displayName: `Sub ${i + 1}` })),
    resources: withWorkingDns(resources),
    faults,
  };
}

/** A hub-based workspace (Azure AI Foundry hub): projects inherit its network isolation. */
export function hub(props: Props = {}, name = "hub", rg = "rg", sub = SUB): ArmResource {
  return { ...workspace(props, name, rg, sub), kind: "Hub" };
}

/** A project of `hubId`: no network settings of its own (as ARM returns projects). */
export function project(hubId: string, name = "proj", rg = "rg", sub = SUB): ArmResource {
  return { ...workspace({ hubResourceId: hubId }, name, rg, sub), kind: "Project" };
}

/** A workspace's network ACLs: public only from `ranges`. */
export function selectedIps(...ranges: string[]): Props {
  return {
    publicNetworkAccess: "Enabled",
    networkAcls: { defaultAction: "Deny", ipRules: ranges.map((value) => ({ value })) },
  };
}

/** A workspace open to the internet, with a managed network: AMLNI003 and AMLNI005, nothing outbound. */
export const publicWorkspace = (name: string, sub = SUB): ArmResource =>
  workspace(
    { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" } },
    name,
    "rg",
    sub,
  );

/** The same workspace made private, with an approved private endpoint: no finding. */
export const privateWorkspace = (name: string, sub = SUB): ArmResource =>
  workspace(
    {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(workspaceId(name, "rg", sub), "Approved")],
      managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
    },
    name,
    "rg",
    sub,
  );

const COGNITIVE = "Microsoft.CognitiveServices";

export function accountId(name = "ai", rg = "rg", sub = SUB): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${COGNITIVE}/accounts/${name}`;
}

/** A Foundry resource (kind `AIServices`), or an Azure OpenAI account with `kind: "OpenAI"`. */
export function account(
  props: Props = {},
  name = "ai",
  kind = "AIServices",
  rg = "rg",
  sub = SUB,
): ArmResource {
  return {
    id: accountId(name, rg, sub),
    name,
    type: `${COGNITIVE}/accounts`,
    kind,
    location: "swedencentral",
    sku: { name: "S0" },
    properties: props,
  };
}

export function foundryProject(parent: ArmResource, name = "chat"): ArmResource {
  return {
    id: `${parent.id}/projects/${name}`,
    name: `${parent.name}/${name}`,
    type: `${COGNITIVE}/accounts/projects`,
    location: parent.location ?? "swedencentral",
    properties: {},
  };
}

/** `managedNetworks/default` of an account, with its outbound rules. */
export function foundryManagedNetwork(
  parent: ArmResource,
  isolationMode: string,
  outboundRules: Record<string, unknown> = {},
): ArmResource {
  return {
    id: `${parent.id}/managedNetworks/default`,
    name: "default",
    type: `${COGNITIVE}/accounts/managedNetworks`,
    properties: { managedNetwork: { isolationMode, outboundRules } },
  };
}

/** The account's agents in the Microsoft managed network (so its managed network is read). */
export const MANAGED_AGENTS = {
  networkInjections: [{ scenario: "agent", subnetArmId: "", useMicrosoftManagedNetwork: true }],
};

/** A private Foundry resource: public access off, an approved private endpoint. */
export function privateAccount(extra: Props = {}, name = "ai", kind = "AIServices"): ArmResource {
  return account(
    {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(accountId(name), "Approved")],
      ...extra,
    },
    name,
    kind,
  );
}

/** A store of the agents: a Cosmos DB account, an AI Search service or a storage account, closed unless `props` opens it. */
export function agentStore(
  kind: "cosmos" | "search" | "storage",
  name: string,
  props: Props = {},
  approved = true,
): ArmResource {
  const type = {
    cosmos: "Microsoft.DocumentDB/databaseAccounts",
    search: "Microsoft.Search/searchServices",
    storage: "Microsoft.Storage/storageAccounts",
  }[kind];
  const id = `/subscriptions/${SUB}/resourceGroups/rg-agents/providers/${type}/${name}`;
  return {
    id,
    name,
    type,
    properties: {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: approved ? [connection(id, "Approved", `pe-${name}`)] : [],
      ...props,
    },
  };
}

/**
 * The standard agent setup of `project`: a capability host naming one connection of each kind, each naming its
 * store; the capability host, the connections and the stores.
 */
export function agentSetup(
  project: ArmResource,
  stores: { threads: ArmResource; vectors: ArmResource; files: ArmResource },
): ArmResource[] {
  const conn = (name: string, category: string, store: ArmResource): ArmResource => ({
    id: `${project.id}/connections/${name}`,
    name,
    type: `${COGNITIVE}/accounts/projects/connections`,
    properties: {
      category,
      target: `https://${store.name}.example`,
      authType: "AAD",
      metadata: { ResourceId: store.id },
    },
  });
  return [
    {
      id: `${project.id}/capabilityHosts/caphost`,
      name: "caphost",
      type: `${COGNITIVE}/accounts/projects/capabilityHosts`,
      properties: {
        threadStorageConnections: ["threads"],
        vectorStoreConnections: ["vectors"],
        storageConnections: ["files"],
      },
    },
    conn("threads", "CosmosDb", stores.threads),
    conn("vectors", "CognitiveSearch", stores.vectors),
    conn("files", "AzureStorageAccount", stores.files),
    stores.threads,
    stores.vectors,
    stores.files,
  ];
}
