// The auditor in one subscription: a Flex Consumption Function App (Node 22) with a user-assigned identity,
// its host storage, the audit storage (tables, run archive, queue), Application Insights on Log Analytics
// (local authentication off), a Key Vault (RBAC) holding the Teams webhook, and the narrowest role
// assignments. Reader where the auditor audits: this subscription (optional), the subscriptions listed, and a
// management group through infra/reader/management-group-reader.bicep. Deploy with `azd up` or
// `az deployment sub create --template-file infra/main.bicep`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment: it seeds the names of every resource.')
param environmentName string

// The regions that offer Flex Consumption, as the Functions TypeScript quickstart lists them for azd
// (Azure-Samples/functions-quickstart-typescript-azd, infra/main.bicep); `az functionapp list-flexconsumption-locations`
// gives the current list.
@minLength(1)
@description('Region of every resource; Flex Consumption must be offered there.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal, granted read access to the audit storage for the first look; empty: none.')
param principalId string = ''

@description('What principalId is: a user, or a service principal (azd sets AZURE_PRINCIPAL_TYPE for whoever runs it).')
@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Give the deploying principal Key Vault Secrets Officer on the vault, so it can rotate the webhook.')
param deployerSecretsOfficer bool = false

@description('Purge protection on the Key Vault: a deleted vault keeps its name for the 7-day retention and the same environment cannot be deployed again until then.')
param vaultPurgeProtection bool = false

@description('Private networking: VNet integration of the app, private endpoints for its storage accounts and Key Vault, their public network access disabled.')
param vnetEnabled bool = false

@description('When nightlyAudit runs: 6-field NCRONTAB, UTC (Flex Consumption has no time zone setting).')
param auditSchedule string = '0 0 2 * * *'

@description('Management group ids to audit, comma-separated; empty with no subscriptions: every subscription the identity can read.')
param auditManagementGroups string = ''

@description('Subscription ids to audit, comma-separated.')
param auditSubscriptions string = ''

@description('Subscription ids to leave out, comma-separated.')
param auditExcludeSubscriptions string = ''

@allowed(['arg', 'arm'])
param auditSource string = 'arg'

@allowed(['strict', 'private-inbound', 'secure-outbound', 'baseline'])
param auditProfile string = 'strict'

@description('A policy file as inline JSON (rule overrides, exemptions); empty: the profile alone.')
param auditPolicy string = ''

@allowed(['changes', 'always', 'off'])
param teamsMode string = 'changes'

@description('The security dashboard the Teams digest links to (https); empty: no button.')
param dashboardUrl string = ''

@description('An origin allowed to call the API from a browser (the dashboard), e.g. https://dashboard.contoso.com; empty: none.')
param corsAllowedOrigin string = ''

@secure()
@description('The Teams Workflows webhook URL; stored in Key Vault, never in app settings. Empty: no digest.')
param teamsWebhookUrl string = ''

@minValue(1)
@maxValue(1000)
@description('Most instances of each of the app\'s per-function scale groups (see infra/app/api.bicep).')
param maximumInstanceCount int = 4

@description('Grant the auditor Reader on the subscription it is deployed to.')
param readerOnDeploymentSubscription bool = true

@description('Other subscriptions to grant the auditor Reader on: ids, comma-separated.')
param readerSubscriptionIds string = ''

@description('Send findings and runs to Log Analytics (two custom tables, a data collection rule), with the workbook and the audit-stopped alert.')
param logsEnabled bool = false

@description('The Log Analytics workspace has Microsoft Sentinel: also deploy the analytics rule (with logsEnabled).')
param sentinelEnabled bool = false

@description('Who the audit-stopped and audit-failed alerts e-mail (with logsEnabled); empty: they have no one to tell.')
param alertEmail string = ''

@description('Days a deleted Key Vault is kept (7 to 90). Key Vault keeps a vault\'s value for life: an environment whose vault was made with another (30, before 2026-12-02) must give that one.')
@minValue(7)
@maxValue(90)
param vaultSoftDeleteRetentionDays int = 7

