/**
 * Per rule: the smallest tenant that fires it, the nearest one that does not, and the one where the
 * data it needs was not read (which must surface as AUDIT001, never as a pass).
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/policy/evaluate.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";
import { RULES } from "../../src/policy/registry.js";
import type { Policy } from "../../src/policy/types.js";
import type { ArmResource, Snapshot } from "../../src/model/snapshot.js";
import {
  SUB,
  SUB2,
  DNS_ZONES,
  connection,
  dnsZone,
  virtualNetwork,
  vnetId,
  zoneGroup,
  zoneId,
  zoneLink,
  deployment,
  endpoint,
  failure,
  hub,
  privateEndpoint,
  project,
  selectedIps,
  registry,
  snapshot,
  storageAccount,
  workspace,
  workspaceId,
  account,
  accountId,
  foundryManagedNetwork,
  foundryProject,
  MANAGED_AGENTS,
  privateAccount,
  compute,
  agentStore,
  agentSetup,
} from "../helpers/tenant.js";

const NOW = new Date("2026-11-23T12:00:00Z");
const SUBSCRIPTION = `/subscriptions/${SUB}`;

interface Case {
  snapshot: Snapshot;
  policy?: Policy;
}
interface RuleTable {
  id: string;
  /** Fires, on this resource. */
  fires: Case & { on: string };
  /** The nearest tenant that does not fire. */
  near: Case;
  /**
   * The data the rule needs was not read: AUDIT001 on `scope`, and no verdict — unless the rule judges
   * something that does not come from the tenant (`stillFires`: an exemption's expiry is in the policy file).
   */
  unknown: Case & { scope: string; stillFires?: boolean };
}

const PRIVATE_WS = { publicNetworkAccess: "Disabled" };
const approvedWs = (extra: Record<string, unknown> = {}) =>
  workspace({ ...PRIVATE_WS, privateEndpointConnections: [connection(workspaceId(), "Approved")], ...extra });
const approvedOnly = (outboundRules: Record<string, unknown> = {}) => ({
  managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound", outboundRules },
});

function chain(
  wsProps: Record<string, unknown>,
  epProps: Record<string, unknown>,
  depProps: Record<string, unknown>,
) {
  const ws = workspace(wsProps);
  const ep = endpoint(ws, epProps);
  const dep = deployment(ep, depProps);
  return { ws, ep, dep };
}

function legacySecure(registryApproved: boolean) {
  const st = storageAccount();
  const cr = registry("cr", "rg", "Premium", registryApproved);
  const ws = approvedWs({ storageAccount: st.id, containerRegistry: cr.id });
  const ep = endpoint(ws, { publicNetworkAccess: "Disabled" });
  const dep = deployment(ep, {
    egressPublicNetworkAccess: "Disabled",
    environmentId: `${ws.id}/environments/custom/versions/1`,
  });
  return { st, cr, ws, ep, dep };
}

/** A policy whose only exemption, from AMLNI003 for the workspace, lasts through `expires`. */
const exemptUntil = (expires: string): Policy => ({
  ...DEFAULT_POLICY,
  exemptions: [{ ruleId: "AMLNI003", resource: workspaceId(), reason: "accepted", expires }],
});

