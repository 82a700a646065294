// A Key Vault in RBAC mode that holds the Teams webhook URL (its `sig` is the key); no access policies.
param name string
param location string
param tags object
param publicNetworkAccess string
param secretName string
@secure()
param secretValue string
@description('Purge protection: a deleted vault, and its name, are kept for the whole retention period.')
param purgeProtection bool
@description('Days a deleted vault is kept: Key Vault refuses to change it on an existing vault.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int = 7

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // Soft delete holds a deleted vault's name for these days (7, the least, unless the vault was made with
    // another), or until it is purged; purge protection forbids the purge. Key Vault refuses `false` here once
    // set, so off is "not given".
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: publicNetworkAccess
    networkAcls: publicNetworkAccess == 'Disabled' ? { defaultAction: 'Deny', bypass: 'None' } : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource webhook 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(secretValue)) {
  parent: vault
  name: secretName
  properties: {
    value: secretValue
    contentType: 'Teams Workflows webhook URL'
  }
}

output id string = vault.id
output name string = vault.name
