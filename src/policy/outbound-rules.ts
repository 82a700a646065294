/**
 * One reading of a managed network's outbound rule, as the service applies it, for Azure ML workspaces and
 * Foundry accounts alike (the two managed networks share the shapes: Microsoft.MachineLearningServices
 * 2025-12-01 and Microsoft.CognitiveServices 2026-05-01 `OutboundRule`, discriminated by `type`):
 *
 * - a ServiceTag rule's `destination.addressPrefixes`, when given, replace its `serviceTag` ("if provided, the
 *   ServiceTag property will be ignored"), and its `action` may be `Deny`, which opens nothing;
 * - a service tag stands for a service, not for an instance of it (Learn, "Virtual network service tags": "the tag
 *   represents the Azure Storage service, but not a specific Azure Storage account"), so a tag of a service that
 *   stores data reaches that service's resources in every tenant; Learn's ML managed network page: "Service tags as
 *   the ONLY security boundary is not sufficient. For tenant level isolation, use private endpoints";
 * - the wildcard FQDN rules Microsoft documents as needed for a scenario (below, with their pages) are no
 *   exfiltration path of the user's choosing;
 * - `status` is `Inactive`, `Active`, `Provisioning`, `Deleting` or `Failed` (`RuleStatus`), with
 *   `errorInformation` "if RuleStatus is failed".
 */
import { sameValue } from "../model/arm-ids.js";
import { record, str } from "../model/json-values.js";
import { addressesCovered, coversInternet } from "./ip-ranges.js";
import type { SeedId } from "./seeds.js";

export type NetworkFamily = "ml" | "foundry";

/** An outbound rule as the service applies it. */
export interface AppliedRule {
  name: string;
  type?: string;
  category?: string;
  status?: string;
  errorInformation?: string;
  /** The raw destination, for evidence. */
  destination: unknown;
  /** ServiceTag rules may deny; every other kind allows. */
  action: "Allow" | "Deny";
  fqdn?: string;
  serviceTag?: string;
  /** Given, they replace the service tag. */
  addressPrefixes: string[];
  portRanges?: string;
  serviceResourceId?: string;
}

export function readRule(name: string, rule: Record<string, unknown>): AppliedRule {
  const destination = rule.destination;
  const d = record(destination);
  const prefixes = Array.isArray(d?.addressPrefixes)
    ? d.addressPrefixes.flatMap((p: unknown) => (typeof p === "string" && p.trim() ? [p.trim()] : []))
    : [];
  const serviceTag = sameValue(rule.type, "ServiceTag");
  return {
    name,
    ...(str(rule.type) ? { type: str(rule.type) } : {}),
    ...(str(rule.category) ? { category: str(rule.category) } : {}),
    ...(str(rule.status) ? { status: str(rule.status) } : {}),
    ...(str(rule.errorInformation) ? { errorInformation: str(rule.errorInformation) } : {}),
    destination: destination ?? null,
    action: serviceTag && sameValue(d?.action, "Deny") ? "Deny" : "Allow",
    ...(sameValue(rule.type, "FQDN") && typeof destination === "string" ? { fqdn: destination.trim() } : {}),
    ...(serviceTag && str(d?.serviceTag) ? { serviceTag: str(d?.serviceTag) } : {}),
    addressPrefixes: serviceTag ? prefixes : [],
    ...(serviceTag && str(d?.portRanges) ? { portRanges: str(d?.portRanges) } : {}),
    ...(str(d?.serviceResourceId) ? { serviceResourceId: str(d?.serviceResourceId) } : {}),
  };
}

/**
 * The wildcard FQDN rules Microsoft documents as needed, per managed network and scenario: Learn's "Workspace
 * managed virtual network isolation" (how-to-managed-network, "List of scenario specific outbound rules") and
 * Foundry's "Configure managed virtual network" ("Outbound rules per scenario"). docs/sources/ has both.
 */
export const DOCUMENTED_WILDCARDS: readonly {
  family: NetworkFamily;
  fqdn: string;
  scenario: string;
  source: SeedId;
}[] = [
  ...["*.anaconda.com", "*.anaconda.org", "*.pythonhosted.org", "*.pytorch.org", "*.tensorflow.org"].map(
    (fqdn) => ({
      family: "ml" as const,
      fqdn,
      scenario: "public machine learning packages",
      source: "ml-managed-network" as const,
    }),
  ),
  ...[
    "*.vscode.dev",
    "*.gallerycdn.vsassets.io",
    "*.vscode-unpkg.net",
    "*.vscode-cdn.net",
    "*.vscodeexperiments.azureedge.net",
    "*.vo.msecnd.net",
  ].map((fqdn) => ({
    family: "ml" as const,
    fqdn,
    scenario: "Visual Studio Code with a compute instance",
    source: "ml-managed-network" as const,
  })),
  ...["*.docker.io", "*.docker.com"].map((fqdn) => ({
    family: "ml" as const,
    fqdn,
    scenario: "HuggingFace models",
    source: "ml-managed-network" as const,
  })),
  ...["*.identity.azure.net", "*.login.microsoftonline.com", "*.login.microsoft.com"].map((fqdn) => ({
    family: "foundry" as const,
    fqdn,
    scenario: "Agents",
    source: "foundry-managed-network" as const,
  })),
  ...["*.livediagnostics.monitor.azure.com", "*.in.applicationinsights.azure.com"].map((fqdn) => ({
    family: "foundry" as const,
    fqdn,
    scenario: "Evaluations and traces with Application Insights",
    source: "foundry-managed-network" as const,
  })),
];

