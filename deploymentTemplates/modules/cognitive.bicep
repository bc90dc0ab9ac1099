// An Azure AI services account (Speech, Language or OpenAI): Entra ID only, private endpoint only.
param name string
param location string
@allowed([
  'SpeechServices'
  'TextAnalytics'
  'OpenAI'
])
param kind string
param skuName string = 'S0'
param subnetId string
@description('Region of the private endpoint: the VNet\'s region, which may differ from the account\'s.')
param endpointLocation string = location
param privateDnsZoneId string
@description('Model deployments (OpenAI only): [{ name, model, version, capacity }].')
param deployments array = []
param tags object = {}

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  kind: kind
  tags: tags
  sku: {
    name: skuName
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name // required for Entra ID tokens and private endpoints
    disableLocalAuth: true // no keys: callers use their managed identity
    publicNetworkAccess: 'Disabled'
    restrictOutboundNetworkAccess: true
    allowedFqdnList: []
    networkAcls: {
      defaultAction: 'Deny'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

@batchSize(1)
resource modelDeployments 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = [for d in deployments: {
  parent: account
  name: d.name
  sku: {
    name: 'Standard'
    capacity: d.capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: d.model
      version: d.version
    }
    raiPolicyName: 'Microsoft.DefaultV2'
  }
}]

module endpoint 'privateEndpoint.bicep' = {
  name: '${name}-pe'
  params: {
    name: '${name}-pe'
    location: endpointLocation
    subnetId: subnetId
    serviceId: account.id
    groupId: 'account'
    privateDnsZoneId: privateDnsZoneId
    tags: tags
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.endpoint
