/**
 * Per rule: the smallest tenant that fires it, the nearest one that does not, and the one where the
 * data it needs was not read (which must surface as AUDIT001, never as a pass).
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/policy/evaluate.js";
import { DEFAULT_POLICY } from "../../src/policy/policy-file.js";
import { RULES } from "../../src/policy/registry.js";
import type { Policy } from "../../src/policy/types.js";
import type { Snapshot } from "../../src/snapshot.js";
import {
  SUB,
  connection,
  deployment,
  endpoint,
  failure,
  privateEndpoint,
  registry,
  snapshot,
  storageAccount,
  workspace,
  workspaceId,
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
      unknown: { snapshot: snapshot([pub.ws, pub.ep], [failure(pub.ep.id, "endpoint")]), scope: pub.ep.id },
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
        snapshot: snapshot([priv.ws, priv.ep], [failure(priv.ep.id, "endpoint")]),
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
        snapshot: snapshot([priv.ws, priv.ep], [failure(priv.ep.id, "endpoint")]),
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
        const st = storageAccount("st", "rg-elsewhere");
        return { snapshot: snapshot([st, approvedWs({ storageAccount: st.id })]), on: workspaceId() };
      })(),
      near: (() => {
        const st = storageAccount("st", "RG");
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
