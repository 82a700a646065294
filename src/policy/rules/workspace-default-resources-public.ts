import { TYPES, sameValue } from "../../model/arm-ids.js";
import type { ArmResource } from "../../model/snapshot.js";
import { phrase } from "../describe.js";
import {
  defaultResourceExposure,
  readDefaultResource,
  storageGroupsUnknown,
  type DefaultResource,
} from "../dependency-terms.js";
import {
  isDisabled,
  modeIs,
  ownsIsolation,
  publicFromSelectedIps,
  publicNetworkAccess,
  selectedIpsUnknown,
} from "../terms.js";
import { defineRule, type RuleOutcome } from "../types.js";

const NOUN: Record<DefaultResource, string> = {
  storageAccount: "storage account",
  keyVault: "key vault",
  containerRegistry: "container registry",
};

export default defineRule({
  id: "AMLNI009",
  slug: "workspace-default-resources-public",
  title: "Private workspace's storage, key vault or registry is reachable from the internet",
  severity: "high",
  subject: "workspace",
  posture: "private-workspace",
  rationale:
    "A workspace or hub is only as private as its default resources: its data sits in its storage account, its secrets in its key vault and its images in its registry. The hub guidance asks to disable public network access on all three and to give the storage account both a blob and a file private endpoint; a private workspace whose default resources still admit the internet exposes what the workspace's own settings keep in.",
  remediation:
    "Disable public network access on the storage account, key vault and container registry, and create private endpoints for them (blob and file for the storage account) in the workspace's virtual network.",
  seeds: ["hub-private-link", "configure-private-link"],
  *evaluate({ view }) {
    for (const workspace of view.workspaces()) {
      if (!ownsIsolation(workspace)) continue; // a project: its hub's resources are judged on the hub
      if (!view.propertiesKnown(workspace.id)) {
        yield { kind: "unknown", scope: workspace.id, reason: "AMLNI009 needs its network settings" };
        continue;
      }
      const closed = isDisabled(publicNetworkAccess(workspace));
      if (!closed) {
        const acls = selectedIpsUnknown(view, workspace);
        if (acls) {
          yield acls;
          continue;
        }
        if (!publicFromSelectedIps(workspace)) continue; // public: AMLNI003 says so
      }
      if (!view.propertyKnown(workspace.id, "defaultResources")) {
        yield {
          kind: "unknown",
          scope: workspace.id,
          reason: "AMLNI009 needs the ids of its storage account, key vault and registry",
        };
        continue;
      }
      const outcomes: RuleOutcome[] = [];
      const open: {
        kind: DefaultResource;
        id: string;
        resource: ArmResource;
        evidence: Record<string, unknown>;
      }[] = [];
      let storageMissing: string[] = [];
      let storageName: string | undefined;
      for (const kind of ["storageAccount", "keyVault", "containerRegistry"] as const) {
        const read = readDefaultResource(view, workspace, kind);
        if (read.state === "absent") continue;
        if (read.state === "unknown") {
          outcomes.push({
            kind: "unknown",
            scope: read.id,
            subject: workspace.id,
            reason: `AMLNI009 needs the ${NOUN[kind]}'s network settings`,
          });
          continue;
        }
        const exposure = defaultResourceExposure(read.resource, kind);
        if (exposure.internet)
          open.push({ kind, id: read.id, resource: read.resource, evidence: exposure.evidence });
        // Both a blob and a file private endpoint, where the workspace's own network is the way in.
        if (kind === "storageAccount" && !exposure.internet && modeIs(workspace, "Disabled")) {
          const groups = storageGroupsUnknown(view, read.resource);
          if (groups.unknown) {
            outcomes.push({
              kind: "unknown",
              scope: groups.unknown,
              subject: workspace.id,
              reason: "AMLNI009 needs the private endpoints of the storage account's connections",
            });
            continue;
          }
          storageMissing = ["blob", "file"].filter((g) => !groups.approved.has(g));
          storageName = read.resource.name;
        }
      }
      if (outcomes.length > 0) {
        yield* outcomes;
        continue;
      }
      if (open.length === 0 && storageMissing.length === 0) continue;
      const parts = [
        ...open.map(
          (o) => `its ${NOUN[o.kind]} \`${o.id.split("/").at(-1) ?? ""}\` is reachable from the internet`,
        ),
        ...(storageMissing.length > 0
          ? [
              `its storage account \`${storageName ?? ""}\` has no approved ${storageMissing.join(" or ")} private endpoint`,
            ]
          : []),
      ];
      const commands = [
        ...open.map((o) => disableCommand(o.kind, o.resource)),
        ...storageMissing.map(
          (g) =>
            `az network private-endpoint create --name pe-${storageName ?? "storage"}-${g} --resource-group <network-rg> --vnet-name <vnet> --subnet <subnet> --private-connection-resource-id ${workspace.properties?.storageAccount as string} --group-id ${g} --connection-name ${storageName ?? "storage"}-${g}`,
        ),
      ];
      yield {
        kind: "violation",
        resourceId: workspace.id,
        resourceType: TYPES.workspace,
        evidence: {
          publicNetworkAccess: publicNetworkAccess(workspace),
          ...(closed ? {} : { publicFromSelectedIps: true }),
          internetReachable: Object.fromEntries(open.map((o) => [o.kind, o.evidence])),
          ...(storageMissing.length > 0 ? { storageMissingPrivateEndpoints: storageMissing } : {}),
        },
        message: `${phrase(view, workspace.id)} is ${closed ? "private" : "open to selected IP ranges only"}, but ${parts.join("; ")}.`,
        remediation: commands.join("; "),
      };
    }
  },
});

function disableCommand(kind: DefaultResource, resource: ArmResource): string {
  const name = resource.name;
  const rg = /\/resourceGroups\/([^/]+)/i.exec(resource.id)?.[1] ?? "<resource-group>";
  if (kind === "storageAccount")
    return `az storage account update --name ${name} --resource-group ${rg} --public-network-access Disabled`;
  if (kind === "keyVault")
    return `az keyvault update --name ${name} --resource-group ${rg} --public-network-access Disabled`;
  // Only a Premium registry can turn its public endpoint off (AMLNO006).
  const upgrade = sameValue(resource.sku?.name, "Premium")
    ? ""
    : `az acr update --name ${name} --resource-group ${rg} --sku Premium; `;
  return `${upgrade}az acr update --name ${name} --resource-group ${rg} --public-network-enabled false`;
}
