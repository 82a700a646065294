/**
 * The Foundry terms of DESIGN §3 ("Foundry resources"), read from ARM JSON at api-version 2026-05-01 with
 * ARM's defaults (docs/sources/foundry-rest.md): an account F of kind `AIServices` (a Foundry resource, with
 * projects) or `OpenAI` (Azure OpenAI: inbound only), its network rule set, its agents' network injection and
 * the managed network `{F}/managedNetworks/default`.
 */
import { TYPES, lastName, sameValue } from "../model/arm-ids.js";
import {
  isFoundryAccount,
  isFoundryResource,
  managedNetworkId,
  usesManagedNetwork,
} from "../model/foundry.js";
import { record, str } from "../model/json-values.js";
import type { ArmResource, SnapshotView } from "../model/snapshot.js";
import { coversInternet } from "./ip-ranges.js";
import { isDisabled, outboundRulesOf, publicNetworkAccess } from "./terms.js";
import type { RuleOutcome, Unknown } from "./types.js";

export {
  agentInjection,
  isFoundryAccount,
  isFoundryResource,
  managedNetworkId,
  usesManagedNetwork,
} from "../model/foundry.js";

export function foundryAccounts(view: SnapshotView): ArmResource[] {
  return view.ofType(TYPES.foundryAccount).filter(isFoundryAccount);
}

/** `F.acl`: `networkAcls`, `defaultAction` missing ⇒ `Allow`. */
export interface FoundryAcl {
  defaultAction: string;
  ipRules: string[];
  virtualNetworkRules: string[];
}

export function foundryAcl(account: ArmResource): FoundryAcl {
  const acls = record(account.properties?.networkAcls);
  const list = (name: string, field: string) =>
    (Array.isArray(acls?.[name]) ? (acls[name] as unknown[]) : []).flatMap((r) => {
      const value = str(record(r)?.[field]);
      return value ? [value] : [];
    });
  return {
    defaultAction: str(acls?.defaultAction) ?? "Allow",
    ipRules: list("ipRules", "value"),
    virtualNetworkRules: list("virtualNetworkRules", "id"),
  };
}

export type FoundryInbound = "internet" | "selected networks" | "private";

/**
 * Public to the internet when `F.pna ≠ Disabled` and the rule set does not deny by default; public from
 * selected networks when it denies by default but lists an IP or virtual network rule; otherwise private
 * (only its private endpoints, and the trusted services a `bypass` admits, reach it).
 */
export function foundryInbound(account: ArmResource): FoundryInbound {
  if (isDisabled(publicNetworkAccess(account))) return "private";
  const acl = foundryAcl(account);
  // Ranges that cover the internet admit it, whatever the default action says.
  if (!sameValue(acl.defaultAction, "Deny") || coversInternet(acl.ipRules)) return "internet";
  return acl.ipRules.length + acl.virtualNetworkRules.length > 0 ? "selected networks" : "private";
}

/**
 * `F.mode` and the rules of its managed network, or unknown when it exists but could not be read. `missing`: the
 * agents' network injection asks for the Microsoft managed network, and ARM has none (404): its mode is then
 * `Disabled`, and AIFNO006 says so.
 */
export type FoundryNetwork =
  | {
      state: "known";
      mode: string;
      outboundRules: Record<string, Record<string, unknown>>;
      missing?: boolean;
    }
  | { state: "unknown"; unknown: Unknown };

export function foundryNetwork(view: SnapshotView, account: ArmResource): FoundryNetwork {
  if (!view.propertiesKnown(account.id))
    return {
      state: "unknown",
      unknown: { kind: "unknown", scope: account.id, reason: "its network settings could not be read" },
    };
  if (!usesManagedNetwork(account)) return { state: "known", mode: "Disabled", outboundRules: {} };
  const id = managedNetworkId(account);
  if (!view.propertiesKnown(id) || view.listingFailure(id))
    return {
      state: "unknown",
      unknown: {
        kind: "unknown",
        scope: account.id,
        reason: "its managed network (managedNetworks/default) could not be read",
      },
    };
  // No managed network resource (ARM answered 404): the injection asks for one that was never created.
  const resource = view.get(id);
  if (!resource) return { state: "known", mode: "Disabled", outboundRules: {}, missing: true };
  const network = resource.properties?.managedNetwork;
  return {
    state: "known",
    mode: str(record(network)?.isolationMode) ?? "Disabled",
    outboundRules: outboundRulesOf(network),
  };
}

/**
 * What the Foundry managed network rules share: every Foundry resource (kind `AIServices`), judged by `judge` with
 * its managed network as read; one whose managed network exists but could not be read yields its unknown.
 */
export function* judgeFoundryNetworks(
  view: SnapshotView,
  judge: (
    account: ArmResource,
    network: Extract<FoundryNetwork, { state: "known" }>,
  ) => Iterable<RuleOutcome>,
): Generator<RuleOutcome> {
  for (const account of foundryAccounts(view)) {
    if (!isFoundryResource(account)) continue;
    const network = foundryNetwork(view, account);
    if (network.state === "unknown") yield network.unknown;
    else yield* judge(account, network);
  }
}

/**
 * Every audited account (Foundry resources and Azure OpenAI) judged by `judge`; one whose own record was not read
 * whole yields its unknown instead.
 */
export function* judgeAccounts(
  view: SnapshotView,
  judge: (account: ArmResource) => Iterable<RuleOutcome>,
  which: (account: ArmResource) => boolean = () => true,
): Generator<RuleOutcome> {
  for (const account of foundryAccounts(view)) {
    if (!which(account)) continue;
    const unread = accountUnknown(view, account);
    if (unread) yield unread;
    else yield* judge(account);
  }
}

/** `judgeAccounts` over the Foundry resources (kind `AIServices`) alone. */
export function judgeFoundryResources(
  view: SnapshotView,
  judge: (account: ArmResource) => Iterable<RuleOutcome>,
): Generator<RuleOutcome> {
  return judgeAccounts(view, judge, isFoundryResource);
}

/** The account's projects as read, or undefined when they could not be listed. */
export function projectsOf(view: SnapshotView, account: ArmResource): readonly ArmResource[] | undefined {
  if (!isFoundryResource(account)) return [];
  if (view.listingFailure(account.id)) return undefined;
  return view.childrenOf(account.id, TYPES.foundryProject);
}

/** The names of the account's projects, for evidence and messages (`null` when they could not be listed). */
export function projectNames(view: SnapshotView, account: ArmResource): string[] | null {
  const projects = projectsOf(view, account);
  return projects ? projects.map((p) => lastName(p.id)).sort() : null;
}

/** "3 projects inherit this: `fraud`, `chat`, `ops`." — what a finding on the account exposes. */
export function projectsSentence(view: SnapshotView, account: ArmResource): string {
  if (!isFoundryResource(account)) return "";
  const names = projectNames(view, account);
  if (names === null) return " Its projects could not be listed: every one of them inherits this.";
  if (names.length === 0) return "";
  const shown = names.slice(0, 5).map((n) => `\`${n}\``);
  const more = names.length > 5 ? `, and ${names.length - 5} more` : "";
  return ` ${names.length} project${names.length === 1 ? " inherits" : "s inherit"} this: ${shown.join(", ")}${more}.`;
}

/** An account whose own record was not read whole is judged by no Foundry rule. */
export function accountUnknown(view: SnapshotView, account: ArmResource): Unknown | undefined {
  if (view.propertiesKnown(account.id)) return undefined;
  return { kind: "unknown", scope: account.id, reason: "its network settings could not be read" };
}
