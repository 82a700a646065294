/**
 * Synthetic tenants for the benchmark and the scale tests: sizes from options, a share of misconfigured
 * resources drawn from a seed, hubs with projects, and the findings the audit must report, counted by
 * construction (not by running the rules).
 *
 * What each choice yields (DESIGN §3):
 * - an exposed workspace (public access, no managed network, no private endpoint): AMLNI003 and AMLNI005;
 *   its public endpoints AMLNI001, its private ones AMLNI002 (no approved private endpoint to reach them);
 *   each of its Managed deployments AMLNO001 (no managed network, egress not disabled);
 * - a private workspace (public access disabled, an approved private endpoint, approved-outbound managed
 *   network): nothing of its own; its public endpoints AMLNI001;
 * - a hub is a private workspace; a project inherits it: its public endpoints AMLNI001, nothing else;
 * - an exposed Foundry or Azure OpenAI account (public access, no ACL, no private endpoint): AIFNI001 and
 *   AIFNI003; a private one (public access disabled, an approved private endpoint) nothing, unless it is a
 *   Foundry resource with projects whose agents are not injected: AIFNO001. Half the private Foundry resources
 *   put their agents in the Microsoft managed network (approved-only, one active rule), which costs a GET each.
 * - private endpoint DNS: the private DNS zones live in the first subscription (`rg-dns`), linked to each
 *   subscription's network `vnet-spoke`, where every approved private endpoint sits. A workspace's private
 *   endpoint has a zone group naming both ML zones; an account's has none (its records are kept in the linked
 *   zones). In about one subscription in seven the API zone is not linked to its network: each workspace private
 *   endpoint there PEDNS002; in about one in seven the AI Services zone is not: each Foundry resource's PEDNS001;
 *   in one in twenty the network uses custom DNS servers: every private endpoint there PEDNS003, nothing else.
 * - two computes a workspace (an instance and a cluster): those of an exposed workspace AMLCO001 and AMLCO002 once;
 *   a key vault a workspace (not a project): one private workspace's in ten admits the internet, AMLNI009; a
 *   storage account and a registry a subscription, shared by its workspaces, closed: nothing.
 * - a Foundry resource whose agents are in the managed network writes to one store of each kind (Cosmos DB, AI
 *   Search, Storage), all private and with an outbound rule, but one resource's search service in ten is public:
 *   AIFNO005.
 */
import { sameId, sameValue } from "../model/arm-ids.js";
import type { ArmResource } from "../model/snapshot.js";
import type { TenantFile } from "./tenant-file.js";

export interface SyntheticOptions {
  subscriptions: number;
  workspacesPerSubscription: number;
  endpointsPerWorkspace: number;
  deploymentsPerEndpoint: number;
  /** Share of workspaces, and separately of endpoints, that are exposed (0..1). */
  misconfigured: number;
  /** Projects per subscription, under one hub there (0: none). */
  projectsPerSubscription: number;
  /** Foundry and Azure OpenAI accounts per subscription (0: none); about one in five is Azure OpenAI. */
  accountsPerSubscription: number;
  /** Projects of each Foundry resource (Azure OpenAI accounts have none). */
  projectsPerAccount: number;
  seed: number;
}

export const DEFAULT_SIZE: SyntheticOptions = {
  subscriptions: 200,
  workspacesPerSubscription: 5,
  endpointsPerWorkspace: 4,
  deploymentsPerEndpoint: 2,
  misconfigured: 0.3,
  projectsPerSubscription: 0,
  // One account a subscription for five workspaces: AI estates that moved to Foundry sit beside ML.
  accountsPerSubscription: 1,
  projectsPerAccount: 2,
  seed: 1,
};

export interface Synthetic {
  tenant: TenantFile;
  /** Findings the audit must report, by rule id. */
  expected: Record<string, number>;
  /**
   * Audited resources: workspaces (hubs and projects included), endpoints, deployments, computes, and Foundry and Azure
   * OpenAI accounts, their projects and managed networks.
   */
  resources: number;
}

