/**
 * The templates held to the code, as plain reads of the files (no Bicep compiler can be installed here):
 * the app settings they set are the ones the code reads, the roles are the documented built-in ones and no
 * broader, storage has shared keys off, the webhook comes from Key Vault through the app's identity, and
 * the runtime is Node 22.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLATFORM_SETTINGS, SETTINGS } from "../../src/settings.js";
import { bicepFiles } from "../helpers/bicep.js";

const ROOT = join(__dirname, "../..");
const INFRA = join(ROOT, "infra");

const bicep = bicepFiles(INFRA, ROOT);
const all = bicep.map((b) => b.text).join("\n");
const api = readFileSync(join(INFRA, "app/api.bicep"), "utf8");
const main = readFileSync(join(INFRA, "main.bicep"), "utf8");
const rbac = readFileSync(join(INFRA, "app/rbac.bicep"), "utf8");
const parameters = (
  JSON.parse(readFileSync(join(INFRA, "main.parameters.json"), "utf8")) as {
    parameters: Record<string, { value: string }>;
  }
).parameters;

/** main.bicep's parameters: name → the declaration with its decorators. */
function mainParams(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of main.matchAll(/((?:^@[^\n]*\n|^ {2}'[^\n]*\n|^\]\)\n)*)^param (\w+) ([^\n]*)$/gm))
    out.set(m[2] as string, `${m[1] ?? ""}param ${m[2]} ${m[3]}`);
  return out;
}

/** The role assignments of rbac.bicep: the resource they are on and the role's key in `roles`. */
function assignments(): { scope: string; role: string; principalType: string; condition: string }[] {
  return [
    ...rbac.matchAll(
      /resource \w+ 'Microsoft\.Authorization\/roleAssignments@[^']+' = (if [^\n]*\) )?\{\n([\s\S]*?)\n\}/g,
    ),
  ].map((m) => ({
    condition: m[1] ?? "",
    scope: /scope: (\w+)/.exec(m[2] ?? "")?.[1] ?? "",
    role: /roles\.(\w+)\)/.exec(m[2] ?? "")?.[1] ?? "",
    principalType: /principalType: ([^\n]+)/.exec(m[2] ?? "")?.[1]?.trim() ?? "",
  }));
}

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
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
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

  it("assigns the deploying principal's roles with the type azd gives, so a service principal can deploy", () => {
    expect(all).not.toMatch(/principalType: 'User'/);
    expect(parameters.principalType?.value).toBe("${AZURE_PRINCIPAL_TYPE=User}");
    expect(mainParams().get("principalType")).toMatch(/@allowed\(\['User', 'ServicePrincipal'/);
    const user = assignments().filter((a) => a.condition.includes("userPrincipalId"));
    expect(user.length).toBeGreaterThanOrEqual(2);
    for (const a of user) expect(a.principalType).toBe("userPrincipalType");
    for (const a of assignments().filter((x) => !x.condition.includes("userPrincipalId")))
      expect(a.principalType).toBe("'ServicePrincipal'");
    expect(main).toMatch(/userPrincipalType: principalType/);
  });

  it("lets the same environment be deployed again after azd down: purge protection is an opt-in", () => {
    const vault = readFileSync(join(INFRA, "app/keyvault.bicep"), "utf8");
    expect(vault).not.toMatch(/enablePurgeProtection: true/);
    expect(vault).toMatch(/enablePurgeProtection: purgeProtection \? true : null/);
    expect(mainParams().get("vaultPurgeProtection")).toMatch(/param vaultPurgeProtection bool = false$/);
    expect(main).toMatch(/purgeProtection: vaultPurgeProtection/);
    expect(parameters.vaultPurgeProtection?.value).toBe("${AUDIT_VAULT_PURGE_PROTECTION=false}");
  });

  it("gives the identity a role, and with private networking a private endpoint, for every storage service a setting names", () => {
    const set = appSettings();
    const roleFor: Record<string, string[]> = {
      blob: ["storageBlobDataOwner", "storageBlobDataContributor"],
      queue: ["storageQueueDataContributor"],
      table: ["storageTableDataContributor"],
    };
    for (const [prefix, account] of [
      ["AzureWebJobsStorage", "hostStorage"],
      ["AUDIT_STORAGE", "auditStorage"],
    ] as const) {
      const services = set
        .map((name) => new RegExp(`^${prefix}__(blob|queue|table)ServiceUri$`).exec(name)?.[1])
        .filter((x): x is string => x !== undefined);
      expect(services.length, prefix).toBeGreaterThan(0);
      for (const service of services) {
        const roles = assignments().filter(
          (a) =>
            a.scope === account &&
            !a.condition.includes("userPrincipalId") &&
            roleFor[service]?.includes(a.role),
        );
        expect(roles, `${prefix}: a role for ${service} on ${account}`).toHaveLength(1);
        expect(main, `${prefix}: a ${service} private endpoint on ${account}`).toMatch(
          new RegExp(`resourceId: ${account}\\.outputs\\.resourceId, groupId: '${service}'`),
        );
      }
      // …and nothing for a service no setting names.
      const named = new Set(services.flatMap((service) => roleFor[service] ?? []));
      for (const a of assignments().filter(
        (x) => x.scope === account && !x.condition.includes("userPrincipalId"),
      ))
        expect(named.has(a.role), `${account}: ${a.role} without a setting`).toBe(true);
    }
    // The host needs blob only: timer locks and keys (no Durable Functions, no host queues or tables).
    expect(
      set.filter((name) => name.startsWith("AzureWebJobsStorage__") && name.endsWith("ServiceUri")),
    ).toEqual(["AzureWebJobsStorage__blobServiceUri"]);
  });

  it("grants Reader on each subscription once: the deployment's own is left out of the list when it has Reader", () => {
    expect(mainParams().get("readerSubscriptionIds")).toMatch(/param readerSubscriptionIds string = ''$/);
    expect(main).toMatch(/for id in readerElsewhereIds:/);
    expect(main).toMatch(
      /union\(map\(split\(readerSubscriptionIds, ','\), id => toLower\(trim\(id\)\)\), \[\]\)/,
    );
    expect(main).toMatch(/!\(readerOnDeploymentSubscription && id == deploymentSubscriptionId\)/);
    expect(main).toMatch(/var deploymentSubscriptionId = toLower\(subscription\(\)\.subscriptionId\)/);
  });

  it("maps every parameter of main.bicep from the azd environment, as the README's table says", () => {
    const readme = readFileSync(join(INFRA, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `(\w+)` +\| `(\w+)` +\| ([^|]+?) +\|/gm)].map((m) => ({
      param: m[1] as string,
      env: m[2] as string,
      fallback: (m[3] as string).replace(/`/g, ""),
    }));
    // A parameter whose default is the deployment's own time is never given: azd would pin it.
    const declared = [...mainParams()]
      .filter(([, text]) => !/= utcNow\([^)]*\)$/.test(text))
      .map(([name]) => name);
    expect(declared.length).toBeGreaterThan(15);
    expect(rows.map((r) => r.param).sort()).toEqual([...declared].sort());
    expect(Object.keys(parameters).sort()).toEqual([...declared].sort());
    for (const row of rows) {
      const value = parameters[row.param]?.value ?? "";
      expect(value, row.param).toMatch(new RegExp(`^\\$\\{${row.env}(=|\\})`));
      const fallback = /=([^}]*)\}$/.exec(value)?.[1];
      if (fallback !== undefined && fallback !== "") expect(row.fallback, row.param).toBe(fallback);
    }
    // The variables the README's deploy sections tell a user to set are all mapped.
    const told = [
      ...`${readme}\n${readFileSync(join(ROOT, "README.md"), "utf8")}`.matchAll(
        /azd env set ([A-Z][A-Z0-9_]+) [^\s]/g,
      ),
    ].map((m) => m[1] as string);
    const mapped = new Set(rows.map((r) => r.env));
    for (const name of told) expect(mapped.has(name), `azd env set ${name}`).toBe(true);
  });

  it("can give the deploying principal Key Vault Secrets Officer, which the README's rotation needs", () => {
    const officer = assignments().find((a) => a.role === "keyVaultSecretsOfficer");
    expect(officer).toMatchObject({ scope: "vault", principalType: "userPrincipalType" });
    expect(officer?.condition).toMatch(/userSecretsOfficer && !empty\(userPrincipalId\)/);
    expect(mainParams().get("deployerSecretsOfficer")).toMatch(/bool = false$/);
    const readme = readFileSync(join(INFRA, "README.md"), "utf8");
    expect(readme).toMatch(/azd env set AUDIT_DEPLOYER_SECRETS_OFFICER true && azd provision/);
    expect(readme).toMatch(/az keyvault secret set --vault-name "\$\(azd env get-value AUDIT_VAULT_NAME\)"/);
    expect(main).toMatch(/output AUDIT_VAULT_NAME string = vault\.outputs\.name/);
  });

  it("offers azd only the regions that have Flex Consumption, the README's among them", () => {
    const location = mainParams().get("location") ?? "";
    const regions = [...location.matchAll(/^ {2}'([a-z0-9]+)'$/gm)].map((m) => m[1] as string);
    expect(regions.length).toBeGreaterThan(25);
    for (const region of ["eastus", "westeurope", "swedencentral", "australiaeast"])
      expect(regions).toContain(region);
    expect(location).toMatch(/@metadata\(\{ azd: \{ type: 'location' \} \}\)/);
    for (const m of readFileSync(join(ROOT, "README.md"), "utf8").matchAll(/AZURE_LOCATION (\w+)/g))
      expect(regions).toContain(m[1]);
  });

  it("creates the app after its role assignments, with a documented instance limit", () => {
    expect(main).toMatch(
      /module app 'app\/api\.bicep' = \{\n {2}name: 'app'\n {2}scope: rg\n {2}dependsOn: \[rbac\]/,
    );
    expect(api).toMatch(
      /@minValue\(1\)\n@maxValue\(1000\)\n@description\([^\n]*\)\nparam maximumInstanceCount int = 4/,
    );
    expect(`${all}\n${readFileSync(join(INFRA, "README.md"), "utf8")}`).not.toMatch(
      /40 \(the lowest|allows 40/,
    );
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