/**
 * Service tags of services that hold data — every instance, in every tenant — and the two that stand for the
 * internet and every Azure datacenter: an allow rule to one of them is a way out for data.
 */
const DATA_SERVICE_TAGS: Record<string, string> = {
  storage: "every Azure Storage account",
  sql: "every Azure SQL, MySQL, PostgreSQL and MariaDB server",
  azurecosmosdb: "every Azure Cosmos DB account",
  azurekeyvault: "every key vault",
  eventhub: "every Event Hubs namespace",
  servicebus: "every Service Bus namespace",
  azuredatalake: "every Data Lake Storage Gen1 account",
  azurecontainerregistry: "every container registry",
  appservice: "every web app and function app",
};
const EVERYWHERE_TAGS: Record<string, string> = {
  internet: "the internet",
  azurecloud: "every Azure datacenter's public addresses",
};

/** A range of 2^24 addresses (a /8) or more is no approved destination. */
const WIDE_RANGE = 2 ** 24;
const ALL_PORTS = /^\s*(\*|0?-65535|1-65535|0-65535)\s*$/;

/**
 * Why an allowed rule opens more than an approved destination, or undefined when it is narrow (a deny rule, a
 * private endpoint, an exact host, a service tag of no data service, or ranges that replace one).
 */
export function broadness(rule: AppliedRule, family: NetworkFamily): string | undefined {
  if (rule.action === "Deny") return undefined;
  if (sameValue(rule.type, "FQDN") && rule.fqdn?.startsWith("*")) {
    const documented = DOCUMENTED_WILDCARDS.some((d) => d.family === family && sameValue(rule.fqdn, d.fqdn));
    return documented ? undefined : `its FQDN destination \`${rule.fqdn}\` is a wildcard`;
  }
  if (!sameValue(rule.type, "ServiceTag")) return undefined;
  if (rule.addressPrefixes.length > 0) {
    if (coversInternet(rule.addressPrefixes))
      return `its address prefixes (${rule.addressPrefixes.join(", ")}) cover the internet: they replace its service tag`;
    const total = addressesCovered(rule.addressPrefixes);
    if (total >= WIDE_RANGE)
      return `its address prefixes (${rule.addressPrefixes.join(", ")}) cover ${total.toLocaleString("en-US")} addresses: they replace its service tag`;
  } else {
    const tag = (rule.serviceTag ?? "").split(".")[0]?.toLowerCase() ?? "";
    const everywhere = EVERYWHERE_TAGS[tag];
    if (everywhere) return `its service tag ${rule.serviceTag ?? ""} reaches ${everywhere}`;
    const data = DATA_SERVICE_TAGS[tag];
    if (data)
      return `its service tag ${rule.serviceTag ?? ""} reaches ${data}, in any tenant: data can leave through one outside the organization`;
  }
  if (rule.portRanges !== undefined && ALL_PORTS.test(rule.portRanges))
    return `it opens every port (port range ${rule.portRanges.trim()})`;
  return undefined;
}

/** Where a rule stands: `transient` while it is being made or removed, `unset` when the service gave no status. */
export type RuleState = "active" | "transient" | "inactive" | "failed" | "unset";

export function ruleState(rule: AppliedRule): RuleState {
  if (rule.status === undefined) return "unset";
  if (sameValue(rule.status, "Active")) return "active";
  if (sameValue(rule.status, "Provisioning") || sameValue(rule.status, "Deleting")) return "transient";
  if (sameValue(rule.status, "Failed")) return "failed";
  return "inactive";
}

/** "is Inactive", "has failed (…)", "has no status": how a private endpoint rule that is not active stands. */
export function describeState(rule: AppliedRule): string {
  const state = ruleState(rule);
  if (state === "failed")
    return rule.errorInformation
      ? `has failed (${rule.errorInformation.replace(/[.\s]+$/, "")})`
      : "has failed, with no error information";
  if (state === "unset") return "has no status";
  return `is ${rule.status ?? ""}`;
}

/** A managed network's rules (an object keyed by name), each as applied. */
export function appliedRules(managedNetwork: unknown): AppliedRule[] {
  const rules = record(record(managedNetwork)?.outboundRules) ?? {};
  return Object.entries(rules).flatMap(([name, value]) => {
    const rule = record(value);
    return rule ? [readRule(name, rule)] : [];
  });
}