@description('Memory of each Flex Consumption instance (MB); the worker\'s V8 heap is bounded to half of it.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('When this deployment runs (UTC); leave the default. The audit-stopped alert gives a new deployment until its first run is due.')
param deployedAt string = utcNow('u')

var abbrs = loadJsonContent('./abbreviations.json')
// How long the audit may go without a committed run before it counts as stopped: the longest gap between two
// runs of the NCRONTAB schedule ({second} {minute} {hour} {day} {month} {day-of-week}) and two hours' grace.
// Every day (day, month and day of week `*`): the hour field says the gap — `*` one hour, `*/n` n hours,
// anything else (one hour, a list, a range) at most a day. A schedule that skips days has gaps longer than a
// log search alert's two-day window: 0, and the alert is disabled (the output says so). Padded, so that a
// malformed schedule (the app refuses it) reads as one that skips days rather than failing here.
var scheduleFields = concat(split(trim(auditSchedule), ' '), ['', '', '', '', '', ''])
var scheduleEveryDay = length(split(trim(auditSchedule), ' ')) == 6 && scheduleFields[3] == '*' && scheduleFields[4] == '*' && scheduleFields[5] == '*'
var scheduleHourField = scheduleFields[2]
var scheduleGapHours = !scheduleEveryDay
  ? 0
  : scheduleHourField == '*' ? 1 : int(startsWith(scheduleHourField, '*/') ? replace(scheduleHourField, '*/', '') : '24')
var auditStaleHours = scheduleGapHours == 0 || scheduleGapHours > 46 ? 0 : scheduleGapHours + 2
// The worker's V8 old space: half the instance, the rest for the Functions host and the worker's own buffers.
// The benchmark measures the audit at these bounds (bench/RESULTS.md, "Instance sizes").
var workerHeapMB = instanceMemoryMB / 2
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}audit-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var webhookSecretName = 'teams-webhook-url'
// Each subscription once, and never the deployment's own when readerHere already covers it: the same role
// assignment twice in one deployment fails.
var deploymentSubscriptionId = toLower(subscription().subscriptionId)
var readerElsewhereIds = filter(
  union(map(split(readerSubscriptionIds, ','), id => toLower(trim(id))), []),
  id => !empty(id) && !(readerOnDeploymentSubscription && id == deploymentSubscriptionId)
)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}audit-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: { name: 'FC1', tier: 'FlexConsumption' }
    reserved: true
    location: location
    tags: tags
  }
}

// The host's own storage: AzureWebJobsStorage (timer locks) and the deployment package container.
module hostStorage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'hostStorage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}host${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled ? { defaultAction: 'Deny', bypass: 'None' } : { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: { containers: [{ name: deploymentContainerName }] }
  }
}

// The audit's storage: the findings and runs tables, the run archive, the audit-runs queue.
module auditStorage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'auditStorage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}audit${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled ? { defaultAction: 'Deny', bypass: 'None' } : { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: { containers: [{ name: 'audit' }] }
    queueServices: { queues: [{ name: 'audit-runs' }, { name: 'audit-runs-poison' }] }
    tableServices: { tables: [{ name: 'findings' }, { name: 'runs' }] }
  }
}

var workspaceName = '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
// Sentinel's analytics rule needs the workspace onboarded first (Microsoft.SecurityInsights/onboardingStates
// `default`): the AVM module (0.11.1) creates it with onboardWorkspaceToSentinel, and only when the
// SecurityInsights solution is among its gallerySolutions. The log-analytics module takes the workspace's name
// from this module's outputs, so it starts once the onboarding is done.
var sentinelOnboarded = logsEnabled && sentinelEnabled

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: workspaceName
    location: location
    tags: tags
    dataRetention: 30
    onboardWorkspaceToSentinel: sentinelOnboarded
    gallerySolutions: sentinelOnboarded
      ? [{ name: 'SecurityInsights(${workspaceName})', plan: { product: 'OMSGallery/SecurityInsights', publisher: 'Microsoft' } }]
      : []
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'monitoring'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module logs 'app/log-analytics.bicep' = if (logsEnabled) {
  name: 'logs'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceName: logAnalytics.outputs.name
    principalId: identity.outputs.principalId
    sentinelEnabled: sentinelEnabled
    alertEmail: alertEmail
    staleHours: auditStaleHours
    deployedAt: deployedAt
    ruleName: '${abbrs.insightsDataCollectionRules}audit-${resourceToken}'
    workbookName: '${abbrs.insightsWorkbooks}audit-${resourceToken}'
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${take(resourceToken, 20)}'
    location: location
    tags: tags
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    secretName: webhookSecretName
    secretValue: teamsWebhookUrl
    purgeProtection: vaultPurgeProtection
    softDeleteRetentionDays: vaultSoftDeleteRetentionDays
  }
}