const tables: RuleTable[] = (() => {
  const kube = (() => {
    const ws = approvedWs();
    const ep = endpoint(ws, { compute: `${ws.id}/computes/aks` });
    return { ws, ep };
  })();
  const pub = chain(PRIVATE_WS, { publicNetworkAccess: "Enabled" }, {});
  const priv = chain(PRIVATE_WS, { publicNetworkAccess: "Disabled" }, {});
  const legacyPublic = chain({ publicNetworkAccess: "Disabled" }, {}, {});
  const wsFailure = (ws = workspace()) => failure(ws.id, "resource");
  const subFailure = failure(SUBSCRIPTION, "subscription");
  const l5 = legacySecure(false);
  const l5ok = legacySecure(true);
  return [
    {
      id: "AMLNI001",
      fires: { snapshot: snapshot([pub.ws, pub.ep, pub.dep]), on: pub.ep.id },
      near: { snapshot: snapshot([priv.ws, priv.ep, priv.dep]) },
      unknown: { snapshot: snapshot([pub.ws, pub.ep], [failure(pub.ep.id, "resource")]), scope: pub.ep.id },
    },
    {
      id: "AMLNI002",
      fires: { snapshot: snapshot([priv.ws, priv.ep, priv.dep]), on: priv.ep.id },
      near: (() => {
        const ws = approvedWs();
        const ep = endpoint(ws, { publicNetworkAccess: "Disabled" });
        return { snapshot: snapshot([ws, ep, deployment(ep)]) };
      })(),
      unknown: {
        snapshot: snapshot([priv.ws, priv.ep], [failure(priv.ep.id, "resource")]),
        scope: priv.ep.id,
      },
    },
    {
      id: "AMLNI003",
      fires: { snapshot: snapshot([workspace({})]), on: workspaceId() },
      near: { snapshot: snapshot([workspace({ publicNetworkAccess: "disabled" })]) },
      unknown: { snapshot: snapshot([], [subFailure]), scope: SUBSCRIPTION },
    },
    {
      id: "AMLNI004",
      fires: {
        snapshot: snapshot([
          workspace({ privateEndpointConnections: [connection(workspaceId(), "Pending")] }),
        ]),
        on: `${workspaceId()}/privateEndpointConnections/pe-pending`,
      },
      near: { snapshot: snapshot([approvedWs()]) },
      unknown: { snapshot: snapshot([], [subFailure]), scope: SUBSCRIPTION },
    },
    {
      id: "AMLNI005",
      fires: {
        snapshot: snapshot([
          workspace({ privateEndpointConnections: [connection(workspaceId(), "Rejected")] }),
        ]),
        on: workspaceId(),
      },
      near: { snapshot: snapshot([approvedWs()]) },
      unknown: { snapshot: snapshot([], [subFailure]), scope: SUBSCRIPTION },
    },
    {
      id: "AMLNI006",
      fires: { snapshot: snapshot([kube.ws, kube.ep]), on: kube.ep.id },
      near: { snapshot: snapshot([priv.ws, priv.ep, priv.dep]) },
      unknown: {
        snapshot: snapshot([priv.ws, priv.ep], [failure(priv.ep.id, "resource")]),
        scope: priv.ep.id,
      },
    },
    {
      id: "AMLNO001",
      fires: {
        snapshot: snapshot([legacyPublic.ws, legacyPublic.ep, legacyPublic.dep]),
        on: legacyPublic.dep.id,
      },
      near: (() => {
        const c = chain({ publicNetworkAccess: "Disabled", ...approvedOnly() }, {}, {});
        return { snapshot: snapshot([c.ws, c.ep, c.dep]) };
      })(),
      unknown: {
        snapshot: snapshot([legacyPublic.ws, legacyPublic.ep, legacyPublic.dep], [wsFailure()]),
        scope: workspaceId(),
      },
    },
    {
      id: "AMLNO002",
      fires: {
        snapshot: snapshot([workspace({ managedNetwork: { isolationMode: "AllowInternetOutbound" } })]),
        on: workspaceId(),
      },
      near: { snapshot: snapshot([workspace(approvedOnly())]) },
      unknown: { snapshot: snapshot([workspace({})], [wsFailure()]), scope: workspaceId() },
    },
    {
      id: "AMLNO003",
      fires: (() => {
        const c = chain(approvedOnly(), {}, { egressPublicNetworkAccess: "Disabled" });
        return { snapshot: snapshot([c.ws, c.ep, c.dep]), on: c.dep.id };
      })(),
      near: { snapshot: snapshot([l5ok.st, l5ok.cr, l5ok.ws, l5ok.ep, l5ok.dep]) },
      unknown: (() => {
        const c = chain(approvedOnly(), {}, { egressPublicNetworkAccess: "Disabled" });
        return { snapshot: snapshot([c.ws, c.ep, c.dep], [wsFailure(c.ws)]), scope: c.ws.id };
      })(),
    },
    {
      id: "AMLNO004",
      fires: {
        snapshot: snapshot([legacyPublic.ws, legacyPublic.ep, legacyPublic.dep]),
        on: legacyPublic.dep.id,
      },
      near: (() => {
        const c = chain({ publicNetworkAccess: "Enabled" }, {}, {});
        return { snapshot: snapshot([c.ws, c.ep, c.dep]) };
      })(),
      unknown: {
        snapshot: snapshot([legacyPublic.ws, legacyPublic.ep, legacyPublic.dep], [wsFailure()]),
        scope: workspaceId(),
      },
    },
    {
      id: "AMLNO005",
      fires: { snapshot: snapshot([l5.st, l5.cr, l5.ws, l5.ep, l5.dep]), on: l5.dep.id },
      near: { snapshot: snapshot([l5ok.st, l5ok.cr, l5ok.ws, l5ok.ep, l5ok.dep]) },
      unknown: {
        snapshot: snapshot([l5.st, l5.ws, l5.ep, l5.dep], [failure(l5.cr.id, "resource", 404)]),
        scope: l5.cr.id,
      },
    },
    {
      id: "AMLNO006",
      fires: (() => {
        const cr = registry("cr", "rg", "Standard", false);
        return { snapshot: snapshot([cr, approvedWs({ containerRegistry: cr.id })]), on: workspaceId() };
      })(),
      near: (() => {
        const cr = registry("cr", "rg", "Premium");
        return { snapshot: snapshot([cr, approvedWs({ containerRegistry: cr.id })]) };
      })(),
      unknown: (() => {
        const cr = registry("cr", "rg", "Standard", false);
        return { snapshot: snapshot([approvedWs({ containerRegistry: cr.id })]), scope: cr.id };
      })(),
    },
    {
      id: "AMLNO007",
      fires: (() => {
        const st = storageAccount("st", "rg", true, SUB2);
        return {
          snapshot: snapshot([st, approvedWs({ storageAccount: st.id })], [], [SUB, SUB2]),
          on: workspaceId(),
        };
      })(),
      // Another resource group of the same subscription: a managed network reaches it, and no deployment is legacy.
      near: (() => {
        const st = storageAccount("st", "rg-elsewhere");
        return { snapshot: snapshot([st, approvedWs({ storageAccount: st.id })]) };
      })(),
      unknown: { snapshot: snapshot([], [subFailure]), scope: SUBSCRIPTION },
    },
    {
      id: "AMLNO008",
      fires: (() => {
        const c = chain(
          {},
          {},
          {
            egressPublicNetworkAccess: "Disabled",
            environmentId: "azureml://registries/azureml/environments/sklearn-1.5/versions/3",
          },
        );
        return { snapshot: snapshot([c.ws, c.ep, c.dep]), on: c.dep.id };
      })(),
      near: (() => {
        const c = chain(
          {},
          {},
          {
            egressPublicNetworkAccess: "Disabled",
            environmentId: "azureml://registries/contoso/environments/scoring/versions/3",
          },
        );
        return { snapshot: snapshot([c.ws, c.ep, c.dep]) };
      })(),
      unknown: (() => {
        const c = chain({}, {}, { egressPublicNetworkAccess: "Disabled" });
        return { snapshot: snapshot([c.ws, c.ep, c.dep], [wsFailure(c.ws)]), scope: c.ws.id };
      })(),
    },
    {
      id: "AMLNO009",
      fires: {
        snapshot: snapshot([
          workspace(
            approvedOnly({
              anything: { type: "FQDN", category: "UserDefined", destination: "*.example.com" },
            }),
          ),
        ]),
        on: `${workspaceId()}/outboundRules/anything`,
      },
      near: {
        snapshot: snapshot([
          workspace(
            approvedOnly({
              narrow: { type: "FQDN", category: "UserDefined", destination: "api.example.com" },
              required: { type: "FQDN", category: "Required", destination: "*.azureml.ms" },
            }),
          ),
        ]),
      },
      unknown: { snapshot: snapshot([workspace(approvedOnly())], [wsFailure()]), scope: workspaceId() },
    },
    (() => {
      const open = chain(selectedIps("16.17.18.0/24"), { publicNetworkAccess: "Enabled" }, {});
      const internet = chain({ publicNetworkAccess: "Enabled" }, { publicNetworkAccess: "Enabled" }, {});
      return {
        id: "AMLNI007",
        fires: { snapshot: snapshot([open.ws, open.ep, open.dep]), on: open.ep.id },
        near: { snapshot: snapshot([internet.ws, internet.ep, internet.dep]) },
        unknown: {
          snapshot: snapshot([open.ws, open.ep], [failure(open.ep.id, "resource")]),
          scope: open.ep.id,
        },
      };
    })(),
    {
      id: "AMLNI008",
      fires: { snapshot: snapshot([workspace(selectedIps("16.17.18.19"))]), on: workspaceId() },
      near: { snapshot: snapshot([workspace({ publicNetworkAccess: "Enabled" })]) },
      unknown: { snapshot: snapshot([], [subFailure]), scope: SUBSCRIPTION },
    },
    (() => {
      const failing = chain(selectedIps("16.17.18.0/24"), { publicNetworkAccess: "Enabled" }, {});
      const managed = chain(
        { ...selectedIps("16.17.18.0/24"), managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" } },
        {},
        {},
      );
      return {
        id: "AMLNO010",
        fires: { snapshot: snapshot([failing.ws, failing.ep, failing.dep]), on: failing.dep.id },
        near: { snapshot: snapshot([managed.ws, managed.ep, managed.dep]) },
        unknown: {
          snapshot: snapshot([failing.ws, failing.ep, failing.dep], [wsFailure(failing.ws)]),
          scope: failing.ws.id,
        },
      };
    })(),
    (() => {
      const network = (status: string, ruleStatus: string) => ({
        managedNetwork: {
          isolationMode: "AllowOnlyApprovedOutbound",
          status: { status },
          outboundRules: {
            data: {
              type: "PrivateEndpoint",
              category: "UserDefined",
              status: ruleStatus,
              destination: { serviceResourceId: storageAccount("data").id, subresourceTarget: "blob" },
            },
          },
        },
      });
      return {
        id: "AMLNO011",
        fires: {
          snapshot: snapshot([workspace(network("Active", "Inactive"))]),
          on: `${workspaceId()}/outboundRules/data`,
        },
        // Not provisioned yet: the private endpoints are made with the first compute.
        near: { snapshot: snapshot([workspace(network("Inactive", "Inactive"))]) },
        unknown: {
          snapshot: snapshot([workspace(network("Active", "Inactive"))], [wsFailure()]),
          scope: workspaceId(),
        },
      };
    })(),
    ...foundryTables(),
    ...dnsTables(),
    ...computeTables(),
    ...defaultResourceTables(),
    ...agentStoreTables(),
    ...agentDnsTables(),
    {
      id: "AUDIT001",
      fires: { snapshot: snapshot([], [subFailure]), on: SUBSCRIPTION },
      near: { snapshot: snapshot([approvedWs()]) },
      // Data a rule needs that is simply not in the snapshot is unknown too, even without a read failure.
      unknown: (() => {
        const cr = registry("cr-missing", "rg", "Standard");
        return { snapshot: snapshot([approvedWs({ containerRegistry: cr.id })]), scope: cr.id };
      })(),
    },
    {
      id: "AUDIT002",
      fires: {
        snapshot: snapshot([workspace({})]),
        policy: exemptUntil("2026-11-22"),
        on: workspaceId(),
      },
      near: {
        snapshot: snapshot([workspace({})]),
        policy: exemptUntil("2026-11-23"),
      },
      unknown: {
        snapshot: snapshot([], [subFailure]),
        policy: exemptUntil("2026-11-22"),
        scope: SUBSCRIPTION,
        stillFires: true,
      },
    },
  ];
})();

/** A key vault as ARM returns it (Microsoft.KeyVault 2026-02-01), public unless `props` says otherwise. */
function keyVault(name = "kv", props: Record<string, unknown> = {}): ArmResource {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${name}`,
    name,
    type: "Microsoft.KeyVault/vaults",
    properties: { publicNetworkAccess: "Enabled", ...props },
  };
}

/** The stores a Foundry resource's agents write to: AIFNO005, AIFNO008. */
function agentStoreTables(): RuleTable[] {
  const closedStores = () => ({
    threads: agentStore("cosmos", "cosmos"),
    vectors: agentStore("search", "srch"),
    files: agentStore("storage", "stagents"),
  });
  const agents = (
    stores: ReturnType<typeof closedStores>,
    rules: Record<string, unknown> = {},
    failures: Parameters<typeof snapshot>[1] = [],
    omit: string[] = [],
  ) => {
    const ai = privateAccount(MANAGED_AGENTS);
    const p = foundryProject(ai, "agents");
    const setup = agentSetup(p, stores).filter((r) => !omit.includes(r.id));
    return snapshot(
      [ai, p, foundryManagedNetwork(ai, "AllowOnlyApprovedOutbound", rules), ...setup],
      failures,
    );
  };
  const peRules = (stores: ReturnType<typeof closedStores>) =>
    Object.fromEntries(
      Object.values(stores).map((s) => [
        `pe-${s.name}`,
        {
          type: "PrivateEndpoint",
          category: "UserDefined",
          status: "Active",
          destination: { serviceResourceId: s.id },
        },
      ]),
    );
  const open = {
    ...closedStores(),
    vectors: agentStore("search", "srch", { publicNetworkAccess: "Enabled" }),
  };
  return [
    {
      id: "AIFNO005",
      fires: { snapshot: agents(open, peRules(open)), on: accountId() },
      near: { snapshot: agents(closedStores(), peRules(closedStores())) },
      unknown: {
        snapshot: agents(open, peRules(open), [failure(open.vectors.id, "resource")], [open.vectors.id]),
        scope: open.vectors.id,
      },
    },
    {
      id: "AIFNO008",
      fires: { snapshot: agents(closedStores()), on: accountId() },
      near: { snapshot: agents(closedStores(), peRules(closedStores())) },
      unknown: {
        snapshot: agents(closedStores(), {}, [
          {
            ...failure(accountId(), "resource"),
            operation: "list the capability hosts of project `agents`",
            property: "agentStores",
          },
        ]),
        scope: accountId(),
      },
    },
  ];
}

/** The network Foundry agents are injected into: PEDNS004. */
function agentDnsTables(): RuleTable[] {
  const AI_ZONES = DNS_ZONES.slice(2);
  const injected = () =>
    privateAccount({
      networkInjections: [
        {
          scenario: "agent",
          subnetArmId: `${vnetId("agents")}/subnets/agents`,
          useMicrosoftManagedNetwork: false,
        },
      ],
    });
  const ai = injected();
  const linkedToAgents = AI_ZONES.map((z) => zoneLink(zoneId(z), vnetId("agents")));
  return [
    {
      id: "PEDNS004",
      fires: { snapshot: snapshot([ai, virtualNetwork("agents")]), on: ai.id },
      near: { snapshot: snapshot([ai, virtualNetwork("agents"), ...linkedToAgents]) },
      unknown: { snapshot: snapshot([ai], [failure(vnetId("agents"), "resource")]), scope: vnetId("agents") },
    },
    {
      id: "PEDNS005",
      fires: {
        snapshot: snapshot([ai, virtualNetwork("agents", ["10.0.0.4"]), ...linkedToAgents]),
        on: ai.id,
      },
      // Azure-provided DNS: PEDNS004 judges the links instead.
      near: { snapshot: snapshot([ai, virtualNetwork("agents"), ...linkedToAgents]) },
      unknown: { snapshot: snapshot([ai], [failure(vnetId("agents"), "resource")]), scope: vnetId("agents") },
    },
  ];
}

/** A private workspace's default resources: AMLNI009. */
function defaultResourceTables(): RuleTable[] {
  const closedVault = keyVault("kv", { publicNetworkAccess: "Disabled" });
  const managed = { managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" } };
  return [
    {
      id: "AMLNI009",
      fires: (() => {
        const kv = keyVault();
        return { snapshot: snapshot([kv, approvedWs({ keyVault: kv.id, ...managed })]), on: workspaceId() };
      })(),
      near: { snapshot: snapshot([closedVault, approvedWs({ keyVault: closedVault.id, ...managed })]) },
      unknown: (() => {
        const kv = keyVault();
        return {
          snapshot: snapshot([approvedWs({ keyVault: kv.id, ...managed })], [failure(kv.id, "resource")]),
          scope: kv.id,
        };
      })(),
    },
  ];
}

/** The compute rules: an instance or cluster, and the workspace whose network it lives in. */
function computeTables(): RuleTable[] {
  const computesUnlisted = (ws: ArmResource) => ({
    ...failure(ws.id, "resource"),
    operation: "list the workspace's computes",
    property: "computes",
  });
  const ws = workspace({ publicNetworkAccess: "Disabled" });
  return [
    {
      id: "AMLCO001",
      fires: (() => {
        const ci = compute(ws, { enableNodePublicIp: true });
        return { snapshot: snapshot([ws, ci]), on: ci.id };
      })(),
      near: { snapshot: snapshot([ws, compute(ws)]) },
      unknown: { snapshot: snapshot([ws], [computesUnlisted(ws)]), scope: ws.id },
    },
    {
      id: "AMLCO002",
      fires: (() => {
        const ci = compute(ws, { subnet: null });
        return { snapshot: snapshot([ws, ci]), on: ci.id };
      })(),
      // The same compute in a workspace with a managed network: it lives there, with no subnet of its own.
      near: (() => {
        const managed = workspace({
          publicNetworkAccess: "Disabled",
          managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
        });
        return { snapshot: snapshot([managed, compute(managed, { subnet: null })]) };
      })(),
      unknown: (() => {
        const ci = compute(ws, { subnet: null });
        return { snapshot: snapshot([ws, ci], [failure(ws.id, "resource")]), scope: ws.id };
      })(),
    },
    {
      id: "AMLCO003",
      fires: (() => {
        const cluster = compute(
          ws,
          { enableNodePublicIp: true, subnet: null, remoteLoginPortPublicAccess: "NotSpecified" },
          "cpu-cluster",
          "AmlCompute",
        );
        return { snapshot: snapshot([ws, cluster]), on: cluster.id };
      })(),
      // NotSpecified in a subnet: closed.
      near: {
        snapshot: snapshot([
          ws,
          compute(
            ws,
            { enableNodePublicIp: true, remoteLoginPortPublicAccess: "NotSpecified" },
            "cpu-cluster",
            "AmlCompute",
          ),
        ]),
      },
      unknown: { snapshot: snapshot([ws], [computesUnlisted(ws)]), scope: ws.id },
    },
  ];
}

/** The Foundry rules (DESIGN §3, "Foundry resources"): an account and what it exposes. */
function foundryTables(): RuleTable[] {
  const accountFailure = (a = account()) => failure(a.id, "resource");
  const networkFailure = (a: ReturnType<typeof account>) =>
    failure(`${a.id}/managedNetworks/default`, "resource");
  const withNetwork = (mode: string, rules: Record<string, unknown> = {}) => {
    const a = privateAccount(MANAGED_AGENTS);
    return { a, mn: foundryManagedNetwork(a, mode, rules), p: foundryProject(a) };
  };
  const broad = withNetwork("AllowOnlyApprovedOutbound", {
    wild: { type: "FQDN", category: "UserDefined", destination: "*.example.com", status: "Active" },
  });
  const narrow = withNetwork("AllowOnlyApprovedOutbound", {
    exact: { type: "FQDN", category: "UserDefined", destination: "api.example.com", status: "Active" },
  });
  const pending = withNetwork("AllowOnlyApprovedOutbound", {
    storage: {
      type: "PrivateEndpoint",
      category: "UserDefined",
      destination: {
        serviceResourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
        subresourceTarget: "blob",
      },
      status: "Inactive",
    },
  });
  const active = withNetwork("AllowOnlyApprovedOutbound", {
    storage: {
      type: "PrivateEndpoint",
      category: "UserDefined",
      destination: {
        serviceResourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`,
        subresourceTarget: "blob",
      },
      status: "Active",
    },
  });
  const internet = withNetwork("AllowInternetOutbound");
  const approved = withNetwork("AllowOnlyApprovedOutbound");
  const noInjection = privateAccount();
  const injected = privateAccount({
    networkInjections: [
      {
        scenario: "agent",
        subnetArmId: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/agents`,
        useMicrosoftManagedNetwork: false,
      },
    ],
  });
  return [
    {
      id: "AIFNI001",
      fires: { snapshot: snapshot([account()]), on: accountId() },
      near: {
        snapshot: snapshot([
          account({
            publicNetworkAccess: "Enabled",
            networkAcls: { defaultAction: "Deny", ipRules: [] },
            privateEndpointConnections: [connection(accountId(), "Approved")],
          }),
        ]),
      },
      unknown: { snapshot: snapshot([account()], [accountFailure()]), scope: accountId() },
    },
    {
      id: "AIFNI002",
      fires: {
        snapshot: snapshot([
          account({ networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/24" }] } }),
        ]),
        on: accountId(),
      },
      near: {
        snapshot: snapshot([
          privateAccount({ networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/24" }] } }),
        ]),
      },
      unknown: {
        snapshot: snapshot(
          [account({ networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/24" }] } })],
          [accountFailure()],
        ),
        scope: accountId(),
      },
    },
    {
      id: "AIFNI003",
      fires: { snapshot: snapshot([account({}, "oai", "OpenAI")]), on: accountId("oai") },
      near: {
        snapshot: snapshot([
          account({
            privateEndpointConnections: [connection(accountId(), "Approved")],
            networkAcls: { defaultAction: "Deny" },
          }),
        ]),
      },
      unknown: { snapshot: snapshot([account()], [accountFailure()]), scope: accountId() },
    },
    {
      id: "AIFNI004",
      fires: { snapshot: snapshot([account({ publicNetworkAccess: "Disabled" })]), on: accountId() },
      near: { snapshot: snapshot([privateAccount()]) },
      unknown: {
        snapshot: snapshot([account({ publicNetworkAccess: "Disabled" })], [accountFailure()]),
        scope: accountId(),
      },
    },
    {
      id: "AIFNI005",
      fires: {
        snapshot: snapshot([
          privateAccount({
            privateEndpointConnections: [
              connection(accountId(), "Approved"),
              connection(accountId(), "Rejected"),
            ],
          }),
        ]),
        on: `${accountId()}/privateEndpointConnections/pe-rejected`,
      },
      near: { snapshot: snapshot([privateAccount()]) },
      unknown: {
        snapshot: snapshot(
          [privateAccount({ privateEndpointConnections: [connection(accountId(), "Pending")] })],
          [accountFailure()],
        ),
        scope: accountId(),
      },
    },
    {
      id: "AIFNO001",
      fires: { snapshot: snapshot([noInjection, foundryProject(noInjection)]), on: noInjection.id },
      near: { snapshot: snapshot([injected, foundryProject(injected)]) },
      // Its projects could not be listed: whether agents run under it is unknown.
      unknown: {
        snapshot: snapshot([noInjection], [failure(noInjection.id, "account")]),
        scope: noInjection.id,
      },
    },
    {
      id: "AIFNO002",
      fires: { snapshot: snapshot([internet.a, internet.mn, internet.p]), on: internet.a.id },
      near: { snapshot: snapshot([approved.a, approved.mn, approved.p]) },
      // Resource Graph showed the account; its managed network could not be read: unknown, not clear.
      unknown: {
        snapshot: snapshot([internet.a, internet.p], [networkFailure(internet.a)]),
        scope: internet.a.id,
      },
    },
    {
      id: "AIFNO003",
      fires: { snapshot: snapshot([broad.a, broad.mn, broad.p]), on: `${broad.mn.id}/outboundRules/wild` },
      near: { snapshot: snapshot([narrow.a, narrow.mn, narrow.p]) },
      unknown: { snapshot: snapshot([broad.a, broad.p], [networkFailure(broad.a)]), scope: broad.a.id },
    },
    {
      id: "AIFNO004",
      fires: {
        snapshot: snapshot([pending.a, pending.mn, pending.p]),
        on: `${pending.mn.id}/outboundRules/storage`,
      },
      near: { snapshot: snapshot([active.a, active.mn, active.p]) },
      unknown: {
        snapshot: snapshot([pending.a, pending.p], [networkFailure(pending.a)]),
        scope: pending.a.id,
      },
    },
    {
      // The agents are set to the Microsoft managed network, and ARM has none (404): it was never created.
      id: "AIFNO006",
      fires: { snapshot: snapshot([internet.a, internet.p]), on: internet.a.id },
      near: { snapshot: snapshot([internet.a, internet.mn, internet.p]) },
      unknown: {
        snapshot: snapshot([internet.a, internet.p], [networkFailure(internet.a)]),
        scope: internet.a.id,
      },
    },
  ];
}

/** A private workspace whose one approved private endpoint `pe-approved` sits in VNet `net`, with `dns` around it. */
function dnsCase(
  dns: ArmResource[],
  options: { dnsServers?: string[]; zoneGroup?: string[]; pna?: string } = {},
) {
  const ws = workspace({
    publicNetworkAccess: options.pna ?? "Disabled",
    privateEndpointConnections: [connection(workspaceId(), "Approved")],
  });
  const pe = privateEndpoint("pe-approved", "net");
  const group = options.zoneGroup ? [zoneGroup(pe.id, options.zoneGroup)] : [];
  return { ws, pe, resources: [ws, pe, virtualNetwork("net", options.dnsServers ?? []), ...group, ...dns] };
}

/** The ML zones, each linked to `vnet`. */
function linkedZones(vnet = vnetId("net"), names = DNS_ZONES.slice(0, 2)): ArmResource[] {
  return names.flatMap((z) => [dnsZone(z), zoneLink(zoneId(z), vnet)]);
}

function dnsTables(): RuleTable[] {
  const ML_ZONES = DNS_ZONES.slice(0, 2);
  const whole = dnsCase(linkedZones(), { zoneGroup: ML_ZONES.map((z) => zoneId(z)) });
  const noGroupNoLink = dnsCase(ML_ZONES.map((z) => dnsZone(z)));
  const groupNotLinked = dnsCase(
    ML_ZONES.map((z) => dnsZone(z)),
    { zoneGroup: ML_ZONES.map((z) => zoneId(z)) },
  );
  const custom = dnsCase(linkedZones(), {
    dnsServers: ["10.0.0.4"],
    zoneGroup: ML_ZONES.map((z) => zoneId(z)),
  });
  const peFailure = failure(whole.pe.id, "resource");
  const unreadPe = (c: typeof whole) =>
    snapshot(
      c.resources.filter((r) => r !== c.pe),
      [peFailure],
    );
  return [
    {
      id: "PEDNS001",
      fires: { snapshot: snapshot(noGroupNoLink.resources), on: noGroupNoLink.pe.id },
      // No zone group, but the zones are linked to the network: their records resolve (kept by hand).
      near: { snapshot: snapshot(dnsCase(linkedZones()).resources) },
      unknown: { snapshot: unreadPe(noGroupNoLink), scope: noGroupNoLink.pe.id },
    },
    {
      id: "PEDNS002",
      fires: { snapshot: snapshot(groupNotLinked.resources), on: groupNotLinked.pe.id },
      // Another zone of the same name, linked to the network, serves it.
      near: {
        snapshot: snapshot([
          ...groupNotLinked.resources,
          ...ML_ZONES.flatMap((z) => [
            dnsZone(z, SUB, "dns-hub"),
            zoneLink(zoneId(z, SUB, "dns-hub"), vnetId("net")),
          ]),
        ]),
      },
      unknown: {
        snapshot: snapshot(groupNotLinked.resources, [
          failure(`${zoneId(ML_ZONES[0]!)}/virtualNetworkLinks`, "resource"),
        ]),
        scope: `${zoneId(ML_ZONES[0]!)}/virtualNetworkLinks`,
      },
    },
    {
      id: "PEDNS003",
      fires: { snapshot: snapshot(custom.resources), on: custom.pe.id },
      near: { snapshot: snapshot(whole.resources) },
      unknown: {
        snapshot: snapshot(
          custom.resources.filter((r) => r.type !== "Microsoft.Network/virtualNetworks"),
          [failure(vnetId("net"), "resource")],
        ),
        scope: vnetId("net"),
      },
    },
  ];
}

function run(c: Case) {
  return evaluate(c.snapshot, c.policy ?? DEFAULT_POLICY, NOW);
}

describe("every rule has a table", () => {
  it("covers the whole registry", () => {
    expect(tables.map((t) => t.id).sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});

describe.each(tables)("$id", (table) => {
  it("fires on the smallest tenant that breaks it", () => {
    const result = run(table.fires);
    const hits = result.drafts.filter((d) => d.rule.id === table.id);
    expect(hits.map((d) => d.resourceId.toLowerCase())).toContain(table.fires.on.toLowerCase());
    for (const hit of hits) {
      expect(hit.message).toMatch(/`[^`]+`/); // names the resource
      expect(hit.message).toMatch(/\.$/);
      expect(hit.remediation.length).toBeGreaterThan(20);
    }
  });

  it("does not fire on the nearest tenant that keeps it", () => {
    const result = run(table.near);
    expect(result.drafts.filter((d) => d.rule.id === table.id)).toEqual([]);
    if (table.id !== "AUDIT001") expect(result.complete).toBe(true);
  });

  it("reports unknown as AUDIT001, never as a pass", () => {
    const result = run(table.unknown);
    const verdicts = result.drafts.filter((d) => d.rule.id === table.id);
    if (table.unknown.stillFires) expect(verdicts).toHaveLength(1);
    else if (table.id !== "AUDIT001") expect(verdicts).toEqual([]);
    const unreadable = result.drafts
      .filter((d) => d.rule.id === "AUDIT001")
      .map((d) => d.resourceId.toLowerCase());
    expect(unreadable).toContain(table.unknown.scope.toLowerCase());
    expect(result.complete).toBe(false);
  });
});

