/**
 * The templates held to the code, as plain reads of the files (no Bicep compiler can be installed here):
 * the app settings they set are the ones the code reads, the roles are the documented built-in ones and no
 * broader, storage has shared keys off, the webhook comes from Key Vault through the app's identity, and
 * the runtime is Node 22.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLATFORM_SETTINGS, SETTINGS } from "../../src/settings.js";

const ROOT = join(__dirname, "../..");
const INFRA = join(ROOT, "infra");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const bicep = files(INFRA)
  .filter((f) => f.endsWith(".bicep"))
  .map((path) => ({ path: path.slice(ROOT.length + 1), text: readFileSync(path, "utf8") }));
const all = bicep.map((b) => b.text).join("\n");
const api = readFileSync(join(INFRA, "app/api.bicep"), "utf8");

/** The keys of `var settings = { … }` in api.bicep: the app settings the Function App gets. */
function appSettings(): string[] {
  const block = /var settings = \{([\s\S]*?)\n\}/.exec(api)?.[1] ?? "";
  return [...block.matchAll(/^ {2}([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1] as string);
}

/** Built-in roles the templates may use (Azure built-in roles reference), by id. */
const ALLOWED_ROLES: Record<string, string> = {
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "76199698-9eea-4c19-bc75-cec21354c6b6": "Storage Table Data Reader",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
};
const BROAD_ROLES = {
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
};

describe("infra/", () => {
  it("sets every setting the code reads, and nothing the code or the platform does not read", () => {
    const set = appSettings();
    const deployed = Object.entries(SETTINGS)
      .filter(([, spec]) => !("localOnly" in spec && spec.localOnly))
      .map(([name]) => name);
    expect(set.length).toBeGreaterThan(10);
    expect(deployed.filter((name) => !set.includes(name))).toEqual([]);
    const known = new Set<string>([...deployed, ...PLATFORM_SETTINGS]);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
    // Local-only settings (a tenant file, a connection string, loopback Teams) never reach Azure.
    for (const [name, spec] of Object.entries(SETTINGS))
      if ("localOnly" in spec && spec.localOnly) expect(set, name).not.toContain(name);
  });

  it("gives the host and the trigger identity-based storage with the user-assigned identity", () => {
    for (const prefix of ["AzureWebJobsStorage", "AUDIT_STORAGE"]) {
      expect(api).toMatch(new RegExp(`${prefix}__credential: 'managedidentity'`));
      expect(api).toMatch(new RegExp(`${prefix}__clientId: identityClientId`));
    }
    expect(api).toMatch(/AUDIT_STORAGE__queueServiceUri: auditStorage\.properties\.primaryEndpoints\.queue/);
    expect(all).not.toMatch(/AccountKey|listKeys\(/);
  });

  it("uses only documented built-in roles, each named in a comment, and none broader", () => {
    const ids = [...all.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)].map((m) =>
      m[0].toLowerCase(),
    );
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(Object.keys(BROAD_ROLES)).not.toContain(id);
      expect(Object.keys(ALLOWED_ROLES), id).toContain(id);
    }
    for (const { path, text } of bicep) {
      for (const line of text.split("\n")) {
        const id = /'([0-9a-f]{8}-[0-9a-f-]{27})'/i.exec(line)?.[1]?.toLowerCase();
        if (id) expect(line, `${path}: the role's name in a comment`).toContain(`// ${ALLOWED_ROLES[id]}`);
      }
    }
    // Reader: a subscription template and a management-group template.
    expect(readFileSync(join(INFRA, "reader/management-group-reader.bicep"), "utf8")).toMatch(
      /targetScope = 'managementGroup'/,
    );
    expect(readFileSync(join(INFRA, "reader/subscription-reader.bicep"), "utf8")).toMatch(
      /targetScope = 'subscription'/,
    );
  });

  it("keeps shared keys off, TLS 1.2 and no public blob access on every storage account", () => {
    const accounts = (all.match(/avm\/res\/storage\/storage-account:/g) ?? []).length;
    expect(accounts).toBe(2);
    expect((all.match(/allowSharedKeyAccess: false/g) ?? []).length).toBe(accounts);
    expect((all.match(/minimumTlsVersion: 'TLS1_2'/g) ?? []).length).toBe(accounts);
    expect((all.match(/allowBlobPublicAccess: false/g) ?? []).length).toBe(accounts);
    expect(all).not.toMatch(/allowSharedKeyAccess: true/);
  });

  it("takes the webhook from Key Vault (RBAC) through the app's identity", () => {
    expect(api).toMatch(/TEAMS_WEBHOOK_URL: empty\(webhookSecretName\)/);
    expect(api).toMatch(
      /'@Microsoft\.KeyVault\(VaultName=\$\{vaultName\};SecretName=\$\{webhookSecretName\}\)'/,
    );
    expect(api).toMatch(/keyVaultAccessIdentityResourceId: identityId/);
    const vault = readFileSync(join(INFRA, "app/keyvault.bicep"), "utf8");
    expect(vault).toMatch(/enableRbacAuthorization: true/);
    expect(vault).toMatch(/@secure\(\)\nparam secretValue string/);
    expect(readFileSync(join(INFRA, "main.bicep"), "utf8")).toMatch(
      /@secure\(\)[^\n]*\n[^\n]*\nparam teamsWebhookUrl string/,
    );
  });

  it("runs Node 22 on Flex Consumption, with Application Insights' local authentication off", () => {
    expect(api).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
    expect(readFileSync(join(INFRA, "main.bicep"), "utf8")).toMatch(
      /sku: \{ name: 'FC1', tier: 'FlexConsumption' \}/,
    );
    expect(all).toMatch(/disableLocalAuth: true/);
    expect(api).toMatch(/type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId/);
  });

  it("azure.yaml names the function service and the infra folder", () => {
    const yaml = readFileSync(join(ROOT, "azure.yaml"), "utf8");
    expect(yaml).toMatch(/^services:\n {2}function:\n(?: {4}.*\n)*? {4}host: function$/m);
    expect(yaml).toMatch(/^ {4}language: ts$/m);
    expect(yaml).toMatch(/^infra:\n(?: {2}.*\n)*? {2}path: infra$/m);
    expect(api).toMatch(/'azd-service-name': 'function'/);
  });

  it("declares Node 22 for the project too", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(">=22");
  });
});
