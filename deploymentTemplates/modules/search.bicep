// Azure AI Search for the knowledge index: Entra ID only, private endpoint only.
param name string
param location string
param skuName string = 'basic'
param replicaCount int = 1
param semanticSearch string = 'disabled'
param subnetId string
param privateDnsZoneId string
param tags object = {}

resource search 'Microsoft.Search/searchServices@2023-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    replicaCount: replicaCount
    partitionCount: 1
    hostingMode: 'default'
    publicNetworkAccess: 'disabled'
    disableLocalAuth: true
    semanticSearch: semanticSearch
    networkRuleSet: {
      ipRules: []
    }
  }
}

module endpoint 'privateEndpoint.bicep' = {
  name: '${name}-pe'
  params: {
    name: '${name}-pe'
    location: location
    subnetId: subnetId
    serviceId: search.id
    groupId: 'searchService'
    privateDnsZoneId: privateDnsZoneId
    tags: tags
  }
}

output id string = search.id
output name string = search.name
output endpoint string = 'https://${search.name}.search.windows.net'