describe("AMLNI004 says where a pending request comes from", () => {
  const FOREIGN_SUB = "44444444-4444-4444-8444-444444444444";
  const pending = connection(workspaceId(), "Pending");
  const foreign = {
    ...pending,
    properties: {
      ...(pending.properties as Record<string, unknown>),
      privateEndpoint: {
        id: `/subscriptions/${FOREIGN_SUB}/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe-pending`,
      },
    },
  };
  const judge = (conn: Record<string, unknown>, extra: Parameters<typeof snapshot>[0] = []) => {
    const drafts = run({
      snapshot: snapshot([workspace({ privateEndpointConnections: [conn] }), ...extra]),
    }).drafts.filter((d) => d.rule.id === "AMLNI004");
    expect(drafts).toHaveLength(1);
    return drafts[0]!;
  };

  it.each([
    [
      "its private endpoint was read: the subnet and virtual network",
      pending,
      [privateEndpoint("pe-pending", "hub-vnet", "ml-clients")],
      /sits in subnet `ml-clients` of virtual network `hub-vnet` \(subscription `Sub 1`\)\.$/,
      `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub-vnet/subnets/ml-clients`,
    ],
    [
      "its subscription is not one the auditor can see: a warning",
      foreign,
      [],
      new RegExp(`in subscription \`${FOREIGN_SUB}\`, which the auditor cannot see .*before approving\\.$`),
      null,
    ],
    [
      "its private endpoint could not be read: nothing guessed",
      pending,
      [],
      /carries no traffic to the workspace\.$/,
      null,
    ],
  ])("%s", (_name, conn, extra, message, subnetId) => {
    const draft = judge(conn, extra);
    expect(draft.message).toMatch(message);
    expect(draft.evidence.privateEndpointSubnetId).toBe(subnetId);
  });
});

