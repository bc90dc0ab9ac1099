// API Management in front of the bank's CRM; the bot calls it with a subscription key kept in Key Vault.
param name string
param location string
param publisherEmail string
param publisherName string = 'Contoso Bank'
@allowed([
  'Developer'
  'Basic'
  'Standard'
  'Premium'
])
param skuName string = 'Developer'
param crmBackendUrl string
param tags object = {}

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    capacity: 1
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
    customProperties: {
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168': 'False'
    }
  }
}

resource crmApi 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: 'crm'
  properties: {
    displayName: 'Contoso CRM'
    path: 'crm'
    protocols: [
      'https'
    ]
    serviceUrl: crmBackendUrl
    subscriptionRequired: true
  }
}

resource botProduct 'Microsoft.ApiManagement/service/products@2023-05-01-preview' = {
  parent: apim
  name: 'voicebot'
  properties: {
    displayName: 'Voicebot'
    subscriptionRequired: true
    approvalRequired: true
    state: 'published'
  }
}

resource productApi 'Microsoft.ApiManagement/service/products/apis@2023-05-01-preview' = {
  parent: botProduct
  name: crmApi.name
}

resource botSubscription 'Microsoft.ApiManagement/service/subscriptions@2023-05-01-preview' = {
  parent: apim
  name: 'voicebot'
  properties: {
    displayName: 'Voicebot'
    scope: botProduct.id
    state: 'active'
    allowTracing: false
  }
}

output id string = apim.id
output name string = apim.name
output crmBaseUrl string = '${apim.properties.gatewayUrl}/crm'
output subscriptionName string = botSubscription.name
