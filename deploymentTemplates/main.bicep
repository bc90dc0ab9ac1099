// Contoso voicebot: the whole Azure architecture for one environment (dev, staging or prod).
// Deploy: az deployment group create -g <rg> -f main.bicep -p parameters/<env>.parameters.json (docs/deployment.md).
targetScope = 'resourceGroup'

@allowed([
  'dev'
  'staging'
  'prod'
])
param environmentName string
param location string = resourceGroup().location
@description('Short lowercase prefix for resource names (3-10 characters).')
@minLength(3)
@maxLength(10)
param prefix string = 'contosovb'
param alertEmail string
param publisherEmail string
@description('Base URL of the bank CRM that API Management publishes.')
param crmBackendUrl string
param openAiLocation string = location
param chatModel string = 'gpt-4o-mini'
param chatModelVersion string = '2024-07-18'
param embeddingModel string = 'text-embedding-3-small'
param embeddingModelVersion string = '1'
param searchReplicaCount int = 1
param appServiceSku string = 'P1v3'
param apimSku string = 'Developer'
param zoneRedundant bool = false
param indexWriterPrincipalId string = ''
@secure()
param agentConsolePassword string
@secure()
@description('Shared secret Event Grid sends to /api/calls/incoming (from the bootstrap vault).')
param eventGridSecret string
@description('Deployment time; secrets written by this deployment expire 180 days later.')
param deployedAt string = utcNow()

var namePrefix = '${prefix}-${environmentName}'
var secretsExpireAt = dateTimeToEpoch(dateTimeAdd(deployedAt, 'P180D'))
var unique = take(uniqueString(resourceGroup().id, environmentName), 6)
var tags = {
  application: 'contoso-voicebot'
  environment: environmentName
}
// One vault per environment: a dev deployment can never read a prod secret.
var keyVaultName = take('${prefix}-${environmentName}-kv-${unique}', 24)
var siteName = '${namePrefix}-app-${unique}'

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    namePrefix: namePrefix
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    location: location
    alertEmail: alertEmail
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.keyVaultZoneId
    workspaceId: monitoring.outputs.workspaceId
    tags: tags
  }
}

module speech 'modules/cognitive.bicep' = {
  name: 'speech'
  params: {
    name: '${namePrefix}-speech-${unique}'
    location: location
    kind: 'SpeechServices'
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.cognitiveZoneId
    tags: tags
  }
}

module language 'modules/cognitive.bicep' = {
  name: 'language'
  params: {
    name: '${namePrefix}-lang-${unique}'
    location: location
    kind: 'TextAnalytics'
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.cognitiveZoneId
    tags: tags
  }
}

module translator 'modules/cognitive.bicep' = {
  name: 'translator'
  params: {
    name: '${namePrefix}-translator-${unique}'
    location: location
    kind: 'TextTranslation'
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.cognitiveZoneId
    tags: tags
  }
}

module openAi 'modules/cognitive.bicep' = {
  name: 'openai'
  params: {
    name: '${namePrefix}-openai-${unique}'
    location: openAiLocation
    endpointLocation: location
    kind: 'OpenAI'
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.openAiZoneId
    deployments: [
      {
        name: chatModel
        model: chatModel
        version: chatModelVersion
        capacity: 30
      }
      {
        name: embeddingModel
        model: embeddingModel
        version: embeddingModelVersion
        capacity: 30
      }
    ]
    tags: tags
  }
}

module search 'modules/search.bicep' = {
  name: 'search'
  params: {
    name: '${namePrefix}-search-${unique}'
    location: location
    replicaCount: searchReplicaCount
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.searchZoneId
    tags: tags
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: '${namePrefix}-cosmos-${unique}'
    location: location
    zoneRedundant: zoneRedundant
    subnetId: network.outputs.endpointSubnetId
    privateDnsZoneId: network.outputs.cosmosZoneId
    tags: tags
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    name: '${namePrefix}-acs-${unique}'
    tags: tags
  }
}

module apim 'modules/apim.bicep' = {
  name: 'apim'
  params: {
    name: '${namePrefix}-apim-${unique}'
    location: location
    publisherEmail: publisherEmail
    skuName: apimSku
    crmBackendUrl: crmBackendUrl
    tags: tags
  }
}

