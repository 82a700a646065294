/**
 * How Azure RBAC matches an operation against a role's or a deny assignment's permissions
 * (`Microsoft.Authorization` 2022-04-01, `Permission`: `actions`, `notActions`, `dataActions`,
 * `notDataActions`). Operations are `{Company}.{Provider}/{resourceType}/{action}` and compare
 * case-insensitively; `*` in a pattern matches any run of characters, `/` included (Reader's single
 * action is a `*` followed by `/read`; `Microsoft.MachineLearningServices/*` grants the whole provider). A permission grants an operation when one of its `actions`
 * matches it and none of its `notActions` does; `notActions` only narrow that one permission (another
 * role may still grant the operation), whereas a deny assignment's matching `actions` deny it outright.
 */
export interface Permission {
  actions: readonly string[];
  notActions?: readonly string[];
}

const compiled = new Map<string, RegExp>();

function matches(pattern: string, operation: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = toRegExp(pattern);
    compiled.set(pattern, regex);
  }
  return regex.test(operation);
}

function toRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
}

/** Whether this permission (a role's, or a deny assignment's) covers the operation. */
export function covers(permission: Permission, operation: string): boolean {
  return (
    permission.actions.some((a) => matches(a, operation)) &&
    !(permission.notActions ?? []).some((n) => matches(n, operation))
  );
}

/** The read operations an audit of Azure ML needs at a subscription. */
export const ML_READ_OPERATIONS = [
  "Microsoft.MachineLearningServices/workspaces/read",
  "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read",
  "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/read",
] as const;

/**
 * The read operations an audit of Foundry and Azure OpenAI accounts needs at a subscription. `accounts/read` and
 * `accounts/projects/read` are the provider's operations; the managed network's follows ARM's `{type}/read`
 * convention for the proxy resource `accounts/managedNetworks`.
 */
export const FOUNDRY_READ_OPERATIONS = [
  "Microsoft.CognitiveServices/accounts/read",
  "Microsoft.CognitiveServices/accounts/projects/read",
  "Microsoft.CognitiveServices/accounts/managedNetworks/read",
] as const;

/**
 * The read operations the private endpoint DNS zone index needs at a subscription: Resource Graph leaves out the
 * zones and links the identity may not read, so its rows are trusted only where these are shown.
 */
export const DNS_READ_OPERATIONS = [
  "Microsoft.Network/privateDnsZones/read",
  "Microsoft.Network/privateDnsZones/virtualNetworkLinks/read",
] as const;

/** The read operation for an ARM path: a resource id, or a list of a type (`…/workspaces`). */
export function readOperationFor(path: string): string {
  const segments = path.split("/").filter(Boolean);
  const providers = segments.findIndex((s) => s.toLowerCase() === "providers");
  if (providers < 0)
    return segments.length <= 2
      ? "Microsoft.Resources/subscriptions/read"
      : "Microsoft.Resources/subscriptions/resourceGroups/read";
  const rest = segments.slice(providers + 1);
  const namespace = rest[0] ?? "";
  // After the namespace, types and names alternate: keep the types.
  const types = rest.slice(1).filter((_, i) => i % 2 === 0);
  return `${namespace}/${types.join("/")}/read`;
}
