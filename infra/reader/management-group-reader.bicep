// Reader on a management group for the auditor's identity: every subscription under it, now and later.
// az deployment mg create --management-group-id <group> --location <region> \
//   --template-file infra/reader/management-group-reader.bicep --parameters principalId=<AUDITOR_PRINCIPAL_ID>
targetScope = 'managementGroup'

@description('The auditor identity\'s principal (object) id (the AUDITOR_PRINCIPAL_ID output of main.bicep).')
param principalId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, reader)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
