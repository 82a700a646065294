import { TYPES, lastName, parseResourceId, sameId } from "../../model/arm-ids.js";
import { phrase } from "../describe.js";
import {
  dependencyId,
  egressPublicNetworkAccess,
  isDisabled,
  managedDeployments,
  modeIs,
  ownsIsolation,
  privateEndpointConnections,
} from "../terms.js";
import { defineRule } from "../types.js";

type Dependency = { name: "storageAccount" | "containerRegistry"; id: string };

const groupKey = (id: string) => {
  const parsed = parseResourceId(id);
  return parsed?.resourceGroup ? `${parsed.subscriptionId}/${parsed.resourceGroup}`.toLowerCase() : undefined;
};
const noun = (d: Dependency) => (d.name === "storageAccount" ? "storage account" : "container registry");
const describeDependency = (d: Dependency) => {
  const parsed = parseResourceId(d.id);
  return `${noun(d)} \`${lastName(d.id)}\` (resource group \`${parsed?.resourceGroup ?? "?"}\`, subscription \`${parsed?.subscriptionId ?? "?"}\`)`;
};

export default defineRule({
  id: "AMLNO007",
  slug: "dependency-in-other-resource-group",
  title: "Private workspace's storage account or registry is outside where network isolation supports it",
  severity: "medium",
  subject: "workspace",
  rationale:
    "A managed network reaches the workspace's storage account and container registry in another resource group of the same subscription and tenant, not in another subscription; and legacy secure outbound (egress disabled on a deployment, no managed network) needs them in the workspace's own resource group.",
  remediation:
    "Use a storage account and container registry in the workspace's subscription (in its resource group, for legacy secure outbound); a workspace's dependencies cannot be moved: plan a new workspace, or move legacy deployments to a managed network.",
  seeds: ["003", "configure-private-link"],
  *evaluate({ view }) {
    // Workspaces whose managed deployments use legacy secure outbound (W.mode = Disabled, D.egress = Disabled).
    const legacy = new Set<string>();
    for (const item of managedDeployments(view))
      if (
        item.isolation.state === "known" &&
        modeIs(item.workspace, "Disabled") &&
        isDisabled(egressPublicNetworkAccess(item.deployment))
      )
        legacy.add(item.workspace.id.toLowerCase());
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub carries these settings
      if (privateEndpointConnections(workspace).length === 0) continue;
      const subscription = parseResourceId(workspace.id)?.subscriptionId;
      const dependencies = (["storageAccount", "containerRegistry"] as const)
        .map((name) => ({ name, id: dependencyId(workspace, name) }))
        .filter((d): d is Dependency => d.id !== undefined);
      const otherSubscription = dependencies.filter(
        (d) => !sameId(parseResourceId(d.id)?.subscriptionId, subscription),
      );
      const otherGroup = legacy.has(workspace.id.toLowerCase())
        ? dependencies.filter(
            (d) => !otherSubscription.includes(d) && groupKey(d.id) !== groupKey(workspace.id),
          )
        : [];
      const elsewhere = [...otherSubscription, ...otherGroup];
      if (elsewhere.length === 0) continue;
      const why =
        otherSubscription.length > 0
          ? "outside its subscription, where a managed network does not reach them"
          : "outside its resource group, which its legacy secure-outbound deployments require";
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        severity: otherSubscription.length > 0 ? "medium" : "low",
        evidence: {
          resourceGroup: parseResourceId(workspace.id)?.resourceGroup ?? null,
          ...Object.fromEntries(elsewhere.map((d): [string, string] => [d.name, d.id])),
          otherSubscription: otherSubscription.map((d) => d.name),
          legacySecureOutbound: legacy.has(workspace.id.toLowerCase()),
        },
        message: `${phrase(view, workspace.id)} uses a private endpoint but its ${elsewhere
          .map(describeDependency)
          .join(" and ")} ${elsewhere.length === 1 ? "is" : "are"} ${why}.`,
        remediation:
          otherSubscription.length > 0
            ? "Create the workspace's storage account and container registry in its subscription; attached dependencies cannot be moved, so plan a new workspace (az ml workspace create --storage-account <id> --container-registry <id> ...)."
            : "Move the legacy deployments to a managed network (az ml workspace update --managed-network allow_only_approved_outbound ...), which reaches dependencies in other resource groups; or plan a new workspace whose storage account and container registry are in its resource group.",
      };
    }
  },
});
