/**
 * A 200 whose body is not JSON (a proxy's page, a truncated answer) is a read that failed: the resource is
 * unknown (AUDIT001), never taken as empty and never the end of the run. Bodies are parsed once, by the reader,
 * not by the clients' pipelines.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCertificate } from "../../src/emulator/certificate.js";
import { Collector } from "../../src/inventory/collector.js";
import { ArmClients, EMULATOR_CREDENTIAL } from "../../src/inventory/connection.js";
import { Limiter } from "../../src/inventory/limiter.js";
import { FAST_RETRIES } from "../helpers/emulator.js";
import { SUB } from "../helpers/tenant.js";

const VAULT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv`;
const BODY = '<html><body>{"id": "not json"';

let server: Server;
let endpoint = "";
let ca = "";
let requests = 0;
beforeAll(async () => {
  const { key, cert } = await generateCertificate();
  ca = cert;
  server = createServer({ key, cert }, (req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function collector(): Collector {
  const clients = new ArmClients({
    endpoint,
    credential: EMULATOR_CREDENTIAL,
    ca,
    retryOptions: FAST_RETRIES,
  });
  return new Collector(clients, new Limiter(4, 2));
}

describe("a 200 whose body is not JSON", () => {
  it("makes a read by id a failure of that resource, without the body", async () => {
    const c = collector();
    expect(await c.getById(VAULT, "read the workspace's dependency")).toBeUndefined();
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]).toMatchObject({ scope: VAULT, scopeType: "resource", code: "PARSE_ERROR" });
    expect(JSON.stringify(c.failures)).not.toContain("not json");
    expect(c.has(VAULT)).toBe(false);
  });

  it("makes a list throw, for its reader to record", async () => {
    const c = collector();
    await expect(
      c.listRaw(
        SUB,
        `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults`,
        "2026-02-01",
      ),
    ).rejects.toMatchObject({ code: "PARSE_ERROR" });
  });

  it("is parsed by the reader alone: the ML client's pipeline does not parse bodies", () => {
    const clients = new ArmClients({ endpoint, credential: EMULATOR_CREDENTIAL, ca });
    const names = clients
      .ml(SUB)
      .pipeline.getOrderedPolicies()
      .map((p) => p.name);
    expect(names).not.toContain("deserializationPolicy");
    expect(requests).toBeGreaterThan(0);
  });
});
