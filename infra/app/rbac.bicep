// The narrowest role assignments the app needs, each on the one resource it needs it on. No Contributor,
// Owner or User Access Administrator anywhere.
param principalId string
param hostStorageName string
param auditStorageName string
param vaultName string
param applicationInsightsName string
@description('The deploying principal, given read access to the audit tables for a first look; empty: none.')
param userPrincipalId string = ''
@description('What the deploying principal is: azd says so in AZURE_PRINCIPAL_TYPE.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string = 'User'
@description('Let the deploying principal set the webhook secret (rotation).')
param userSecretsOfficer bool = false

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6' // Storage Table Data Reader
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource auditStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: auditStorageName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The host's storage (AzureWebJobsStorage with an identity): Storage Blob Data Owner, as the Functions
// host documents for its timer locks and keys, and the deployment package container it reads.
resource hostBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, principalId, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The audit storage: the run archive and the state lock (leases) in blobs,
resource auditBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditStorage.id, principalId, roles.storageBlobDataContributor)
  scope: auditStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// the findings and runs tables,
resource auditTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditStorage.id, principalId, roles.storageTableDataContributor)
  scope: auditStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// and the audit-runs queue: Contributor, since the trigger updates and re-queues messages.
resource auditQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditStorage.id, principalId, roles.storageQueueDataContributor)
  scope: auditStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The Teams webhook URL, through the Key Vault reference.
resource vaultSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry to Application Insights with Entra authentication (local authentication is off).
resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The deploying principal may read the findings table (the dashboard feed's data) while trying things out.
resource userTableRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(auditStorage.id, userPrincipalId, roles.storageTableDataReader)
  scope: auditStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataReader)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

// Opt-in: the deploying principal may set the webhook secret, so the README's rotation works for it. The
// vault is in RBAC mode: without a data-plane role nobody, its creator included, can write a secret.
resource userVaultSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (userSecretsOfficer && !empty(userPrincipalId)) {
  name: guid(vault.id, userPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

// The deployment package is read with hostBlob: azd's predeploy hook waits on its age (a first deploy before Azure
// applies it is refused with 403, Azure/azure-dev#8026).
output deploymentRoleCreatedOn string = hostBlob.properties.createdOn
