/**
 * The stores a Foundry resource's agents write to: each project's capability hosts
 * (`accounts/projects/capabilityHosts`, api-version 2026-05-01: `threadStorageConnections`,
 * `vectorStoreConnections`, `storageConnections`, each a list of connection names), the connections they name
 * (the project's `accounts/projects/connections`, else the account's `accounts/connections`: `category`,
 * `target`, `metadata.ResourceId`), and the store each connection's `metadata.ResourceId` names — a Cosmos DB
 * account, an AI Search service or a storage account — read by id.
 *
 * Read only for Foundry resources (`AIServices`) with projects: an Azure OpenAI account has no agents. Capability
 * hosts and connections are proxy resources Resource Graph does not index: both sources list them from ARM, a list
 * a project (and its connections only where it has a capability host). What cannot be read makes the account's
 * agent-store verdicts unknown (a failure naming the property `agentStores`); a store that cannot be read is
 * unknown itself.
 */
import { TYPES, isArmPath, lastName, sameId } from "../model/arm-ids.js";
import { FOUNDRY_API_VERSION, isFoundryResource } from "../model/foundry.js";
import type { ArmResource, ScopeFailure } from "../model/snapshot.js";
import { responseFailure, toFailure } from "./failures.js";
import type { ReadContext } from "./reads.js";

/** The capability host properties that name the agents' stores, by what each holds. */
export const STORE_CONNECTION_PROPERTIES = {
  threadStorageConnections: "threads",
  vectorStoreConnections: "vectors",
  storageConnections: "files",
} as const;

/** How a failure that leaves an account's agent stores unknown names what was missing. */
export const AGENT_STORES = "agentStores";

/** The API versions the stores are read at (each defines public access, network rules and connections). */
export const STORE_API_VERSIONS: Readonly<Record<string, string>> = {
  [TYPES.cosmosAccount]: "2025-10-15",
  [TYPES.searchService]: "2025-05-01",
  [TYPES.storageAccount]: "2023-05-01",
};

const STORE_TYPES = Object.keys(STORE_API_VERSIONS);

/** The connection names a capability host gives, of every kind. */
export function storeConnectionNames(host: ArmResource): string[] {
  return Object.keys(STORE_CONNECTION_PROPERTIES).flatMap((p) => {
    const names = host.properties?.[p];
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === "string" && n !== "") : [];
  });
}

/** The store a connection names, when it names one by ARM id (`metadata.ResourceId`). */
export function storeIdOf(connection: ArmResource): string | undefined {
  const metadata = connection.properties?.metadata as Record<string, unknown> | undefined;
  const id = metadata?.ResourceId ?? metadata?.resourceId;
  return typeof id === "string" && isArmPath(id) ? id : undefined;
}

export class AgentStoreReader {
  private readonly stores = new Map<string, Promise<void>>();

  constructor(private readonly collector: ReadContext) {}

  /** The capability hosts, connections and stores of these accounts' projects (one subscription's). */
  async readFor(accounts: readonly ArmResource[], projects: readonly ArmResource[]): Promise<void> {
    await Promise.all(
      accounts.filter(isFoundryResource).map((account) =>
        this.readAccount(
          account,
          projects.filter((p) => p.id.toLowerCase().startsWith(`${account.id.toLowerCase()}/projects/`)),
        ),
      ),
    );
  }

  private async readAccount(account: ArmResource, projects: readonly ArmResource[]): Promise<void> {
    const subscriptionId = account.id.split("/")[2] ?? "";
    let accountConnections: Promise<ArmResource[] | undefined> | undefined;
    const storeIds = new Set<string>();
    await Promise.all(
      projects.map(async (project) => {
        const hosts = await this.list(subscriptionId, `${project.id}/capabilityHosts`, account, project);
        const names = [...new Set((hosts ?? []).flatMap(storeConnectionNames))];
        if (!hosts || names.length === 0) return;
        const own = await this.list(subscriptionId, `${project.id}/connections`, account, project);
        if (!own) return;
        for (const name of names) {
          let connection = own.find((c) => sameId(lastName(c.id), name));
          if (!connection) {
            accountConnections ??= this.list(subscriptionId, `${account.id}/connections`, account);
            connection = (await accountConnections)?.find((c) => sameId(lastName(c.id), name));
            if (!(await accountConnections)) return;
          }
          const storeId = connection ? storeIdOf(connection) : undefined;
          if (!connection || !storeId) {
            this.unknown(account, {
              scope: account.id,
              scopeType: "resource",
              operation: `resolve the agents' connection \`${name}\` of project \`${lastName(project.id)}\``,
              message: connection
                ? "the connection names no store by ARM id (metadata.ResourceId)"
                : "no connection of that name in the project or the account",
            });
            continue;
          }
          storeIds.add(storeId);
        }
      }),
    );
    await Promise.all([...storeIds].map((id) => this.readStore(id)));
  }

  /** Every item of a list, added; undefined when it failed (the account's agent stores are then unknown). */
  private async list(
    subscriptionId: string,
    path: string,
    account: ArmResource,
    project?: ArmResource,
  ): Promise<ArmResource[] | undefined> {
    const what = path.endsWith("/capabilityHosts") ? "capability hosts" : "connections";
    const operation = project
      ? `list the ${what} of project \`${lastName(project.id)}\``
      : `list the ${what} of the account`;
    try {
      const listed = await this.collector.listRaw(subscriptionId, path, FOUNDRY_API_VERSION);
      if ("items" in listed)
        return listed.items.flatMap((item) => {
          const added = this.collector.add(item);
          return added ? [added] : [];
        });
      this.unknown(account, responseFailure(listed.status, listed.body, account.id, "resource", operation));
    } catch (error) {
      this.unknown(account, toFailure(error, account.id, "resource", operation));
    }
    return undefined;
  }

  private unknown(account: ArmResource, failure: ScopeFailure): void {
    this.collector.failures.push({ ...failure, scope: account.id, property: AGENT_STORES });
  }

  /** A store by id, once a run: what fails is that store's failure (it is unknown). */
  private readStore(id: string): Promise<void> {
    const key = id.toLowerCase();
    const known = this.stores.get(key);
    if (known) return known;
    const read = (async () => {
      if (this.collector.has(id)) return;
      const type = STORE_TYPES.find((t) => id.toLowerCase().includes(`/providers/${t.toLowerCase()}/`));
      const operation = "read a store of the agents";
      if (!type) {
        this.collector.failures.push({
          scope: id,
          scopeType: "resource",
          operation,
          message:
            "not a Cosmos DB account, AI Search service or storage account: the auditor cannot judge it",
        });
        return;
      }
      const fetched = await this.collector.fetchAt(id, STORE_API_VERSIONS[type]);
      if ("status" in fetched && fetched.status === 200) {
        this.collector.add(fetched.value);
        return;
      }
      if ("unreadable" in fetched)
        this.collector.failures.push({
          scope: id,
          scopeType: "resource",
          operation,
          message: fetched.unreadable,
        });
      else if ("error" in fetched) this.collector.fail(fetched.error, id, "resource", operation);
      else
        this.collector.failures.push(
          responseFailure(fetched.status, fetched.body, id, "resource", operation),
        );
    })();
    this.stores.set(key, read);
    return read;
  }
}
