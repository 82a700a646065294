// Reader on one subscription for the auditor's identity: what it audits, and nothing it could change.
targetScope = 'subscription'

@description('The auditor identity\'s principal (object) id.')
param principalId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
