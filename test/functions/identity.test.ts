/**
 * The identity-based path as deployed: the app reaches its audit storage with the user-assigned identity
 * alone. A local managed identity endpoint speaks the protocol Flex Consumption gives an app
 * (IDENTITY_ENDPOINT, IDENTITY_HEADER) and Azurite takes bearer tokens over HTTPS (`--oauth basic`); the
 * worker runs in its own process with the settings infra/app/api.bicep sets, no connection string and no key.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCertificate } from "../../src/emulator/certificate.js";
import { startAzurite, type Azurite } from "../helpers/azurite.js";
import { startIdentityEndpoint, type IdentityEndpoint } from "../helpers/identity-endpoint.js";

const ROOT = join(__dirname, "../..");
const DEMO = join(ROOT, "examples/demo-tenant.json");
const ACCOUNT = "devstoreaccount1";

interface Result {
  outcomes?: string[];
  run?: Record<string, unknown>;
  blobs?: string[];
  findingRows?: number;
  timerError?: string;
  workerError?: string;
  crashed?: string;
  log: { functionName: string; level: string; text: string }[];
}

let dir: string;
let azurite: Azurite;
let identity: IdentityEndpoint;
let debugLog: string;
let caFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "identity-"));
  const { key, cert } = await generateCertificate();
  caFile = join(dir, "cert.pem");
  writeFileSync(caFile, cert);
  writeFileSync(join(dir, "key.pem"), key);
  debugLog = join(dir, "azurite-debug.log");
  azurite = await startAzurite({ oauth: { cert: caFile, key: join(dir, "key.pem") }, debugLog });
  identity = await startIdentityEndpoint();
});

afterAll(async () => {
  await azurite?.stop();
  await identity?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The app settings of infra/app/api.bicep for the audit storage, and the platform's identity variables. */
function deployedEnv(clientId: string | undefined): NodeJS.ProcessEnv {
  const base = (port: number) => `https://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    PATH: process.env.PATH,
    HOME: dir,
    NODE_EXTRA_CA_CERTS: caFile,
    ...identity.env,
    AUDIT_STORAGE__blobServiceUri: base(azurite.ports.blob),
    AUDIT_STORAGE__tableServiceUri: base(azurite.ports.table),
    AUDIT_STORAGE__queueServiceUri: base(azurite.ports.queue),
    AUDIT_STORAGE__credential: "managedidentity",
    ...(clientId !== undefined ? { AUDIT_STORAGE__clientId: clientId } : {}),
    AUDIT_SCHEDULE: "0 0 2 * * *",
    AUDIT_TENANT_FILE: DEMO,
    AUDIT_SOURCE: "arg",
  };
}

function worker(scenario: "run" | "refused", env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "../helpers/identity-run.js"), scenario], {
      env,
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", () => {
      const line = stdout.split("\n").find((l) => l.startsWith("@@result "));
      if (!line) return reject(new Error(`the worker printed no result:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(line.slice("@@result ".length)) as Result);
    });
  });
}

describe("the app's storage through its managed identity", () => {
  it("a nightly run writes its blobs, table rows and queue messages with tokens alone", async () => {
    const env = deployedEnv(identity.clientId);
    expect(JSON.stringify(env)).not.toMatch(/AccountKey|UseDevelopmentStorage|AUDIT_STORAGE"/);
    const result = await worker("run", env);
    expect(result.crashed, JSON.stringify(result.log)).toBeUndefined();
    expect(result.outcomes).toEqual(["done"]);
    expect(result.run).toMatchObject({ status: "incomplete", trigger: "schedule", attempt: 1 });
    const summary = result.run?.summary as { new: number; runId: string };
    expect(summary.new).toBeGreaterThan(10);
    expect(result.findingRows).toBeGreaterThan(10);
    expect(result.blobs).toEqual(
      expect.arrayContaining([
        "latest/findings.json",
        "latest/report.html",
        "latest/summary.json",
        "locks/state",
        expect.stringMatching(
          new RegExp(`^runs/\\d{4}/\\d{2}/\\d{2}/${summary.runId}/inventory\\.json\\.gz$`),
        ),
      ]),
    );
    // Tokens for Azure Storage's audience only, and every request Azurite took was a token's, none a key's.
    expect(Object.keys(identity.issued)).toEqual(["https://storage.azure.com"]);
    expect(identity.refused).toEqual([]);
    const azuriteLog = readFileSync(debugLog, "utf8");
    const accepted = azuriteLog.match(/Validation against token authentication successfully/g) ?? [];
    expect(accepted.length).toBeGreaterThan(20);
    for (const service of ["Blob", "Table", "Queue"])
      expect(azuriteLog, `${service}: a token accepted`).toMatch(
        new RegExp(
          `${service}TokenAuthenticator:authenticateBasic\\(\\) Validation against token authentication successfully`,
        ),
      );
    expect(azuriteLog).not.toMatch(/Signature \d matched/);
  }, 120_000);

  it.each([
    ["a client id of no identity the app has", "11111111-2222-4333-8444-555555555555"],
    ["no client id (the app has a user-assigned identity only)", undefined],
  ])(
    "%s fails the run with a message that names AUDIT_STORAGE__clientId",
    async (_, clientId) => {
      const before = identity.refused.length;
      const result = await worker("refused", deployedEnv(clientId));
      expect(identity.refused.length).toBeGreaterThan(before);
      expect(result.timerError).toBeDefined();
      expect(result.workerError).toBeDefined();
      const errors = result.log.filter((l) => l.level === "error").map((l) => `${l.functionName}: ${l.text}`);
      const named =
        /the app's managed identity could not get a token for Azure Storage \(.*\): check AUDIT_STORAGE__clientId/;
      expect(
        errors.find((e) => e.startsWith("nightlyAudit: nightlyAudit: the run could not be queued")),
      ).toMatch(named);
      expect(
        errors.find((e) => e.startsWith("auditWorker: auditWorker: run 20261202T000000Z-abcdef failed")),
      ).toMatch(named);
    },
    60_000,
  );
});
