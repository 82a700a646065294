/**
 * What the inventory and the rules both know of a Foundry account (DESIGN §3, "Foundry resources"): which
 * accounts are audited, and whether the account's agents use a Microsoft managed network (then, and only then,
 * `managedNetworks/default` is read).
 */
import { TYPES, sameId, sameValue } from "./arm-ids.js";
import type { ArmResource } from "./snapshot.js";
import { record, str } from "./json-values.js";

/** The newest stable api-version with `networkInjections` and `managedNetworks` (docs/sources/foundry-rest.md). */
export const FOUNDRY_API_VERSION = "2026-05-01";

export const FOUNDRY_KINDS = ["AIServices", "OpenAI"] as const;

/** An account the Foundry rules judge: `Microsoft.CognitiveServices/accounts` of kind `AIServices` or `OpenAI`. */
export function isFoundryAccount(resource: ArmResource): boolean {
  return (
    sameId(resource.type, TYPES.foundryAccount) && FOUNDRY_KINDS.some((k) => sameValue(resource.kind, k))
  );
}

/**
 * An account the inventory keeps: audited, or without a kind (then it is unknown: AUDIT001, never left out as
 * another kind of account is).
 */
export function isAccountToKeep(resource: ArmResource): boolean {
  return isFoundryAccount(resource) || (sameId(resource.type, TYPES.foundryAccount) && !resource.kind);
}

/** A Foundry resource (kind `AIServices`): it has projects, agents and a managed network. */
export function isFoundryResource(resource: ArmResource): boolean {
  return sameId(resource.type, TYPES.foundryAccount) && sameValue(resource.kind, "AIServices");
}

/** `F.injection`: the agent scenario's network injection — a customer subnet, or the Microsoft managed network. */
export interface AgentInjection {
  subnetArmId?: string;
  microsoftManaged: boolean;
}

export function agentInjection(account: ArmResource): AgentInjection | undefined {
  const raw = account.properties?.networkInjections;
  const items = Array.isArray(raw) ? raw : [];
  for (const item of items) {
    const injection = record(item);
    if (!injection || !sameValue(injection.scenario, "agent")) continue;
    const subnetArmId = str(injection.subnetArmId)?.trim();
    const microsoftManaged = injection.useMicrosoftManagedNetwork === true;
    if (!subnetArmId && !microsoftManaged) continue;
    return { ...(subnetArmId ? { subnetArmId } : {}), microsoftManaged };
  }
  return undefined;
}

/**
 * Whether the account's agents use a Microsoft managed network: then, and only then, the inventory reads
 * `managedNetworks/default` (the account carries no other sign of one, and the managed network is set at
 * creation together with the injection — Learn, "Managed virtual network for Foundry", limitations).
 */
export function usesManagedNetwork(account: ArmResource): boolean {
  return isFoundryResource(account) && agentInjection(account)?.microsoftManaged === true;
}

export function managedNetworkId(account: ArmResource): string {
  return `${account.id}/managedNetworks/default`;
}