resource acsExisting 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: '${namePrefix}-acs-${unique}'
}

resource apimExisting 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: '${namePrefix}-apim-${unique}'
}

resource apimSubscription 'Microsoft.ApiManagement/service/subscriptions@2023-05-01-preview' existing = {
  parent: apimExisting
  name: 'voicebot'
}

module secrets 'modules/keyVaultSecrets.bicep' = {
  name: 'keyvault-secrets'
  dependsOn: [
    communication
    apim
  ]
  params: {
    vaultName: keyVault.outputs.name
    acsConnectionString: acsExisting.listKeys().primaryConnectionString
    eventGridSecret: eventGridSecret
    agentConsolePassword: agentConsolePassword
    crmSubscriptionKey: apimSubscription.listSecrets().primaryKey
    expiresAt: secretsExpireAt
  }
}

// Settings read by config.py (nested sections use "__"). Secrets are Key Vault references that
// App Service resolves with the site's managed identity; nothing secret is in this template's output.
module app 'modules/appservice.bicep' = {
  name: 'appservice'
  params: {
    namePrefix: namePrefix
    siteName: siteName
    location: location
    skuName: appServiceSku
    zoneRedundant: zoneRedundant
    appSubnetId: network.outputs.appSubnetId
    tags: tags
    appSettings: {
      PORT: '8000'
      WEBSITES_PORT: '8000'
      SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
      DATA_DIR: '/home/data'
      RECOGNIZER: 'clu'
      STT: 'azure'
      TTS: 'azure'
      KNOWLEDGE: 'azure'
      GENERATOR: 'azure_openai'
      SUMMARIZER: 'azure_openai'
      STORAGE: 'cosmos'
      CRM: 'http'
      CLU__ENDPOINT: language.outputs.endpoint
      AZURE_SPEECH__REGION: location
      AZURE_SPEECH__ENDPOINT: speech.outputs.endpoint
      TRANSLATOR__ENDPOINT: translator.outputs.endpoint
      AZURE_OPENAI__ENDPOINT: openAi.outputs.endpoint
      AZURE_OPENAI__CHAT_DEPLOYMENT: chatModel
      AZURE_OPENAI__EMBEDDING_DEPLOYMENT: embeddingModel
      AZURE_SEARCH__ENDPOINT: search.outputs.endpoint
      COSMOS__ENDPOINT: cosmos.outputs.endpoint
      COSMOS__DATABASE: cosmos.outputs.databaseName
      COSMOS__CONTAINER: cosmos.outputs.containerName
      ACS__ENDPOINT: communication.outputs.endpoint
      ACS__PUBLIC_BASE_URL: 'https://${siteName}.azurewebsites.net'
      ACS__CONNECTION_STRING: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.acsConnectionStringUri})'
      ACS__EVENT_GRID_SECRET: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.eventGridSecretUri})'
      HANDOFF__CONSOLE_PASSWORD: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.agentConsolePasswordUri})'
      CRM_HTTP__BASE_URL: apim.outputs.crmBaseUrl
      CRM_HTTP__SUBSCRIPTION_KEY: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.crmSubscriptionKeyUri})'
      TELEMETRY__APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
      TELEMETRY__ENTRA_AUTH: 'true' // Application Insights has local auth disabled
      TELEMETRY__LOG_LEVEL: environmentName == 'prod' ? 'INFO' : 'DEBUG'
    }
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: app.outputs.principalId
    keyVaultName: keyVault.outputs.name
    searchName: search.outputs.name
    openAiName: openAi.outputs.name
    speechName: speech.outputs.name
    languageName: language.outputs.name
    translatorName: translator.outputs.name
    cosmosName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
    cosmosContainerName: cosmos.outputs.containerName
    appInsightsName: monitoring.outputs.appInsightsName
    indexWriterPrincipalId: indexWriterPrincipalId
  }
}

output appName string = app.outputs.name
output appHostName string = app.outputs.hostName
output keyVaultName string = keyVault.outputs.name
output incomingCallWebhook string = 'https://${app.outputs.hostName}/api/calls/incoming'