describe("hub-based projects are judged by their hub", () => {
  const SUB2 = "22222222-2222-4222-8222-222222222222";
  const ids = (snap: Snapshot, rule: string) =>
    run({ snapshot: snap })
      .drafts.filter((d) => d.rule.id === rule)
      .map((d) => d.resourceId);
  /** A hub with `hubProps`, a project, and an endpoint + Managed deployment in the project. */
  const inProject = (
    hubProps: Record<string, unknown>,
    epProps: Record<string, unknown> = {},
    depProps: Record<string, unknown> = {},
    hubSub = SUB,
  ) => {
    const h = hub(hubProps, "ai-hub", "rg", hubSub);
    const p = project(h.id);
    const ep = endpoint(p, epProps);
    const dep = deployment(ep, depProps);
    return { h, p, ep, dep, all: [h, p, ep, dep] };
  };
  const privateHub = {
    publicNetworkAccess: "Disabled",
    privateEndpointConnections: [connection(workspaceId("ai-hub"), "Approved")],
    managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
  };

  it("a project under a private, approved-outbound hub has no finding of its own", () => {
    const t = inProject(privateHub, { publicNetworkAccess: "Disabled" });
    const result = run({ snapshot: snapshot(t.all) });
    expect(result.drafts.map((d) => `${d.rule.id} ${d.resourceId}`)).toEqual([]);
    expect(result.complete).toBe(true);
  });

  it.each(["AMLNI003", "AMLNI005", "AMLNO002", "AMLNI008"])(
    "%s never fires on the project itself",
    (rule) => {
      const t = inProject({
        ...selectedIps("16.17.18.0/24"),
        managedNetwork: { isolationMode: "AllowInternetOutbound" },
      });
      const hits = ids(snapshot(t.all), rule);
      expect(hits).not.toContain(t.p.id);
      expect(hits).toEqual(rule === "AMLNI003" ? [] : [t.h.id]); // the hub carries it once
    },
  );

  it.each([
    ["AMLNO001", { publicNetworkAccess: "Enabled" }, {}, "dep"],
    ["AMLNO004", { publicNetworkAccess: "Disabled" }, {}, "dep"],
    [
      "AMLNO003",
      { managedNetwork: { isolationMode: "AllowInternetOutbound" } },
      { egressPublicNetworkAccess: "Disabled" },
      "dep",
    ],
    ["AMLNI002", { publicNetworkAccess: "Disabled" }, {}, "ep"],
  ] as const)("%s fires through a project from its hub's settings", (rule, hubProps, depProps, on) => {
    const epProps = rule === "AMLNI002" ? { publicNetworkAccess: "Disabled" } : {};
    const t = inProject(hubProps, epProps, depProps);
    const drafts = run({ snapshot: snapshot(t.all) }).drafts.filter((d) => d.rule.id === rule);
    expect(drafts.map((d) => d.resourceId)).toEqual([on === "dep" ? t.dep.id : t.ep.id]);
    const draft = drafts[0]!;
    expect(draft.message).toContain("It inherits the network isolation of hub `ai-hub`.");
    expect(draft.evidence.hubResourceId).toBe(t.h.id);
    if (rule !== "AMLNO003" && rule !== "AMLNI002") expect(draft.remediation).toContain("--name ai-hub ");
  });

  it.each(["AMLNO001", "AMLNI002", "AMLNI001"])("%s does not fire where the hub keeps it", (rule) => {
    const t = inProject(privateHub, { publicNetworkAccess: rule === "AMLNI001" ? "Disabled" : "Disabled" });
    expect(ids(snapshot(t.all), rule)).toEqual([]);
  });

  it("a hub that cannot be read makes the project's endpoints and deployments unknown (AUDIT001 on the hub)", () => {
    const t = inProject(privateHub, { publicNetworkAccess: "Enabled" });
    const withoutHub = snapshot([t.p, t.ep, t.dep], [failure(t.h.id, "resource")]);
    const result = run({ snapshot: withoutHub });
    const rules = result.drafts.map((d) => d.rule.id);
    for (const rule of ["AMLNI001", "AMLNI002", "AMLNO001", "AMLNO004", "AMLNO010"])
      expect(rules).not.toContain(rule);
    expect(result.drafts.filter((d) => d.rule.id === "AUDIT001").map((d) => d.resourceId)).toContain(t.h.id);
    expect(result.complete).toBe(false);
    expect(result.unjudgedScopes).toEqual(expect.arrayContaining([t.dep.id, t.ep.id]));
  });

  it("a project whose hub is in another subscription is judged by that hub", () => {
    const t = inProject({ publicNetworkAccess: "Enabled" }, {}, {}, SUB2);
    const snap = snapshot(t.all, [], [SUB, SUB2]);
    expect(ids(snap, "AMLNO001")).toEqual([t.dep.id]);
    expect(ids(snap, "AMLNI001")).toEqual([t.ep.id]);
  });

  it("a project without hubResourceId is its own workspace", () => {
    const lone = { ...workspace({}), kind: "Project" };
    expect(ids(snapshot([lone]), "AMLNI003")).toEqual([lone.id]);
  });
});

