// The auditor's own network: a subnet for private endpoints, and one delegated to Microsoft.App/environments
// for the Flex Consumption app's VNet integration (the Microsoft.App provider must be registered).
param name string
param location string
param tags object

module virtualNetwork 'br/public:avm/res/network/virtual-network:0.6.1' = {
  name: 'virtualNetwork'
  params: {
    name: name
    location: location
    tags: tags
    addressPrefixes: ['10.0.0.0/16']
    subnets: [
      {
        name: 'private-endpoints'
        addressPrefix: '10.0.1.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
      }
      {
        name: 'app'
        addressPrefix: '10.0.2.0/24'
        delegation: 'Microsoft.App/environments'
      }
    ]
  }
}

output id string = virtualNetwork.outputs.resourceId
output privateEndpointSubnetId string = '${virtualNetwork.outputs.resourceId}/subnets/private-endpoints'
output appSubnetId string = '${virtualNetwork.outputs.resourceId}/subnets/app'
