/**
 * The terms of DESIGN §3, read from ARM JSON with ARM's defaults: a missing flag means what ARM
 * does when it is missing. Enum values are compared case-insensitively, as ARM does.
 */
import { TYPES, sameValue, subscriptionOf } from "../model/arm-ids.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { record, str } from "../model/json-values.js";
import { coversInternet } from "./ip-ranges.js";
import type { Configuration, RuleOutcome, Unknown, Violation } from "./types.js";

export type IsolationMode = "Disabled" | "AllowInternetOutbound" | "AllowOnlyApprovedOutbound";
export type Outbound = "secure (managed)" | "public (managed)" | "secure (legacy)" | "public";

function prop(resource: ArmResource | undefined, name: string): unknown {
  return resource?.properties?.[name];
}

/** `W.pna`, `E.pna`: `publicNetworkAccess`, missing ⇒ `Enabled`. */
export function publicNetworkAccess(resource: ArmResource): string {
  return str(prop(resource, "publicNetworkAccess")) ?? "Enabled";
}

export function isDisabled(value: string): boolean {
  return sameValue(value, "Disabled");
}

/** `W.mode`: `managedNetwork.isolationMode`, missing ⇒ `Disabled`. */
export function isolationMode(workspace: ArmResource): string {
  return str(record(prop(workspace, "managedNetwork"))?.isolationMode) ?? "Disabled";
}

/**
 * What a rule that needs `W.mode` yields when the workspace's settings were not read (its listing or,
 * for the `arg` source, its ARM read failed); undefined when they were.
 */
export function managedNetworkUnknown(view: SnapshotView, workspace: ArmResource): Unknown | undefined {
  if (view.propertiesKnown(workspace.id)) return undefined;
  return { kind: "unknown", scope: workspace.id, reason: "its managed network settings could not be read" };
}

/**
 * What the managed network rules share: every workspace that carries its own network isolation (not a project:
 * its hub carries it), judged by `judge` once its managed network settings were read; one whose settings were not
 * read yields its unknown, never a pass.
 */
export function* judgeManagedNetworks(
  view: SnapshotView,
  judge: (workspace: ArmResource) => Iterable<RuleOutcome>,
): Generator<RuleOutcome> {
  for (const workspace of view.workspaces()) {
    if (!ownsIsolation(workspace)) continue;
    const unread = managedNetworkUnknown(view, workspace);
    if (unread) yield unread;
    else yield* judge(workspace);
  }
}

export function modeIs(workspace: ArmResource, mode: IsolationMode): boolean {
  return sameValue(isolationMode(workspace), mode);
}

export interface PrivateEndpointConnection {
  id: string;
  name: string;
  status: string;
  privateEndpointId?: string;
}

/** `properties.privateEndpointConnections` of a workspace, storage account or registry. */
export function privateEndpointConnections(resource: ArmResource | undefined): PrivateEndpointConnection[] {
  const raw = prop(resource, "privateEndpointConnections");
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item: unknown) => {
    const c = record(item);
    if (!c) return [];
    const properties = record(c.properties);
    const state = record(properties?.privateLinkServiceConnectionState);
    return [
      {
        id: str(c.id) ?? "",
        name: str(c.name) ?? "",
        status: str(state?.status) ?? "Unknown",
        privateEndpointId: str(record(properties?.privateEndpoint)?.id),
      },
    ];
  });
}

/** `W.approved`: the number of connections whose status is `Approved`. */
export function approvedConnections(resource: ArmResource | undefined): number {
  return privateEndpointConnections(resource).filter((c) => sameValue(c.status, "Approved")).length;
}

/** Where a private endpoint sits, as far as the snapshot tells. */
export interface PrivateEndpointOrigin {
  /** `properties.subnet.id` of the private endpoint, when the auditor could read it. */
  subnetId?: string;
  subscriptionId?: string;
  /** Whether the private endpoint's subscription is one the auditor can list. */
  subscriptionVisible: boolean;
}

export function privateEndpointOrigin(view: SnapshotView, privateEndpointId: string): PrivateEndpointOrigin {
  const subscriptionId = subscriptionOf(privateEndpointId);
  const subnetId = str(record(prop(view.get(privateEndpointId), "subnet"))?.id);
  return {
    ...(subnetId ? { subnetId } : {}),
    ...(subscriptionId ? { subscriptionId } : {}),
    subscriptionVisible: view.subscription(subscriptionId) !== undefined,
  };
}