describe("workspaces public from selected IPs (the documentation's table)", () => {
  const rulesFor = (wsProps: Record<string, unknown>, epPna: string) => {
    const t = chain(wsProps, { publicNetworkAccess: epPna }, {});
    return run({ snapshot: snapshot([t.ws, t.ep, t.dep]) })
      .drafts.map((d) => d.rule.id)
      .filter((id) => ["AMLNI001", "AMLNI003", "AMLNI007", "AMLNI008", "AMLNO010"].includes(id))
      .sort();
  };
  const ranges = selectedIps("16.17.18.0/24", "20.30.40.50");

  it.each([
    [
      "workspace Disabled, endpoint Disabled: nothing public",
      { publicNetworkAccess: "Disabled" },
      "Disabled",
      [],
    ],
    [
      "workspace Disabled, endpoint Enabled: the endpoint is public",
      { publicNetworkAccess: "Disabled" },
      "Enabled",
      ["AMLNI001"],
    ],
    [
      "selected IPs, endpoint Disabled: the workspace admits the ranges",
      ranges,
      "Disabled",
      ["AMLNI008", "AMLNO010"],
    ],
    [
      "selected IPs, endpoint Enabled: both admit the ranges",
      ranges,
      "Enabled",
      ["AMLNI007", "AMLNI008", "AMLNO010"],
    ],
    [
      "all networks, endpoint Enabled: the internet",
      { publicNetworkAccess: "Enabled" },
      "Enabled",
      ["AMLNI001", "AMLNI003"],
    ],
    [
      "Deny without public access is just private",
      {
        publicNetworkAccess: "Disabled",
        networkAcls: { defaultAction: "Deny", ipRules: [{ value: "1.2.3.4" }] },
      },
      "Disabled",
      [],
    ],
  ] as const)("%s", (_name, wsProps, epPna, expected) => {
    expect(rulesFor(wsProps, epPna)).toEqual([...expected].sort());
  });

  it("ranges that could not be read leave only the rules that need them unknown, never the internet's verdict", () => {
    const t = chain(
      { publicNetworkAccess: "Enabled", managedNetwork: { isolationMode: "AllowInternetOutbound" } },
      { publicNetworkAccess: "Enabled" },
      {},
    );
    const unread = { ...failure(t.ws.id, "resource", 400), property: "networkAcls" };
    const result = run({ snapshot: snapshot([t.ws, t.ep, t.dep], [unread]) });
    const rules = result.drafts.map((d) => d.rule.id);
    for (const rule of ["AMLNI001", "AMLNI003", "AMLNI007", "AMLNI008"]) expect(rules).not.toContain(rule);
    // The rest of the workspace was read: its outbound is judged.
    expect(rules).toContain("AMLNO002");
    const audit = result.drafts.find((d) => d.rule.id === "AUDIT001")!;
    expect(audit.resourceId).toBe(t.ws.id);
    expect((audit.evidence.neededBy as { ruleId: string }[]).map((n) => n.ruleId).sort()).toEqual([
      "AMLNI001",
      "AMLNI003",
      "AMLNI008",
      "AMLNI009",
    ]);
    expect(result.unjudgedScopes).toEqual(expect.arrayContaining([t.ws.id, t.ep.id]));
    // Without a managed network the deployment's verdict needs them too.
    const legacy = chain({ publicNetworkAccess: "Enabled" }, { publicNetworkAccess: "Disabled" }, {});
    const legacyRun = run({
      snapshot: snapshot([legacy.ws, legacy.ep, legacy.dep], [{ ...unread, scope: legacy.ws.id }]),
    });
    expect(legacyRun.drafts.map((d) => d.rule.id)).not.toContain("AMLNO010");
    expect(legacyRun.unjudgedScopes).toContain(legacy.dep.id);
  });

  it("carries the ranges in the evidence and the network-rule commands in the remediation", () => {
    const t = chain(ranges, { publicNetworkAccess: "Enabled" }, {});
    const drafts = run({ snapshot: snapshot([t.ws, t.ep, t.dep]) }).drafts;
    const ni007 = drafts.find((d) => d.rule.id === "AMLNI007")!;
    expect(ni007.evidence.ipRules).toEqual(["16.17.18.0/24", "20.30.40.50"]);
    expect(ni007.message).toMatch(
      /from 2 public IP ranges of its workspace \(16\.17\.18\.0\/24, 20\.30\.40\.50\)\.$/,
    );
    expect(drafts.find((d) => d.rule.id === "AMLNI008")!.remediation).toMatch(
      /az ml workspace network-rule list/,
    );
    const no010 = drafts.find((d) => d.rule.id === "AMLNO010")!;
    expect(no010.remediation).toMatch(/--managed-network allow_only_approved_outbound/);
  });
});

