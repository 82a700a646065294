/**
 * What the compute rules (AMLCO001–003) share: which computes they judge, how each reads its network settings
 * (api-version 2025-12-01, `Compute` discriminated by `computeType`), and the workspace whose network it lives in.
 *
 * Paths, all under `properties` (the `Compute` union) and its own `properties` (`ComputeInstanceProperties`,
 * `AmlComputeProperties`): `computeType`; `properties.enableNodePublicIp` ("true - the compute nodes will have
 * public IPs provisioned. false - … no public IPs"); `properties.subnet.id`; an instance's
 * `properties.sshSettings.sshPublicAccess` (`Enabled` | `Disabled`); a cluster's
 * `properties.remoteLoginPortPublicAccess` (`Enabled` | `Disabled` | `NotSpecified`: "closed on all nodes of the
 * cluster if VNet is defined, else is open all public nodes").
 */
import { sameValue } from "../model/arm-ids.js";
import { record, str } from "../model/json-values.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { isolationOf, isolationMode, networkSettingsUnknown, type Isolation } from "./terms.js";
import type { RuleOutcome } from "./types.js";

/** The computes Azure ML creates in the workspace's network; attached ones (AKS, Databricks, VMs…) are not. */
export const JUDGED_COMPUTE_TYPES = ["ComputeInstance", "AmlCompute"] as const;

export interface ComputeNetwork {
  computeType: "ComputeInstance" | "AmlCompute";
  /** `enableNodePublicIp` as read (undefined: not set, which provisions a public IP). */
  enableNodePublicIp: unknown;
  hasPublicIp: boolean;
  subnetId?: string;
  /** An instance's `sshSettings.sshPublicAccess`, or a cluster's `remoteLoginPortPublicAccess`, as read. */
  sshSetting?: string;
}

export function computeNetwork(compute: ArmResource): ComputeNetwork | undefined {
  const type = JUDGED_COMPUTE_TYPES.find((t) => sameValue(compute.properties?.computeType, t));
  if (!type) return undefined;
  const inner = record(compute.properties?.properties) ?? {};
  const subnetId = str(record(inner.subnet)?.id);
  const sshSetting =
    type === "ComputeInstance"
      ? str(record(inner.sshSettings)?.sshPublicAccess)
      : str(inner.remoteLoginPortPublicAccess);
  return {
    computeType: type,
    enableNodePublicIp: inner.enableNodePublicIp,
    // Only an explicit false removes the public IP: the API provisions one otherwise.
    hasPublicIp: inner.enableNodePublicIp !== false,
    ...(subnetId ? { subnetId } : {}),
    ...(sshSetting ? { sshSetting } : {}),
  };
}

/** Whether the compute's SSH port is open on its public address, as the setting reads. */
export function sshOpen(network: ComputeNetwork): boolean {
  const setting = network.sshSetting;
  if (network.computeType === "ComputeInstance") return sameValue(setting, "Enabled");
  if (sameValue(setting, "Enabled")) return true;
  if (sameValue(setting, "Disabled")) return false;
  // NotSpecified (or not sent): open on every public node when the cluster has no subnet.
  return network.subnetId === undefined;
}

export interface JudgedCompute {
  workspace: ArmResource;
  compute: ArmResource;
  network: ComputeNetwork;
  /** The workspace whose network settings apply: W, or its hub for a project. */
  isolation: Extract<Isolation, { state: "known" }>;
}

/**
 * Every judged compute of every workspace, with the settings it needs: a workspace whose computes could not be
 * listed, or whose (or whose hub's) network settings could not be read, yields its unknown, never a pass.
 */
export function* judgeComputes(
  view: SnapshotView,
  judge: (item: JudgedCompute) => RuleOutcome | undefined,
  ruleId: string,
): Generator<RuleOutcome> {
  for (const workspace of view.workspaces()) {
    if (!view.propertyKnown(workspace.id, "computes") || !view.childrenKnown(workspace.id)) {
      yield {
        kind: "unknown",
        scope: workspace.id,
        reason: `${ruleId} needs the workspace's computes, which could not be listed`,
      };
      continue;
    }
    const computes = view.computesOf(workspace).flatMap((compute) => {
      const network = computeNetwork(compute);
      return network ? [{ compute, network }] : [];
    });
    if (computes.length === 0) continue;
    const isolation = isolationOf(view, workspace);
    const unread = networkSettingsUnknown(view, isolation);
    if (unread || isolation.state === "unknown") {
      if (unread) yield unread;
      continue;
    }
    for (const { compute, network } of computes) {
      if (!view.propertiesKnown(compute.id)) {
        yield { kind: "unknown", scope: compute.id, reason: `${ruleId} needs the compute's settings` };
        continue;
      }
      const outcome = judge({ workspace, compute, network, isolation });
      if (outcome) yield outcome;
    }
  }
}

/** Whether the workspace (or its hub) has a managed network: its computes then live in it, with no subnet. */
export function inManagedNetwork(isolation: JudgedCompute["isolation"]): boolean {
  return !sameValue(isolationMode(isolation.owner), "Disabled");
}

/** `az ml compute` arguments naming the compute. */
export function computeArgs(workspace: ArmResource, compute: ArmResource): string {
  const rg = /\/resourceGroups\/([^/]+)/i.exec(compute.id)?.[1] ?? "<resource-group>";
  return `--name ${compute.name} --workspace-name ${workspace.name} --resource-group ${rg}`;
}
