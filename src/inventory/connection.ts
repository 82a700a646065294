/**
 * How the inventory reaches ARM: one credential, endpoint and TLS trust for every SDK client, and a
 * pipeline policy that pauses a whole subscription when ARM throttles it, so a 429 slows that
 * subscription and not the whole run.
 */
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { NetworkManagementContext } from "@azure/arm-network/api";
import { deserializationPolicyName } from "@azure/core-client";
import type { TokenCredential } from "@azure/core-auth";
import {
  RestError,
  createDefaultHttpClient,
  type HttpClient,
  type PipelinePolicy,
  type PipelineRetryOptions,
} from "@azure/core-rest-pipeline";
import { isArmPath } from "../model/arm-ids.js";
import { sayRetryAfter } from "../common/http-policies.js";
import { shown } from "../common/text.js";
import { setTimeout as sleep } from "node:timers/promises";

/** The api-version the rules are written against; the SDK's own (2022-10-01) drops `managedNetwork`. */
export const ML_API_VERSION = "2025-12-01";

export interface ArmConnection {
  /** ARM's endpoint, e.g. `https://management.azure.com` or the emulator's URL. */
  endpoint: string;
  credential: TokenCredential;
  /** A CA to trust (the emulator's certificate). */
  ca?: string;
  retryOptions?: PipelineRetryOptions;
}

function retryAfterMs(value: string | undefined): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

/**
 * ARM refills a subscription's read bucket at 25 a second (250 at most): once a response says fewer than a
 * second's worth are left, that subscription's requests are spaced at the refill rate, so it goes on reading
 * at ARM's pace instead of emptying the bucket and waiting out 429s.
 */
const REFILL_INTERVAL_MS = 1000 / 25;
const LOW_WATER = 25;

/** `https://{host}/subscriptions/{id}/…`: the subscription of an ARM request's URL. */
const SUBSCRIPTION_OF_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/subscriptions\/([^/?#]+)/i;

/**
 * Holds back every request of a subscription while ARM has asked it to wait (429 with `Retry-After`), and
 * paces a subscription whose read bucket is nearly empty (`x-ms-ratelimit-remaining-subscription-reads`).
 */
export class ThrottleGate {
  private readonly pausedUntil = new Map<string, number>();
  /** Subscriptions being paced, and the time of their next free slot. */
  private readonly nextSlot = new Map<string, number>();
  throttled = 0;

  readonly policy: PipelinePolicy = {
    name: "subscriptionThrottleGate",
    sendRequest: async (request, next) => {
      const key = this.keyOf(request.url);
      let wait = (this.pausedUntil.get(key) ?? 0) - Date.now();
      const slot = this.nextSlot.get(key);
      if (slot !== undefined) {
        const at = Math.max(Date.now(), slot, this.pausedUntil.get(key) ?? 0);
        this.nextSlot.set(key, at + REFILL_INTERVAL_MS);
        wait = Math.max(wait, at - Date.now());
      }
      if (wait > 0) await sleep(wait);
      const response = await next(request);
      const remaining = Number(response.headers.get("x-ms-ratelimit-remaining-subscription-reads") ?? NaN);
      if (Number.isFinite(remaining)) {
        if (remaining < LOW_WATER) {
          if (!this.nextSlot.has(key)) this.nextSlot.set(key, Date.now());
        } else this.nextSlot.delete(key);
      }
      if (response.status === 429) {
        this.throttled += 1;
        // A 429 that does not say how long to wait is retried with backoff, as ARM's guidance asks.
        sayRetryAfter(request, response);
        const delay = retryAfterMs(response.headers.get("retry-after") ?? undefined);
        this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, Date.now() + delay));
      }
      return response;
    },
  };

  /** The subscription a request is counted against: read off the URL as sent, without parsing it whole. */
  private keyOf(url: string): string {
    return SUBSCRIPTION_OF_URL.exec(url)?.[1]?.toLowerCase() ?? "tenant";
  }
}

/**
 * The URL of an ARM path at the endpoint. The path comes from a response (a resource id another resource names):
 * one that is no plain ARM path is refused before any request is made (a RestError, recorded as the failure of
 * what named it), so that no value from a response can steer a request, and its bearer token, elsewhere.
 */
export function armUrl(endpoint: string, path: string, query: string): string {
  if (!isArmPath(path))
    throw new RestError(`not an ARM resource id: "${shown(path, 120)}"`, { code: "InvalidResourceId" });
  return `${endpoint}${encodeURI(path)}?${query}`;
}

/**
 * Refuses, before it is signed, any request to an origin other than the configured ARM endpoint's: a `nextLink`
 * or an id from a response never carries the bearer token anywhere else.
 */
function endpointGuard(endpoint: string): PipelinePolicy {
  const origin = new URL(endpoint).origin;
  return {
    name: "armEndpointGuard",
    sendRequest: (request, next) => {
      if (new URL(request.url).origin !== origin)
        return Promise.reject(
          new RestError(
            `refused a request outside the ARM endpoint (${shown(new URL(request.url).host, 80)})`,
            {
              code: "UntrustedEndpoint",
            },
          ),
        );
      return next(request);
    },
  };
}