describe("private endpoint DNS", () => {
  const ML_ZONES = DNS_ZONES.slice(0, 2);
  const drafts = (resources: ArmResource[], rule: string, failures: Parameters<typeof snapshot>[1] = []) =>
    run({ snapshot: snapshot(resources, failures) }).drafts.filter((d) => d.rule.id === rule);

  it("is high when the resource's public access is disabled, medium when clients would leave the network", () => {
    expect(drafts(dnsCase([]).resources, "PEDNS001")[0]?.severity).toBe("high");
    expect(drafts(dnsCase([], { pna: "Enabled" }).resources, "PEDNS001")[0]?.severity).toBe("medium");
  });

  it("names the missing zones and gives the commands with the real names", () => {
    const [draft] = drafts(dnsCase([]).resources, "PEDNS001");
    expect(draft?.evidence.missingZones).toEqual(ML_ZONES);
    expect(draft?.remediation).toContain(
      "az network private-dns zone create --resource-group net --name privatelink.api.azureml.ms",
    );
    expect(draft?.remediation).toContain(`--virtual-network ${vnetId("net")} --registration-enabled false`);
    expect(draft?.remediation).toMatch(
      /az network private-endpoint dns-zone-group create --resource-group net --endpoint-name pe-approved .*--name default/,
    );
    expect(draft?.remediation).toMatch(/dns-zone-group add .*privatelink-notebooks-azure-net/);
  });

  it("links the zone a zone group names, in the zone's own resource group and subscription", () => {
    const zone = zoneId(ML_ZONES[0]!, SUB2, "dns-hub");
    const c = dnsCase(
      [dnsZone(ML_ZONES[0]!, SUB2, "dns-hub"), ...linkedZones(vnetId("net"), ML_ZONES.slice(1))],
      {
        zoneGroup: [zone, zoneId(ML_ZONES[1]!)],
      },
    );
    const [draft] = run({ snapshot: snapshot(c.resources, [], [SUB, SUB2]) }).drafts.filter(
      (d) => d.rule.id === "PEDNS002",
    );
    expect(draft?.evidence.unlinkedZones).toEqual([zone]);
    expect(draft?.remediation).toBe(
      `az network private-dns link vnet create --resource-group dns-hub --zone-name ${ML_ZONES[0]} --name net-link --virtual-network ${vnetId("net")} --registration-enabled false --subscription ${SUB2}`,
    );
  });

  it("an Azure OpenAI account needs only the OpenAI zone; a Foundry resource all three", () => {
    const zones = (kind: string) => {
      const a = { ...privateAccount({}, "ai", kind) };
      const pe = privateEndpoint("pe-approved", "net");
      return drafts([a, pe, virtualNetwork("net")], "PEDNS001")[0]?.evidence.missingZones;
    };
    expect(zones("OpenAI")).toEqual(["privatelink.openai.azure.com"]);
    expect(zones("AIServices")).toEqual(DNS_ZONES.slice(2));
  });

  it("a project is reached through its hub: only the hub's private endpoint is judged", () => {
    const h = hub({
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(workspaceId("hub"), "Approved")],
    });
    const p = {
      ...project(h.id),
      properties: {
        ...project(h.id).properties,
        privateEndpointConnections: [connection(workspaceId("proj"), "Approved", "pe-proj")],
      },
    };
    const pe = privateEndpoint("pe-approved", "net");
    const found = drafts([h, p, pe, virtualNetwork("net")], "PEDNS001").map((d) => d.resourceId);
    expect(found).toEqual([pe.id]);
  });

  it("a zone search that could not cover a subscription still fires, and says so", () => {
    const scope = `/subscriptions/${SUB2}/providers/Microsoft.Network/privateDnsZones`;
    const [draft] = drafts(dnsCase([]).resources, "PEDNS001", [failure(scope, "resourceType")]);
    expect(draft?.evidence.unsearchedSubscriptions).toEqual([`/subscriptions/${SUB2}`]);
    expect(draft?.message).toMatch(/could not be read \(AUDIT001\)/);
  });

  it("custom DNS: the servers, and whether each required zone exists and is linked", () => {
    const c = dnsCase([dnsZone(ML_ZONES[0]!), zoneLink(zoneId(ML_ZONES[0]!), vnetId("net"))], {
      dnsServers: ["10.0.0.4"],
    });
    const [draft] = drafts(c.resources, "PEDNS003");
    expect(draft?.evidence.dnsServers).toEqual(["10.0.0.4"]);
    expect(draft?.evidence.requiredZones).toEqual([
      { name: ML_ZONES[0], exists: true, linkedToNetwork: true },
      { name: ML_ZONES[1], exists: false, linkedToNetwork: false },
    ]);
    expect(drafts(c.resources, "PEDNS001")).toEqual([]);
  });
});

