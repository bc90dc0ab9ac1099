// API Management in front of the bank's CRM: the API is imported from the contract the bot's HttpCrm speaks
// (services/crm/openapi.yaml), so every operation the bot calls exists and nothing else does.
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
@allowed([
  'subscription_key'
  'entra'
])
@description('How the bot authenticates to the CRM API (the same value goes to CRM_HTTP__AUTH).')
param crmAuth string = 'subscription_key'

var entra = crmAuth == 'entra'

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

resource backend 'Microsoft.ApiManagement/service/backends@2023-05-01-preview' = {
  parent: apim
  name: 'crm-backend'
  properties: {
    description: 'The bank CRM behind the voicebot API'
    protocol: 'http'
    url: crmBackendUrl
    tls: {
      validateCertificateChain: true
      validateCertificateName: true
    }
  }
}

// The operations come from the contract file itself: a path the bot calls and the contract lacks would be
// APIM's 404 OperationNotFound, which HttpCrm would read as "customer not found".
resource crmApi 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: 'crm'
  properties: {
    displayName: 'Contoso CRM'
    path: 'crm'
    protocols: [
      'https'
    ]
    format: 'openapi'
    value: loadTextContent('../../services/crm/openapi.yaml')
    serviceUrl: crmBackendUrl
    subscriptionRequired: !entra
  }
}
// The API's policy (authentication, rate limit, backend) is apimPolicy.bicep, applied once the bot's identity exists.

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
