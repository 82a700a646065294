// The Function App on Flex Consumption, Node 22, with every app setting the code reads (src/settings.ts)
// and the platform's own; storage is reached only through the user-assigned identity.
param name string
param location string
param tags object
param planId string
param identityId string
param identityClientId string
param hostStorageName string
param auditStorageName string
param deploymentContainerName string
param applicationInsightsName string
param vaultName string
@description('Empty: no webhook was given, and TEAMS_WEBHOOK_URL stays empty (no digest).')
param webhookSecretName string
param virtualNetworkSubnetId string
param corsAllowedOrigin string
param auditSchedule string
param auditManagementGroups string
param auditSubscriptions string
param auditExcludeSubscriptions string
param auditSource string
param auditProfile string
param auditPolicy string
param teamsMode string
param dashboardUrl string
@description('The data collection rule\'s logs ingestion endpoint and immutable id; empty: no Log Analytics.')
param logsEndpoint string = ''
param logsRuleId string = ''
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@description('The worker\'s V8 old-space bound (MB): main.bicep derives it from instanceMemoryMB.')
param workerHeapMB int = instanceMemoryMB / 2
// Flex Consumption takes 1 to 1,000 and applies the limit to each per-function scale group (Learn, "Event-driven
// scaling in Azure Functions", Limit scale-out). A run holds the state lease, so a second worker instance only
// re-queues waiting copies, and the HTTP functions serve a dashboard; 4 leaves the HTTP group room for a burst
// while bounding what the auditor can cost and ask of ARM.
@minValue(1)
@maxValue(1000)
@description('Most instances of each per-function scale group (HTTP, the queue worker, the timer).')
param maximumInstanceCount int = 4

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource auditStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: auditStorageName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var settings = {
  // The host: its storage through the identity (a user-assigned identity needs __credential and __clientId).
  // Blob only: the host keeps the timer's locks and its keys there; queues and tables of AzureWebJobsStorage
  // serve Durable Functions and other triggers this app does not use (the Flex quickstart's enableQueue and
  // enableTable), so neither a role nor a private endpoint is given for them.
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The audit storage: the same settings serve the queue trigger (connection AUDIT_STORAGE) and the code.
  AUDIT_STORAGE__blobServiceUri: auditStorage.properties.primaryEndpoints.blob
  AUDIT_STORAGE__tableServiceUri: auditStorage.properties.primaryEndpoints.table
  AUDIT_STORAGE__queueServiceUri: auditStorage.properties.primaryEndpoints.queue
  AUDIT_STORAGE__credential: 'managedidentity'
  AUDIT_STORAGE__clientId: identityClientId
  // The identity the audit reads ARM with.
  AZURE_CLIENT_ID: identityClientId
  AUDIT_SCHEDULE: auditSchedule
  AUDIT_SCOPE_MANAGEMENT_GROUPS: auditManagementGroups
  AUDIT_SCOPE_SUBSCRIPTIONS: auditSubscriptions
  AUDIT_EXCLUDE_SUBSCRIPTIONS: auditExcludeSubscriptions
  AUDIT_SOURCE: auditSource
  AUDIT_PROFILE: auditProfile
  AUDIT_POLICY: auditPolicy
  AUDIT_TEAMS_MODE: teamsMode
  AUDIT_DASHBOARD_URL: dashboardUrl
  AUDIT_LOGS_ENDPOINT: logsEndpoint
  AUDIT_LOGS_RULE_ID: logsRuleId
  // The Node worker's arguments (Functions' Node.js reference): a heap bound inside the instance, which V8 would
  // otherwise size from the machine, not the instance.
  languageWorkers__node__arguments: '--max-old-space-size=${workerHeapMB}'
  // A Key Vault reference, resolved with keyVaultReferenceIdentity: the URL never sits in app settings.
  TEAMS_WEBHOOK_URL: empty(webhookSecretName)
    ? ''
    : '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${webhookSecretName})'
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'site'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'function' })
    serverFarmResourceId: planId
    managedIdentities: { systemAssigned: false, userAssignedResourceIds: [identityId] }
    keyVaultAccessIdentityResourceId: identityId
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { instanceMemoryMB: instanceMemoryMB, maximumInstanceCount: maximumInstanceCount }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: { allowedOrigins: empty(corsAllowedOrigin) ? [] : [corsAllowedOrigin] }
    }
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    appSettingsKeyValuePairs: settings
  }
}

output name string = site.outputs.name