describe("PEDNS004: the agents' own network", () => {
  it("needs the zones of the stores the agents write to as well as the Foundry resource's", () => {
    const ai = privateAccount({
      networkInjections: [
        {
          scenario: "agent",
          subnetArmId: `${vnetId("agents")}/subnets/agents`,
          useMicrosoftManagedNetwork: false,
        },
      ],
    });
    const p = foundryProject(ai, "agents");
    const setup = agentSetup(p, {
      threads: agentStore("cosmos", "cosmos"),
      vectors: agentStore("search", "srch"),
      files: agentStore("storage", "stagents"),
    });
    const aiLinks = DNS_ZONES.slice(2).map((z) => zoneLink(zoneId(z), vnetId("agents")));
    const storeZones = [
      "privatelink.documents.azure.com",
      "privatelink.search.windows.net",
      "privatelink.blob.core.windows.net",
    ];
    const hit = run({
      snapshot: snapshot([ai, p, ...setup, virtualNetwork("agents"), ...aiLinks]),
    }).drafts.find((d) => d.rule.id === "PEDNS004");
    expect(hit?.evidence.missingZones).toEqual(storeZones);
    const linked = storeZones.flatMap((z) => [dnsZone(z), zoneLink(zoneId(z), vnetId("agents"))]);
    const whole = run({
      snapshot: snapshot([ai, p, ...setup, virtualNetwork("agents"), ...aiLinks, ...linked]),
    });
    expect(whole.drafts.filter((d) => d.rule.id === "PEDNS004")).toEqual([]);
    // Custom DNS servers: what they forward is not in ARM, so PEDNS005 says what can be seen instead.
    const custom = run({
      snapshot: snapshot([ai, p, ...setup, virtualNetwork("agents", ["10.0.0.4"]), ...aiLinks]),
    });
    expect(custom.drafts.filter((d) => d.rule.id === "PEDNS004")).toEqual([]);
    const [informational] = custom.drafts.filter((d) => d.rule.id === "PEDNS005");
    expect(informational?.evidence.dnsServers).toEqual(["10.0.0.4"]);
    expect(informational?.evidence.requiredZones).toEqual([
      ...DNS_ZONES.slice(2).map((name) => ({ name, exists: true, linkedToNetwork: true })),
      ...storeZones.map((name) => ({ name, exists: false, linkedToNetwork: false })),
    ]);
    expect(informational?.message).toMatch(/10\.0\.0\.4/);
    // Its stores unread: neither rule judges the network; the stores are unknown.
    const storesUnread = run({
      snapshot: snapshot(
        [ai, p, virtualNetwork("agents", ["10.0.0.4"])],
        [
          {
            ...failure(ai.id, "resource"),
            operation: "list the capability hosts of project `agents`",
            property: "agentStores",
          },
        ],
      ),
    });
    expect(storesUnread.drafts.filter((d) => d.rule.id === "PEDNS005")).toEqual([]);
    expect(storesUnread.drafts.find((d) => d.rule.id === "AUDIT001")?.resourceId).toBe(ai.id);
  });
});

describe("AMLNI009: a private workspace's default resources", () => {
  const storageWith = (groups: string[][]) => {
    const st = storageAccount("st", "rg", false);
    const endpoints = groups.map((g, i) => ({
      ...privateEndpoint(`pe-st-${i}`, "net"),
      properties: {
        ...privateEndpoint(`pe-st-${i}`, "net").properties,
        privateLinkServiceConnections: [
          { name: `pe-st-${i}`, properties: { privateLinkServiceId: st.id, groupIds: g } },
        ],
      },
    }));
    st.properties = {
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: endpoints.map((e) => connection(st.id, "Approved", e.name)),
    };
    return { st, endpoints };
  };
  const nine = (resources: ArmResource[], failures: Parameters<typeof snapshot>[1] = []) =>
    run({ snapshot: snapshot(resources, failures) }).drafts.filter((d) => d.rule.id === "AMLNI009");

  it("needs both a blob and a file private endpoint on the storage account of a workspace without a managed network", () => {
    const blobOnly = storageWith([["blob"]]);
    const [hit] = nine([blobOnly.st, ...blobOnly.endpoints, approvedWs({ storageAccount: blobOnly.st.id })]);
    expect(hit?.evidence.storageMissingPrivateEndpoints).toEqual(["file"]);
    expect(hit?.remediation).toContain("--group-id file");
    const both = storageWith([["blob"], ["file"]]);
    expect(nine([both.st, ...both.endpoints, approvedWs({ storageAccount: both.st.id })])).toEqual([]);
    // With a managed network, the service's own private endpoints reach the storage: not judged.
    const managed = approvedWs({
      storageAccount: blobOnly.st.id,
      managedNetwork: { isolationMode: "AllowOnlyApprovedOutbound" },
    });
    expect(nine([blobOnly.st, ...blobOnly.endpoints, managed])).toEqual([]);
  });

  it("a private endpoint of the storage that could not be read is unknown, unless blob and file are seen already", () => {
    const partial = storageWith([["blob"], ["file"]]);
    const [, fileEndpoint] = partial.endpoints;
    const result = run({
      snapshot: snapshot(
        [partial.st, partial.endpoints[0] as ArmResource, approvedWs({ storageAccount: partial.st.id })],
        [failure(fileEndpoint?.id ?? "", "resource")],
      ),
    });
    expect(result.drafts.filter((d) => d.rule.id === "AMLNI009")).toEqual([]);
    expect(result.drafts.filter((d) => d.rule.id === "AUDIT001").map((d) => d.resourceId)).toContain(
      fileEndpoint?.id,
    );
  });

  it("judges a workspace public from selected IPs only, not one public to the internet (AMLNI003's)", () => {
    const kv = keyVault();
    const onlyRanges = workspace({ ...selectedIps("203.0.113.0/24"), keyVault: kv.id });
    expect(nine([kv, onlyRanges]).map((d) => d.evidence.publicFromSelectedIps)).toEqual([true]);
    expect(nine([kv, workspace({ publicNetworkAccess: "Enabled", keyVault: kv.id })])).toEqual([]);
  });

  it("a registry that is not Premium is upgraded before its public endpoint is turned off", () => {
    const cr = registry("cr", "rg", "Standard", false);
    const [hit] = nine([cr, approvedWs({ containerRegistry: cr.id })]);
    expect(hit?.remediation).toMatch(
      /--sku Premium; az acr update --name cr .*--public-network-enabled false/,
    );
  });
});

