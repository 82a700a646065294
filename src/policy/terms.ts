/**
 * The terms of DESIGN §3, read from ARM JSON with ARM's defaults: a missing flag means what ARM
 * does when it is missing. Enum values are compared case-insensitively, as ARM does.
 */
import { sameValue, subscriptionOf } from "../arm-ids.js";
import type { ArmResource, SnapshotView } from "../snapshot.js";
import type { Configuration, Unknown } from "./types.js";

export type IsolationMode = "Disabled" | "AllowInternetOutbound" | "AllowOnlyApprovedOutbound";
export type Outbound = "secure (managed)" | "public (managed)" | "secure (legacy)" | "public";

function prop(resource: ArmResource | undefined, name: string): unknown {
  return resource?.properties?.[name];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
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
 * Whether E is a Kubernetes endpoint: `properties.compute` set, or any deployment of kind Kubernetes.
 * Undefined when that cannot be told because E's deployments were not listed.
 */
export function isKubernetesEndpoint(view: SnapshotView, endpoint: ArmResource): boolean | undefined {
  const compute = prop(endpoint, "compute");
  if (typeof compute === "string" ? compute.length > 0 : compute !== undefined && compute !== null)
    return true;
  if (view.deploymentsOf(endpoint).some((d) => sameValue(computeType(d), "Kubernetes"))) return true;
  return view.childrenKnown(endpoint.id) ? false : undefined;
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

/** Every Managed deployment with its endpoint and workspace, skipping Kubernetes endpoints. */
export function* managedDeployments(
  view: SnapshotView,
): Generator<{ workspace: ArmResource; endpoint: ArmResource; deployment: ArmResource }> {
  for (const workspace of view.workspaces()) {
    for (const endpoint of view.endpointsOf(workspace)) {
      if (isKubernetesEndpoint(view, endpoint) === true) continue;
      for (const deployment of view.deploymentsOf(endpoint)) {
        if (isManaged(deployment)) yield { workspace, endpoint, deployment };
      }
    }
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