/** `D.egress`: `egressPublicNetworkAccess`, missing ⇒ `Enabled`. */
export function egressPublicNetworkAccess(deployment: ArmResource): string {
  return str(prop(deployment, "egressPublicNetworkAccess")) ?? "Enabled";
}

/** `D.kind`: `endpointComputeType`. */
export function computeType(deployment: ArmResource): string | undefined {
  return str(prop(deployment, "endpointComputeType"));
}

export function isManaged(deployment: ArmResource): boolean {
  return sameValue(computeType(deployment), "Managed");
}

export function environmentId(deployment: ArmResource): string | undefined {
  return str(prop(deployment, "environmentId"));
}

export function dependencyId(
  workspace: ArmResource,
  name: "storageAccount" | "containerRegistry",
): string | undefined {
  const value = str(prop(workspace, name));
  return value && value.length > 0 ? value : undefined;
}

/**
 * Whether E is a Kubernetes endpoint: `properties.compute` set (or `kind` Kubernetes), or any deployment of kind
 * Kubernetes. A managed endpoint's own record has no compute: judged from the record when its deployments could
 * not be listed (DESIGN §3, "Judge what was read"). Undefined only when the record itself was not read whole.
 */
export function isKubernetesEndpoint(view: SnapshotView, endpoint: ArmResource): boolean | undefined {
  const compute = prop(endpoint, "compute");
  if (typeof compute === "string" ? compute.length > 0 : compute !== undefined && compute !== null)
    return true;
  if (sameValue(endpoint.kind, "Kubernetes")) return true;
  if (view.deploymentsOf(endpoint).some((d) => sameValue(computeType(d), "Kubernetes"))) return true;
  if (view.childrenKnown(endpoint.id)) return false;
  return view.propertiesKnown(endpoint.id) && endpoint.properties !== undefined ? false : undefined;
}

/** The effective outbound of a Managed deployment (DESIGN §3). */
export function effectiveOutbound(workspace: ArmResource, deployment: ArmResource): Outbound {
  if (modeIs(workspace, "AllowOnlyApprovedOutbound")) return "secure (managed)";
  if (modeIs(workspace, "AllowInternetOutbound")) return "public (managed)";
  return isDisabled(egressPublicNetworkAccess(deployment)) ? "secure (legacy)" : "public";
}

export function configurationOf(
  workspace: ArmResource,
  endpoint: ArmResource,
  deployment: ArmResource,
): Configuration {
  const inbound = isDisabled(publicNetworkAccess(endpoint)) ? "secure" : "public";
  const outbound = effectiveOutbound(workspace, deployment).startsWith("secure") ? "secure" : "public";
  return `${inbound} inbound with ${outbound} outbound`;
}

/**
 * A Managed deployment with what judges it: `workspace` is the workspace whose network settings apply (the
 * hub, for a deployment in a project), `home` the workspace the endpoint lives in.
 */
export interface ManagedDeployment {
  workspace: ArmResource;
  home: ArmResource;
  endpoint: ArmResource;
  deployment: ArmResource;
  isolation: Isolation;
}

/** Per view, found once: eight deployment rules and the run's configurations walk them. */
const managedByView = new WeakMap<SnapshotView, readonly ManagedDeployment[]>();

/** Every Managed deployment with its endpoint and workspace, skipping Kubernetes endpoints. */
export function managedDeployments(view: SnapshotView): readonly ManagedDeployment[] {
  let found = managedByView.get(view);
  if (found) return found;
  const items: ManagedDeployment[] = [];
  for (const home of view.workspaces()) {
    for (const endpoint of view.endpointsOf(home)) {
      if (isKubernetesEndpoint(view, endpoint) === true) continue;
      for (const deployment of view.deploymentsOf(endpoint)) {
        if (!isManaged(deployment)) continue;
        const isolation = isolationOf(view, home, deployment.id);
        const workspace = isolation.state === "known" ? isolation.owner : home;
        items.push({ workspace, home, endpoint, deployment, isolation });
      }
    }
  }
  managedByView.set(view, (found = items));
  return found;
}

/**
 * What a deployment rule yields when the settings it judges were not read: the hub of its project, or its
 * workspace's managed network. Undefined when they were read.
 */
export function settingsUnknown(view: SnapshotView, item: ManagedDeployment): Unknown | undefined {
  if (item.isolation.state === "unknown") return item.isolation.unknown;
  return managedNetworkUnknown(view, item.workspace);
}