module network 'app/vnet.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
  }
}

module privateEndpoints 'app/private-endpoints.bicep' = if (vnetEnabled) {
  name: 'privateEndpoints'
  scope: rg
  params: {
    location: location
    tags: tags
    virtualNetworkId: vnetEnabled ? network!.outputs.id : ''
    subnetId: vnetEnabled ? network!.outputs.privateEndpointSubnetId : ''
    endpoints: [
      { name: 'host-blob', resourceId: hostStorage.outputs.resourceId, groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
      { name: 'audit-blob', resourceId: auditStorage.outputs.resourceId, groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
      { name: 'audit-table', resourceId: auditStorage.outputs.resourceId, groupId: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
      { name: 'audit-queue', resourceId: auditStorage.outputs.resourceId, groupId: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
      { name: 'vault', resourceId: vault.outputs.id, groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' }
    ]
  }
}

// The app starts once its roles exist: the deployment container, its host storage and the Key Vault
// reference are reached with the identity from the first start.
module app 'app/api.bicep' = {
  name: 'app'
  scope: rg
  dependsOn: [rbac]
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostStorageName: hostStorage.outputs.name
    auditStorageName: auditStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.name
    vaultName: vault.outputs.name
    webhookSecretName: empty(teamsWebhookUrl) ? '' : webhookSecretName
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    corsAllowedOrigin: corsAllowedOrigin
    auditSchedule: auditSchedule
    auditManagementGroups: auditManagementGroups
    auditSubscriptions: auditSubscriptions
    auditExcludeSubscriptions: auditExcludeSubscriptions
    auditSource: auditSource
    auditProfile: auditProfile
    auditPolicy: auditPolicy
    teamsMode: teamsMode
    dashboardUrl: dashboardUrl
    logsEndpoint: logsEnabled ? logs!.outputs.ingestionEndpoint : ''
    logsRuleId: logsEnabled ? logs!.outputs.ruleImmutableId : ''
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    workerHeapMB: workerHeapMB
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    hostStorageName: hostStorage.outputs.name
    auditStorageName: auditStorage.outputs.name
    vaultName: vault.outputs.name
    applicationInsightsName: monitoring.outputs.name
    userPrincipalId: principalId
    userPrincipalType: principalType
    userSecretsOfficer: deployerSecretsOfficer
  }
}

// Reader where the auditor audits. A management group: deploy infra/reader/management-group-reader.bicep.
// Deployments at subscription scope are named per environment: a deployment name is kept with the region it ran
// in, and another environment in another region reusing it fails (InvalidDeploymentLocation).
module readerHere 'reader/subscription-reader.bicep' = if (readerOnDeploymentSubscription) {
  name: 'reader-${resourceToken}-${subscription().subscriptionId}'
  params: { principalId: identity.outputs.principalId }
}

module readerElsewhere 'reader/subscription-reader.bicep' = [
  for id in readerElsewhereIds: {
    name: 'reader-${resourceToken}-${id}'
    scope: subscription(id)
    params: { principalId: identity.outputs.principalId }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = app.outputs.name
output AUDITOR_PRINCIPAL_ID string = identity.outputs.principalId
output AUDIT_STORAGE_ACCOUNT string = auditStorage.outputs.name
output AUDIT_VAULT_NAME string = vault.outputs.name
output AUDIT_LOGS_ENDPOINT string = logsEnabled ? logs!.outputs.ingestionEndpoint : ''
output AUDIT_LOGS_RULE_ID string = logsEnabled ? logs!.outputs.ruleImmutableId : ''
// When the app's role on its deployment storage was created: azd's predeploy hook waits until Azure has had time
// to apply it (scripts/azd-predeploy.js), so that the first deploy is not refused (403).
output AUDIT_DEPLOYMENT_ROLE_CREATED_ON string = rbac.outputs.deploymentRoleCreatedOn
output AUDIT_STOPPED_ALERT string = !logsEnabled
  ? 'none (logsEnabled is false)'
  : auditStaleHours > 0
      ? 'after ${auditStaleHours} hours without a committed run'
      : 'disabled: the schedule skips days, and a log search alert watches two days at most'
