/**
 * No value read from a response steers a request elsewhere: an id that is no ARM path is never requested, and
 * every client refuses, before signing, a request outside the configured ARM endpoint — so the bearer token goes
 * nowhere else.
 */
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArmClients } from "../../src/inventory/connection.js";
import type { Source } from "../../src/inventory/index.js";
import { auditThroughEmulator } from "../helpers/emulator.js";
import {
  DNS_ZONES,
  SUB,
  connection,
  privateEndpoint,
  tenant,
  virtualNetwork,
  workspace,
  workspaceId,
  zoneGroup,
  zoneId,
} from "../helpers/tenant.js";

/** A TCP listener that counts the connections made to it. */
let listener: Server;
let connections = 0;
let port = 0;
beforeAll(async () => {
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

const SOURCES: Source[] = ["arg", "arm"];

describe.each(SOURCES)("an id from a response (%s)", (source) => {
  it("that is no ARM path is never requested: its zone group is unknown (AUDIT001), and nothing leaves", async () => {
    const pe = privateEndpoint("pe-approved", "hub");
    const hijack = `@127.0.0.1:${port}${zoneId(DNS_ZONES[0]!)}`;
    const ws = workspace({
      publicNetworkAccess: "Disabled",
      privateEndpointConnections: [connection(workspaceId(), "Approved")],
    });
    const t = tenant([ws, pe, virtualNetwork("hub"), zoneGroup(pe.id, [hijack, zoneId(DNS_ZONES[1]!)])]);
    const before = connections;
    const { result } = await auditThroughEmulator(t, source);
    expect(connections).toBe(before);
    const audit = result.findings.find((f) => f.ruleId === "AUDIT001");
    expect(audit?.resourceId).toBe(`${pe.id}/privateDnsZoneGroups`);
    expect(JSON.stringify(audit?.evidence)).toMatch(/no ARM resource id/);
    expect(result.summary.complete).toBe(false);
  });
});

describe("every ARM client", () => {
  it("refuses a request outside the configured endpoint before it is signed", async () => {
    let signed = 0;
    const clients = new ArmClients({
      endpoint: "https://management.azure.com",
      credential: {
        getToken: () => {
          signed += 1;
          return Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 60_000 });
        },
      },
    });
    const request = createPipelineRequest({
      url: `http://127.0.0.1:${port}/subscriptions/${SUB}`,
      method: "GET",
    });
    const before = connections;
    await expect(clients.ml(SUB).sendRequest(request)).rejects.toThrow(/outside the ARM endpoint/);
    const context = await clients.network();
    await expect(context.pathUnchecked(`https://evil.example/subscriptions/${SUB}`).get()).rejects.toThrow(
      /outside the ARM endpoint/,
    );
    expect(signed).toBe(0);
    expect(connections).toBe(before);
  });
});