/**
 * What the endpoint rules share: every online endpoint of every workspace, judged by `judge` with whether it is
 * a Kubernetes endpoint — from its own record when its deployments could not be listed. One whose own record was
 * not read yields its unknown, never a pass, unless `unlisted` is "skip": another rule reports it.
 */
export function* judgeEndpoints(
  view: SnapshotView,
  judge: (item: {
    workspace: ArmResource;
    endpoint: ArmResource;
    kubernetes: boolean;
  }) => Iterable<RuleOutcome>,
  unlisted: "report" | "skip" = "report",
): Generator<RuleOutcome> {
  for (const workspace of view.workspaces()) {
    for (const endpoint of view.endpointsOf(workspace)) {
      const kubernetes = view.propertiesKnown(endpoint.id) ? isKubernetesEndpoint(view, endpoint) : undefined;
      if (kubernetes === undefined) {
        if (unlisted === "report")
          yield { kind: "unknown", scope: endpoint.id, reason: "its own settings could not be read" };
        continue;
      }
      yield* judge({ workspace, endpoint, kubernetes });
    }
  }
}

/**
 * What the deployment rules share: each Managed deployment whose settings were read is judged by `judge`
 * (a violation, an unknown, or nothing); one whose settings were not read yields its unknown, never a pass.
 */
export function* judgeManagedDeployments(
  view: SnapshotView,
  judge: (item: ManagedDeployment) => RuleOutcome | undefined,
): Generator<RuleOutcome> {
  for (const item of managedDeployments(view)) {
    const unread = settingsUnknown(view, item);
    if (unread) {
      yield unread;
      continue;
    }
    const outcome = judge(item);
    if (outcome) yield outcome;
  }
}

export type DependencyRead =
  | { state: "absent" }
  | { state: "unknown"; id: string }
  | { state: "read"; id: string; resource: ArmResource };

/** The storage account or container registry a workspace names, as read (or why it is not known). */
export function readDependency(
  view: SnapshotView,
  workspace: ArmResource,
  name: "storageAccount" | "containerRegistry",
): DependencyRead {
  const id = dependencyId(workspace, name);
  if (!id) return { state: "absent" };
  const resource = view.get(id);
  if (!resource || !view.propertiesKnown(id)) return { state: "unknown", id };
  return { state: "read", id, resource };
}

/** `W.kind`: the workspace's top-level `kind` (`Default` when missing). */
export function workspaceKind(workspace: ArmResource): string {
  return workspace.kind ?? "Default";
}

/** The hub a project inherits its network isolation from (`properties.hubResourceId`). */
export function hubIdOf(workspace: ArmResource): string | undefined {
  if (!sameValue(workspaceKind(workspace), "Project")) return undefined;
  const id = str(prop(workspace, "hubResourceId"));
  return id && id.length > 0 ? id : undefined;
}

/**
 * Workspace rules judge hubs and ordinary workspaces; a project has no network settings of its own (its
 * hub carries them once), so they never judge it.
 */
export function ownsIsolation(workspace: ArmResource): boolean {
  return hubIdOf(workspace) === undefined;
}

/** Whose network isolation an endpoint or deployment in `workspace` has: the hub's, for a project. */
export type Isolation =
  { state: "known"; owner: ArmResource; hub?: ArmResource } | { state: "unknown"; unknown: Unknown };

export function isolationOf(view: SnapshotView, workspace: ArmResource, subject?: string): Isolation {
  const hubId = hubIdOf(workspace);
  if (hubId === undefined) return { state: "known", owner: workspace };
  const hub = view.get(hubId);
  if (!hub || !view.propertiesKnown(hubId))
    return {
      state: "unknown",
      unknown: {
        kind: "unknown",
        scope: hubId,
        ...(subject ? { subject } : {}),
        reason: `the hub whose network isolation project \`${workspace.name}\` inherits could not be read`,
      },
    };
  return { state: "known", owner: hub, hub };
}

/**
 * What a rule yields when the workspace settings it judges were not read: the hub of a project, or the
 * workspace's own properties (for the `arg` source, an ARM read that failed). Undefined when they were.
 */
export function networkSettingsUnknown(view: SnapshotView, isolation: Isolation): Unknown | undefined {
  if (isolation.state === "unknown") return isolation.unknown;
  if (view.propertiesKnown(isolation.owner.id)) return undefined;
  return { kind: "unknown", scope: isolation.owner.id, reason: "its network settings could not be read" };
}