/** mulberry32: a small seeded generator, so the same seed gives the same tenant. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ML = "Microsoft.MachineLearningServices";
const COGNITIVE = "Microsoft.CognitiveServices";

function guidFor(n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `5e5e5e5e-0000-4000-8000-${hex}`;
}

/** The approved connection of `pe-{name}` (in `rg-net`) to the resource `id`; `group`: its group id, if any. */
const ML_ZONES = ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"];
const AI_ZONES = [
  "privatelink.cognitiveservices.azure.com",
  "privatelink.openai.azure.com",
  "privatelink.services.ai.azure.com",
];
const privateEndpointId = (sub: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-${name}`;
const vnetId = (sub: string) =>
  `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-spoke`;

function approvedConnection(sub: string, id: string, name: string, group?: string) {
  return {
    id: `${id}/privateEndpointConnections/pe-${name}`,
    name: `pe-${name}`,
    properties: {
      privateEndpoint: {
        id: `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-${name}`,
      },
      privateLinkServiceConnectionState: { status: "Approved" },
      ...(group ? { groupIds: [group] } : {}),
    },
  };
}

interface SubscriptionDns {
  custom: boolean;
  unlinked: Set<string>;
}

export function syntheticTenant(options: SyntheticOptions): Synthetic {
  const next = random(options.seed);
  // The accounts draw from their own sequence, so that adding them leaves the ML resources as they were.
  const nextAccount = random(options.seed ^ 0x5f0d);
  const nextDns = random(options.seed ^ 0x0d25);
  const nextVault = random(options.seed ^ 0x0c7a);
  const nextStore = random(options.seed ^ 0x57e5);
  const expected: Record<string, number> = {};
  const count = (rule: string, n = 1) => {
    if (n > 0) expected[rule] = (expected[rule] ?? 0) + n;
  };
  const resources: ArmResource[] = [];
  let ml = 0;
  let currentDns: SubscriptionDns = { custom: false, unlinked: new Set() };
  const subscriptions = Array.from({ length: options.subscriptions }, (_, i) => ({
    subscriptionId: guidFor(i + 1),
    displayName: `synthetic-${String(i + 1).padStart(4, "0")}`,
    state: "Enabled",
  }));

  const workspace = (sub: string, name: string, exposed: boolean, extra: Partial<ArmResource> = {}) => {
    const id = `/subscriptions/${sub}/resourceGroups/rg-ml/providers/${ML}/workspaces/${name}`;
    const properties = exposed
      ? { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "Disabled" } }
      : {
          publicNetworkAccess: "Disabled",
          managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
          privateEndpointConnections: [approvedConnection(sub, id, name)],
        };
    // Every workspace names its storage account and registry (ARM always returns them): one of each a
    // subscription, shared, closed and Premium, so they draw no finding.
    if (!sameValue(extra.kind, "Project")) Object.assign(properties, sharedDependencies(sub));
    const resource: ArmResource = {
      id,
      name,
      type: `${ML}/workspaces`,
      location: "westeurope",
      ...extra,
      properties: { ...properties, ...(extra.properties ?? {}) },
    };
    resources.push(resource);
    ml += 1;
    if (!exposed && !sameValue(extra.kind, "Project")) privateEndpoint(sub, name, resource, currentDns);
    if (!sameValue(extra.kind, "Project")) keyVault(resource, exposed);
    computes(resource, exposed);
    return resource;
  };

  /**
   * The workspace's key vault: closed for a private workspace but one in ten, whose vault admits the internet
   * (AMLNI009); an exposed workspace's is public too, and not judged (nor read: its workspace is public).
   */
  const keyVault = (home: ArmResource, exposed: boolean) => {
    const open = exposed || nextVault() < 0.1;
    const id = home.id.replace(/\/providers\/.*$/, `/providers/Microsoft.KeyVault/vaults/kv-${home.name}`);
    resources.push({
      id,
      name: id.split("/").at(-1) ?? "",
      type: "Microsoft.KeyVault/vaults",
      location: "westeurope",
      properties: open
        ? { publicNetworkAccess: "Enabled", enableRbacAuthorization: true }
        : {
            publicNetworkAccess: "Disabled",
            enableRbacAuthorization: true,
            networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
          },
    });
    (home.properties as Record<string, unknown>).keyVault = id;
    if (open && !exposed) count("AMLNI009");
  };

  const shared = new Map<string, { storageAccount: string; containerRegistry: string }>();
  const sharedDependencies = (sub: string) => {
    const known = shared.get(sub);
    if (known) return known;
    const rg = `/subscriptions/${sub}/resourceGroups/rg-ml/providers`;
    const ids = {
      storageAccount: `${rg}/Microsoft.Storage/storageAccounts/stml`,
      containerRegistry: `${rg}/Microsoft.ContainerRegistry/registries/crml`,
    };
    resources.push(
      {
        id: ids.storageAccount,
        name: "stml",
        type: "Microsoft.Storage/storageAccounts",
        location: "westeurope",
        sku: { name: "Standard_LRS" },
        properties: { publicNetworkAccess: "Disabled", networkAcls: { defaultAction: "Deny" } },
      },
      {
        id: ids.containerRegistry,
        name: "crml",
        type: "Microsoft.ContainerRegistry/registries",
        location: "westeurope",
        sku: { name: "Premium" },
        properties: { publicNetworkAccess: "Disabled" },
      },
    );
    shared.set(sub, ids);
    return ids;
  };

  /**
   * Two computes a workspace: an instance and a cluster. In a private workspace (a managed network) both have no
   * public IP and no subnet of their own: nothing. In an exposed one (no managed network) the instance keeps the
   * default public IP and no subnet (AMLCO001, AMLCO002; SSH closed), the cluster sits in the spoke with no public IP.
   */
  const computes = (home: ArmResource, exposed: boolean) => {
    const sub = home.id.split("/")[2] ?? "";
    const compute = (name: string, computeType: string, properties: Record<string, unknown>) => {
      resources.push({
        id: `${home.id}/computes/${name}`,
        name,
        type: `${ML}/workspaces/computes`,
        location: "westeurope",
        properties: {
          computeType,
          provisioningState: "Succeeded",
          properties: { vmSize: "STANDARD_DS3_V2", ...properties },
        },
      });
      ml += 1;
    };
    compute(
      "ci0",
      "ComputeInstance",
      exposed
        ? { sshSettings: { sshPublicAccess: "Disabled" } }
        : { enableNodePublicIp: false, sshSettings: { sshPublicAccess: "Disabled" } },
    );
    compute("cc0", "AmlCompute", {
      enableNodePublicIp: false,
      remoteLoginPortPublicAccess: "NotSpecified",
      ...(exposed ? { subnet: { id: `${vnetId(sub)}/subnets/snet-training` } } : {}),
    });
    if (exposed) {
      count("AMLCO001");
      count("AMLCO002");
    }
  };

  /** Endpoints and deployments of `home`, judged by `exposedOwner` (the hub's posture for a project). */
  const children = (home: ArmResource, exposedOwner: boolean) => {
    for (let e = 0; e < options.endpointsPerWorkspace; e += 1) {
      const publicEndpoint = next() < options.misconfigured;
      const endpoint: ArmResource = {
        id: `${home.id}/onlineEndpoints/ep${e}`,
        name: `ep${e}`,
        type: `${ML}/workspaces/onlineEndpoints`,
        location: "westeurope",
        properties: { authMode: "Key", publicNetworkAccess: publicEndpoint ? "Enabled" : "Disabled" },
      };
      resources.push(endpoint);
      ml += 1;
      if (publicEndpoint) count("AMLNI001");
      else if (exposedOwner) count("AMLNI002");
      for (let d = 0; d < options.deploymentsPerEndpoint; d += 1) {
        resources.push({
          id: `${endpoint.id}/deployments/d${d}`,
          name: `d${d}`,
          type: `${ML}/workspaces/onlineEndpoints/deployments`,
          location: "westeurope",
          properties: {
            endpointComputeType: "Managed",
            egressPublicNetworkAccess: "Enabled",
            environmentId: `${home.id}/environments/env/versions/1`,
          },
        });
        ml += 1;
        if (exposedOwner) count("AMLNO001");
      }
    }
  };

  const account = (sub: string, name: string) => {
    const kind = nextAccount() < 0.2 ? "OpenAI" : "AIServices";
    const exposed = nextAccount() < options.misconfigured;
    const managedAgents = kind === "AIServices" && !exposed && nextAccount() < 0.5;
    const id = `/subscriptions/${sub}/resourceGroups/rg-ai/providers/${COGNITIVE}/accounts/${name}`;
    const resource: ArmResource = {
      id,
      name,
      type: `${COGNITIVE}/accounts`,
      kind,
      location: "swedencentral",
      sku: { name: "S0" },
      properties: exposed
        ? { publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Allow" } }
        : {
            publicNetworkAccess: "Disabled",
            networkAcls: { defaultAction: "Deny", ipRules: [], virtualNetworkRules: [] },
            privateEndpointConnections: [approvedConnection(sub, id, name, "account")],
            ...(managedAgents
              ? {
                  networkInjections: [
                    { scenario: "agent", subnetArmId: "", useMicrosoftManagedNetwork: true },
                  ],
                }
              : {}),
          },
    };
    resources.push(resource);
    ml += 1;
    if (!exposed) privateEndpoint(sub, name, resource, currentDns);
    if (exposed) {
      count("AIFNI001");
      count("AIFNI003");
    }
    if (kind !== "AIServices") return;
    for (let p = 0; p < options.projectsPerAccount; p += 1) {
      resources.push({
        id: `${id}/projects/p${p}`,
        name: `p${p}`,
        type: `${COGNITIVE}/accounts/projects`,
        location: "swedencentral",
        properties: { displayName: `p${p}` },
      });
      ml += 1;
    }
    const stores = managedAgents ? agentStores(sub, name, `${id}/projects/p0`) : [];
    if (managedAgents) {
      resources.push({
        id: `${id}/managedNetworks/default`,
        name: "default",
        type: `${COGNITIVE}/accounts/managedNetworks`,
        properties: {
          managedNetwork: {
            isolationMode: "AllowOnlyApprovedOutbound",
            outboundRules: Object.fromEntries(
              stores.map((store) => [
                store.name,
                {
                  type: "PrivateEndpoint",
                  category: "UserDefined",
                  status: "Active",
                  destination: { serviceResourceId: store.id, subresourceTarget: store.group },
                },
              ]),
            ),
          },
        },
      });
      ml += 1;
    } else if (!exposed && options.projectsPerAccount > 0) count("AIFNO001");
  };

  /**
   * The standard agent setup of a Foundry resource whose agents are in the managed network: project `p0`'s
   * capability host names a Cosmos DB account (threads), an AI Search service (vectors) and a storage account
   * (files), each through a connection of the project, each closed with an approved private endpoint and a
   * private endpoint rule of the managed network — but in one resource in ten the search service admits the
   * internet (AIFNO005, high: the account is private and its agents injected).
   */
  const agentStores = (sub: string, name: string, projectId: string) => {
    const openSearch = nextStore() < 0.1;
    const rg = `/subscriptions/${sub}/resourceGroups/rg-ai/providers`;
    const made = [
      {
        kind: "threads",
        category: "CosmosDb",
        type: "Microsoft.DocumentDB/databaseAccounts",
        name: `cosmos-${name}`,
        group: "Sql",
      },
      {
        kind: "vectors",
        category: "CognitiveSearch",
        type: "Microsoft.Search/searchServices",
        name: `srch-${name}`,
        group: "searchService",
      },
      {
        kind: "files",
        category: "AzureStorageAccount",
        type: "Microsoft.Storage/storageAccounts",
        name: `st${name}agents`,
        group: "blob",
      },
    ].map((store) => {
      const id = `${rg}/${store.type}/${store.name}`;
      const open = openSearch && store.kind === "vectors";
      resources.push({
        id,
        name: store.name,
        type: store.type,
        location: "swedencentral",
        properties: {
          publicNetworkAccess: open ? "Enabled" : "Disabled",
          privateEndpointConnections: open ? [] : [approvedConnection(sub, id, store.name, store.group)],
        },
      });
      resources.push({
        id: `${projectId}/connections/${store.kind}`,
        name: store.kind,
        type: `${COGNITIVE}/accounts/projects/connections`,
        properties: {
          category: store.category,
          target: `https://${store.name}.example`,
          authType: "AAD",
          metadata: { ResourceId: id },
        },
      });
      return { ...store, id };
    });
    resources.push({
      id: `${projectId}/capabilityHosts/caphost`,
      name: "caphost",
      type: `${COGNITIVE}/accounts/projects/capabilityHosts`,
      properties: {
        threadStorageConnections: ["threads"],
        vectorStoreConnections: ["vectors"],
        storageConnections: ["files"],
      },
    });
    if (openSearch) count("AIFNO005");
    return made;
  };

  const dnsSub = subscriptions[0]?.subscriptionId ?? guidFor(1);
  const zoneId = (name: string) =>
    `/subscriptions/${dnsSub}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/${name}`;
  for (const name of [...ML_ZONES, ...AI_ZONES])
    resources.push({ id: zoneId(name), name, type: "Microsoft.Network/privateDnsZones", location: "global" });
  /** The private endpoint of an approved connection, and the DNS finding it must draw. */
  const privateEndpoint = (sub: string, name: string, target: ArmResource, dns: SubscriptionDns) => {
    const id = privateEndpointId(sub, name);
    const group = sameId(target.type, `${ML}/workspaces`) ? "amlworkspace" : "account";
    resources.push({
      id,
      name: `pe-${name}`,
      type: "Microsoft.Network/privateEndpoints",
      location: "westeurope",
      properties: {
        subnet: { id: `${vnetId(sub)}/subnets/snet-pe` },
        privateLinkServiceConnections: [
          { name: `pe-${name}`, properties: { privateLinkServiceId: target.id, groupIds: [group] } },
        ],
      },
    });
    if (group === "amlworkspace")
      resources.push({
        id: `${id}/privateDnsZoneGroups/default`,
        name: "default",
        type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        properties: {
          privateDnsZoneConfigs: ML_ZONES.map((z) => ({
            name: z.replace(/\./g, "-"),
            properties: { privateDnsZoneId: zoneId(z) },
          })),
        },
      });
    if (dns.custom) count("PEDNS003");
    else if (group === "amlworkspace" && dns.unlinked.has(ML_ZONES[0] as string)) count("PEDNS002");
    else if (sameValue(target.kind, "AIServices") && dns.unlinked.has(AI_ZONES[2] as string))
      count("PEDNS001");
  };

  for (const { subscriptionId: sub } of subscriptions) {
    const dns: SubscriptionDns = { custom: nextDns() < 0.05, unlinked: new Set() };
    if (nextDns() < 0.15) dns.unlinked.add(ML_ZONES[0] as string);
    if (nextDns() < 0.15) dns.unlinked.add(AI_ZONES[2] as string);
    resources.push({
      id: vnetId(sub),
      name: "vnet-spoke",
      type: "Microsoft.Network/virtualNetworks",
      location: "westeurope",
      properties: {
        addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
        dhcpOptions: { dnsServers: dns.custom ? ["10.0.0.4"] : [] },
      },
    });
    for (const name of [...ML_ZONES, ...AI_ZONES]) {
      if (dns.unlinked.has(name)) continue;
      resources.push({
        id: `${zoneId(name)}/virtualNetworkLinks/link-${sub}`,
        name: `link-${sub}`,
        type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        location: "global",
        properties: { registrationEnabled: false, virtualNetwork: { id: vnetId(sub) } },
      });
    }
    currentDns = dns;
    for (let w = 0; w < options.workspacesPerSubscription; w += 1) {
      const exposed = next() < options.misconfigured;
      const ws = workspace(sub, `ws${w}`, exposed);
      if (exposed) {
        count("AMLNI003");
        count("AMLNI005");
      }
      children(ws, exposed);
    }
    if (options.projectsPerSubscription > 0) {
      const hub = workspace(sub, "hub", false, { kind: "Hub" });
      for (let p = 0; p < options.projectsPerSubscription; p += 1) {
        const project = workspace(sub, `proj${p}`, false, {
          kind: "Project",
          properties: { hubResourceId: hub.id },
        });
        // A project has no network settings of its own: only the hub link.
        project.properties = { hubResourceId: hub.id };
        children(project, false);
      }
    }
    for (let a = 0; a < options.accountsPerSubscription; a += 1) account(sub, `ai${a}`);
  }

  return {
    tenant: {
      tenantId: "5e5e5e5e-0000-4000-8000-000000000000",
      subscriptions,
      resources,
      faults: [],
    },
    expected,
    resources: ml,
  };
}
