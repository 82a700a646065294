// Private endpoints for the auditor's storage accounts and Key Vault, each with its private DNS zone linked
// to the VNet: with public network access disabled, the auditor passes the isolation it audits.
param location string
param tags object
param virtualNetworkId string
param subnetId string
@description('[{ name, resourceId, groupId, zone }]')
param endpoints array

var zones = union(map(endpoints, e => e.zone), [])

module dnsZones 'br/public:avm/res/network/private-dns-zone:0.7.1' = [
  for zone in zones: {
    name: 'zone-${uniqueString(zone)}'
    params: {
      name: zone
      location: 'global'
      tags: tags
      virtualNetworkLinks: [
        {
          name: 'link-${uniqueString(zone, virtualNetworkId)}'
          virtualNetworkResourceId: virtualNetworkId
          registrationEnabled: false
        }
      ]
    }
  }
]

module privateEndpoints 'br/public:avm/res/network/private-endpoint:0.11.0' = [
  for (endpoint, i) in endpoints: {
    name: 'pe-${endpoint.name}'
    params: {
      name: 'pe-${endpoint.name}'
      location: location
      tags: tags
      subnetResourceId: subnetId
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: { privateLinkServiceId: endpoint.resourceId, groupIds: [endpoint.groupId] }
        }
      ]
      privateDnsZoneGroup: {
        privateDnsZoneGroupConfigs: [
          { privateDnsZoneResourceId: dnsZones[indexOf(zones, endpoint.zone)].outputs.resourceId }
        ]
      }
    }
  }
]