describe("the catalog held to today's documentation (2026-12)", () => {
  it("AMLNO007: another resource group is low only while the workspace uses legacy secure outbound", () => {
    const st = storageAccount("st", "rg-elsewhere");
    const ws = approvedWs({ storageAccount: st.id });
    const ep = endpoint(ws, { publicNetworkAccess: "Disabled" });
    const legacy = deployment(ep, { egressPublicNetworkAccess: "Disabled" });
    const found = run({ snapshot: snapshot([st, ws, ep, legacy]) }).drafts.filter(
      (d) => d.rule.id === "AMLNO007",
    );
    expect(found.map((d) => d.severity)).toEqual(["low"]);
    const other = storageAccount("st", "rg", true, SUB2);
    const elsewhere = run({
      snapshot: snapshot([other, approvedWs({ storageAccount: other.id })], [], [SUB, SUB2]),
    });
    expect(elsewhere.drafts.filter((d) => d.rule.id === "AMLNO007").map((d) => d.severity)).toEqual([
      "medium",
    ]);
  });

  it("AMLNI007: a workspace that disabled public access but kept its IP rules leaves its endpoints admitting them", () => {
    const stale = chain(
      { ...selectedIps("16.17.18.0/24"), publicNetworkAccess: "Disabled" },
      { publicNetworkAccess: "Enabled" },
      {},
    );
    const result = run({ snapshot: snapshot([stale.ws, stale.ep, stale.dep]) });
    const ni007 = result.drafts.filter((d) => d.rule.id === "AMLNI007");
    expect(ni007.map((d) => d.resourceId)).toEqual([stale.ep.id]);
    expect(ni007[0]?.evidence).toMatchObject({ ipRules: ["16.17.18.0/24"], staleWorkspaceRanges: true });
    expect(ni007[0]?.remediation).toContain("az ml workspace network-rule remove");
    expect(result.drafts.filter((d) => d.rule.id === "AMLNI001")).toEqual([]);
  });

  it("an endpoint whose deployments could not be listed is still judged by its own record", () => {
    const pub = chain(PRIVATE_WS, { publicNetworkAccess: "Enabled" }, {});
    const result = run({ snapshot: snapshot([pub.ws, pub.ep], [failure(pub.ep.id, "endpoint")]) });
    expect(result.drafts.filter((d) => d.rule.id === "AMLNI001").map((d) => d.resourceId)).toEqual([
      pub.ep.id,
    ]);
    expect(result.drafts.filter((d) => d.rule.id === "AUDIT001").map((d) => d.resourceId)).toEqual([
      pub.ep.id,
    ]);
  });
});

describe("outbound rules judged as the service applies them", () => {
  const rule = (r: Record<string, unknown>) => ({ category: "UserDefined", ...r });
  const tag = (serviceTag: string, extra: Record<string, unknown> = {}) =>
    rule({ type: "ServiceTag", destination: { serviceTag, protocol: "TCP", portRanges: "443", ...extra } });
  const fqdn = (destination: string) => rule({ type: "FQDN", destination });
  /** The rule ids a workspace's and an account's approved-only network with `r` as their only rule give. */
  const judged = (r: Record<string, unknown>) => {
    const ws = workspace(approvedOnly({ r }));
    const a = privateAccount(MANAGED_AGENTS);
    const mn = foundryManagedNetwork(a, "AllowOnlyApprovedOutbound", { r });
    const ids = run({ snapshot: snapshot([ws, a, mn, foundryProject(a)]) }).drafts.map((d) => d.rule.id);
    return { ml: ids.includes("AMLNO009"), foundry: ids.includes("AIFNO003") };
  };

  it.each([
    ["a tag the service needs", tag("AzureMachineLearning"), false, false],
    [
      "the same tag with address prefixes that cover the internet: they replace it",
      tag("AzureMachineLearning", { addressPrefixes: ["0.0.0.0/0"] }),
      true,
      true,
    ],
    [
      "address prefixes of a /8 or more",
      tag("AzureActiveDirectory", { addressPrefixes: ["10.0.0.0/9", "52.0.0.0/9"] }),
      true,
      true,
    ],
    [
      "narrow address prefixes replace even a broad tag",
      tag("Internet", { addressPrefixes: ["203.0.113.0/24"] }),
      false,
      false,
    ],
    ["the Internet tag, allowed", tag("Internet"), true, true],
    ["the Internet tag, denied: it opens nothing", tag("Internet", { action: "Deny" }), false, false],
    ["Storage: every account of every tenant", tag("Storage"), true, true],
    ["Storage of one region: every account there", tag("Storage.EastUS"), true, true],
    ["Sql", tag("Sql"), true, true],
    ["every port", tag("AzureMonitor", { portRanges: "0-65535" }), true, true],
    ["an exact host", fqdn("pypi.org"), false, false],
    ["a wildcard the ML page documents for packages", fqdn("*.pythonhosted.org"), false, true],
    ["a wildcard the Foundry page documents for agents", fqdn("*.identity.azure.net"), true, false],
    ["a wildcard nobody documents", fqdn("*.blob.core.windows.net"), true, true],
    [
      "a private endpoint rule",
      rule({ type: "PrivateEndpoint", destination: { serviceResourceId: storageAccount().id } }),
      false,
      false,
    ],
  ] as const)("%s", (_name, r, ml, foundry) => {
    expect(judged(r)).toEqual({ ml, foundry });
  });

  it.each([
    ["Inactive", true],
    ["Failed", true],
    ["Provisioning", false],
    ["Deleting", false],
    ["Active", false],
  ])("a private endpoint rule %s fires AIFNO004 and AMLNO011: %s", (status, fires) => {
    const pe = {
      type: "PrivateEndpoint",
      category: "UserDefined",
      status,
      ...(status === "Failed" ? { errorInformation: "the approver role is missing" } : {}),
      destination: { serviceResourceId: storageAccount().id, subresourceTarget: "blob" },
    };
    const ws = workspace({
      managedNetwork: {
        isolationMode: "AllowOnlyApprovedOutbound",
        status: { status: "Active" },
        outboundRules: { pe },
      },
    });
    const a = privateAccount(MANAGED_AGENTS);
    const mn = foundryManagedNetwork(a, "AllowOnlyApprovedOutbound", { pe });
    const drafts = run({ snapshot: snapshot([ws, a, mn, foundryProject(a)]) }).drafts;
    for (const id of ["AIFNO004", "AMLNO011"]) {
      const found = drafts.find((d) => d.rule.id === id);
      expect(found !== undefined, id).toBe(fires);
      if (status === "Failed") {
        expect(found?.evidence.errorInformation).toBe("the approver role is missing");
        expect(found?.message).toMatch(/has failed \(the approver role is missing\)/);
      }
    }
  });
});