export class ArmClients {
  readonly gate = new ThrottleGate();
  private readonly mlClients = new Map<string, AzureMachineLearningWorkspaces>();
  private graph?: ResourceGraphClient;
  private subscriptionClient?: SubscriptionClient;
  private networkContext?: Promise<NetworkManagementContext>;

  /**
   * One TLS options object for every client: the HTTP client keeps one connection pool per options object,
   * so a new object per subscription would open new TLS connections for each (measured: 40% of requests at
   * 2,000 subscriptions).
   */
  private readonly tlsOptions?: { ca: string };

  /**
   * One HTTP client for every client here, and so one pool of connections. Left to themselves, the clients
   * loaded by `require` and the network client loaded by `import` each take the default client of their own
   * copy of the HTTP runtime (its CommonJS and its ES module build), and each opens its own connections:
   * measured at the default size, 128 TLS handshakes for the first and 116–125 more for the second.
   */
  private readonly httpClient: HttpClient = createDefaultHttpClient();

  private readonly guard: PipelinePolicy;

  constructor(readonly connection: ArmConnection) {
    if (connection.ca) this.tlsOptions = { ca: connection.ca };
    this.guard = endpointGuard(connection.endpoint);
  }

  private get common() {
    const { endpoint, retryOptions } = this.connection;
    return {
      endpoint,
      credentialScopes: [`${new URL(endpoint).origin}/.default`],
      httpClient: this.httpClient,
      ...(this.tlsOptions ? { tlsOptions: this.tlsOptions } : {}),
      ...(retryOptions ? { retryOptions } : {}),
    };
  }

  /**
   * Forgets a subscription's client once it is read (about 14 KB each: 27 MB for 2,000 subscriptions); a
   * later read by id there makes a new one.
   */
  release(subscriptionId: string): void {
    this.mlClients.delete(subscriptionId.toLowerCase());
  }

  /**
   * The Azure ML client of a subscription, for its pipeline: every request names its own api-version. The
   * client is made without the `apiVersion` option on purpose: with it, the SDK adds a policy that rewrites the
   * api-version of every request it sends to that one, and the storage, Cognitive Services and Authorization
   * reads sent through it would go out at the ML version, which ARM refuses for those types.
   */
  ml(subscriptionId: string): AzureMachineLearningWorkspaces {
    const key = subscriptionId.toLowerCase();
    let client = this.mlClients.get(key);
    if (!client) {
      client = new AzureMachineLearningWorkspaces(this.connection.credential, subscriptionId, this.common);
      client.pipeline.addPolicy(this.gate.policy, { afterPhase: "Retry" });
      client.pipeline.addPolicy(this.guard, { phase: "Serialize" });
      // Its requests carry no operation spec, so all the policy did was parse each body a second time beside the
      // reader's own parse (collector.ts), and left a second copy of every body as garbage.
      client.pipeline.removePolicy({ name: deserializationPolicyName });
      this.mlClients.set(key, client);
    }
    return client;
  }

  resourceGraph(): ResourceGraphClient {
    if (!this.graph) {
      const { credentialScopes, ...rest } = this.common;
      this.graph = new ResourceGraphClient(this.connection.credential, {
        ...rest,
        credentials: { scopes: credentialScopes },
      });
      this.graph.pipeline.addPolicy(this.gate.policy, { afterPhase: "Retry" });
      this.graph.pipeline.addPolicy(this.guard, { phase: "Serialize" });
    }
    return this.graph;
  }

  /**
   * The `@azure/arm-network` client context (its pipeline: credential, retries, this gate), loaded on the first
   * private endpoint DNS read: an audit with no approved private endpoint never loads it. Its modular `api`
   * entry, not the whole client: 146 KB bundled instead of 1.3 MB, for a cold start that does not grow.
   * One context serves every subscription: requests name their own paths.
   */
  network(): Promise<NetworkManagementContext> {
    this.networkContext ??= import("@azure/arm-network/api").then(({ createNetworkManagement }) => {
      const { credentialScopes, ...rest } = this.common;
      const context = createNetworkManagement(this.connection.credential, "", {
        ...rest,
        credentials: { scopes: credentialScopes },
      });
      context.pipeline.addPolicy(this.gate.policy, { afterPhase: "Retry" });
      context.pipeline.addPolicy(this.guard, { phase: "Serialize" });
      return context;
    });
    return this.networkContext;
  }

  subscriptions(): SubscriptionClient {
    if (!this.subscriptionClient) {
      this.subscriptionClient = new SubscriptionClient(this.connection.credential, this.common);
      this.subscriptionClient.pipeline.addPolicy(this.gate.policy, { afterPhase: "Retry" });
      this.subscriptionClient.pipeline.addPolicy(this.guard, { phase: "Serialize" });
    }
    return this.subscriptionClient;
  }
}

/** A credential for the emulator, which accepts any bearer token. */
export const EMULATOR_CREDENTIAL: TokenCredential = {
  getToken: () =>
    Promise.resolve({ token: "emulator-token", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }),
};