/** The sentence a finding in a project adds, naming the hub it inherits from. */
export function inheritance(isolation: Isolation): string {
  return isolation.state === "known" && isolation.hub
    ? ` It inherits the network isolation of hub \`${isolation.hub.name}\`.`
    : "";
}

/** Evidence a finding in a project carries: the hub whose settings were judged. */
export function hubEvidence(isolation: Isolation): Record<string, unknown> {
  return isolation.state === "known" && isolation.hub ? { hubResourceId: isolation.hub.id } : {};
}

/**
 * A finding on an online endpoint: its own `publicNetworkAccess` first in the evidence, and for a project the
 * hub it inherits from, in the evidence and in the message.
 */
export function endpointViolation(
  endpoint: ArmResource,
  isolation: Isolation,
  finding: { evidence: Record<string, unknown>; message: string; remediation: string },
): Violation {
  return {
    kind: "violation",
    resourceId: endpoint.id,
    resourceType: TYPES.onlineEndpoint,
    evidence: {
      publicNetworkAccess: endpoint.properties?.publicNetworkAccess ?? null,
      ...finding.evidence,
      ...hubEvidence(isolation),
    },
    message: `${finding.message}${inheritance(isolation)}`,
    remediation: finding.remediation,
  };
}

/**
 * What a rule that needs W's selected IP ranges yields when they could not be read (they are read apart from the
 * rest of the workspace, at the one api-version that defines them): whether the internet or only those ranges
 * reach W is then unknown.
 */
export function selectedIpsUnknown(view: SnapshotView, workspace: ArmResource): Unknown | undefined {
  if (view.propertyKnown(workspace.id, "networkAcls")) return undefined;
  return {
    kind: "unknown",
    scope: workspace.id,
    reason: "its selected IP ranges (networkAcls) could not be read",
  };
}

/** `W.acl`: `properties.networkAcls`. */
export function networkAcls(workspace: ArmResource): { defaultAction?: string; ipRules: string[] } {
  const acls = record(prop(workspace, "networkAcls"));
  const rules = Array.isArray(acls?.ipRules) ? acls.ipRules : [];
  const defaultAction = str(acls?.defaultAction);
  return {
    ...(defaultAction ? { defaultAction } : {}),
    ipRules: rules.flatMap((r: unknown) => {
      const value = str(record(r)?.value);
      return value ? [value] : [];
    }),
  };
}

/**
 * W is in selected-IPs mode: `publicNetworkAccess` Enabled and `networkAcls.defaultAction` Deny (the portal's
 * "Enabled from selected IP addresses"), whatever its ranges. Its Managed deployments need a managed network.
 */
export function selectedIpsMode(workspace: ArmResource): boolean {
  return (
    !isDisabled(publicNetworkAccess(workspace)) && sameValue(networkAcls(workspace).defaultAction, "Deny")
  );
}

/**
 * W is public from selected IPs: in selected-IPs mode, and its `ipRules` do not cover the internet (ranges that
 * do are the internet, judged as public).
 */
export function publicFromSelectedIps(workspace: ArmResource): boolean {
  return selectedIpsMode(workspace) && !coversInternet(networkAcls(workspace).ipRules);
}

/**
 * W went from selected IPs to disabled but kept its IP rules: `publicNetworkAccess` Disabled, `defaultAction` Deny
 * and `ipRules` listed. Its managed online endpoints with public access go on admitting those ranges (Learn's
 * selected-IPs table), so they are judged as public from selected IPs (AMLNI007), not from the internet.
 */
export function staleSelectedIps(workspace: ArmResource): boolean {
  const acls = networkAcls(workspace);
  return (
    isDisabled(publicNetworkAccess(workspace)) &&
    sameValue(acls.defaultAction, "Deny") &&
    acls.ipRules.length > 0 &&
    !coversInternet(acls.ipRules)
  );
}

/** The ranges an endpoint with public access admits through its workspace: selected IPs, current or stale. */
export function admitsOnlyWorkspaceRanges(workspace: ArmResource): boolean {
  return publicFromSelectedIps(workspace) || staleSelectedIps(workspace);
}

/** A managed network's `outboundRules` (an object keyed by rule name), the rules that are objects. */
export function outboundRulesOf(managedNetwork: unknown): Record<string, Record<string, unknown>> {
  const rules: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(record(record(managedNetwork)?.outboundRules) ?? {})) {
    const rule = record(value);
    if (rule) rules[name] = rule;
  }
  return rules;
}
