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
@description('The contact centre queue (E.164) the bot transfers callers to.')
param agentPhoneNumber string
@description('Addresses or CIDR ranges of the reverse proxies in front of the bot whose X-Forwarded-For is believed (SECURITY__TRUSTED_PROXIES): the address App Service\'s front end appears as, or an Application Gateway\'s subnet.')
param trustedProxies array = []
@description('Optional Teams agent instead: 8:orgid:<object id> (or 8:acs:<id> for an ACS user); empty = the phone queue.')
param agentTeamsId string = ''
param openAiLocation string = location
param chatModel string = 'gpt-4o-mini'
param chatModelVersion string = '2024-07-18'
param embeddingModel string = 'text-embedding-3-small'
param embeddingModelVersion string = '1'
param searchReplicaCount int = 1
param appServiceSku string = 'P1v3'
param apimSku string = 'Developer'
param zoneRedundant bool = false
@description('The content pipeline identity: knowledge ingest and CLU import/train/deploy, run inside the VNet; empty = none.')
param indexWriterPrincipalId string = ''
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
@description('Bot Framework identity: a user-assigned managed identity (created here) or a single-tenant app registration.')
param botAppType string = 'UserAssignedMSI'
@description('SingleTenant only: the app registration\'s client id.')
param botAppId string = ''
@secure()
@description('SingleTenant only: the app registration\'s client secret (from the bootstrap vault).')
param botAppPassword string = ''
@description('Connect the Bot Service telephony channel (preview, closed to new customers; ACS Call Automation is the main path).')
param enableTelephonyChannel bool = false
@description('Telephony channel: the ACS number (E.164) it answers.')
param telephonyPhoneNumber string = ''
@secure()
@description('Telephony channel: a key of a key-enabled Speech resource (the channel cannot use a managed identity).')
param telephonySpeechKey string = ''
@allowed([
  'subscription_key'
  'entra'
])
@description('How the bot authenticates to the CRM API in API Management (CRM_HTTP__AUTH).')
param crmAuth string = 'subscription_key'
@description('crmAuth=entra: client id of the CRM API\'s app registration.')
param crmApiAppId string = ''
@description('dev only: Entra group of the developers, Key Vault Administrator on the dev vault.')
param developerGroupId string = ''
@description('Set to true on the deployment after the rotation function\'s code is published (docs/deployment.md).')
param rotationFunctionPublished bool = false
@secure()
param agentConsolePassword string
@secure()
@description('Shared secret Event Grid sends to /api/calls/incoming (from the bootstrap vault).')
param eventGridSecret string
@secure()
@description('HMAC key naming the PIN-lockout counters, so no customer or phone number is stored (from the bootstrap vault).')
param pinLockoutSubjectKey string
@description('Deployment time; secrets written by this deployment expire 180 days later.')
param deployedAt string = utcNow()

var namePrefix = '${prefix}-${environmentName}'
var secretsExpireAt = dateTimeToEpoch(dateTimeAdd(deployedAt, 'P180D'))
var keysExpireAt = dateTimeToEpoch(dateTimeAdd(deployedAt, 'P1Y'))
// Staging and prod run the bot in production mode: it refuses to start without Bot Framework credentials,
// and the browser softphone (anyone can claim any caller number there) is off.
var productionMode = environmentName != 'dev'
// The three-vault posture (docs/roles.md): dev is a sandbox developers may administer; staging is reached only
// by the deployment and the bot; prod adds HSM-backed keys (premium), customer-managed keys and full diagnostics.
// No environment grants standing human access except dev.
var vaultPosture = {
  dev: {
    sku: 'standard'
    purgeProtection: false
    developerAccess: true
    fullDiagnostics: false
    customerManagedKeys: false
  }
  staging: {
    sku: 'standard'
    purgeProtection: true
    developerAccess: false
    fullDiagnostics: false
    customerManagedKeys: false
  }
  prod: {
    sku: 'premium'
    purgeProtection: true
    developerAccess: false
    fullDiagnostics: true
    customerManagedKeys: true
  }
}
var posture = vaultPosture[environmentName]
var userAssignedBot = botAppType == 'UserAssignedMSI'
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
    skuName: posture.sku
    purgeProtection: posture.purgeProtection
    administratorGroupId: posture.developerAccess ? developerGroupId : ''
    fullDiagnostics: posture.fullDiagnostics
    tags: tags
  }
}

module cmk 'modules/cmk.bicep' = if (posture.customerManagedKeys) {
  name: 'customer-managed-keys'
  params: {
    namePrefix: namePrefix
    location: location
    vaultName: keyVault.outputs.name
    keysExpireAt: keysExpireAt
    tags: tags
  }
}

module logsCluster 'modules/logsCluster.bicep' = if (posture.customerManagedKeys) {
  name: 'logs-cluster'
  params: {
    namePrefix: namePrefix
    location: location
    workspaceName: monitoring.outputs.workspaceName
    identityId: posture.customerManagedKeys ? cmk.outputs.identityId : ''
    vaultUri: posture.customerManagedKeys ? cmk.outputs.vaultUri : ''
    keyName: posture.customerManagedKeys ? cmk.outputs.logsKeyName : ''
    zoneRedundant: zoneRedundant
    tags: tags
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: namePrefix
    location: location
    appInsightsId: monitoring.outputs.appInsightsId
    workspaceId: monitoring.outputs.workspaceId
    actionGroupId: monitoring.outputs.actionGroupId
    trustedSecretReaderRanges: [
      network.outputs.appSubnetPrefix
    ]
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
    cmkKeyUri: posture.customerManagedKeys ? cmk.outputs.cosmosKeyUri : ''
    cmkIdentityId: posture.customerManagedKeys ? cmk.outputs.identityId : ''
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
    crmAuth: crmAuth
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

// The bot's Bot Framework identity when it is a managed identity: App Service attaches it, the Bot resource names it.
resource botIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (userAssignedBot) {
  name: '${namePrefix}-bot-id'
  location: location
  tags: tags
}

var botClientId = userAssignedBot ? botIdentity.properties.clientId : botAppId

module bot 'modules/bot.bicep' = {
  name: 'bot'
  params: {
    name: '${namePrefix}-bot-${unique}'
    messagingEndpoint: 'https://${siteName}.azurewebsites.net/api/messages'
    appType: botAppType
    appId: botClientId
    msiResourceId: userAssignedBot ? botIdentity.id : ''
    enableTelephonyChannel: enableTelephonyChannel
    telephonyPhoneNumber: telephonyPhoneNumber
    acsResourceId: communication.outputs.id
    acsEndpoint: communication.outputs.endpoint
    acsKey: enableTelephonyChannel ? acsExisting.listKeys().primaryKey : ''
    speechResourceId: speech.outputs.id
    speechRegion: location
    telephonySpeechKey: telephonySpeechKey
    tags: tags
  }
}

// No ACS key here: the bot reaches Call Automation with its managed identity (ACS__ENDPOINT + rbac.bicep).
module secrets 'modules/keyVaultSecrets.bicep' = {
  name: 'keyvault-secrets'
  dependsOn: [
    apim
  ]
  params: {
    vaultName: keyVault.outputs.name
    eventGridSecret: eventGridSecret
    pinLockoutSubjectKey: pinLockoutSubjectKey
    botAppPassword: userAssignedBot ? '' : botAppPassword
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
    workspaceId: monitoring.outputs.workspaceId
    userAssignedIdentityId: userAssignedBot ? botIdentity.id : ''
    tags: tags
    appSettings: union({
      APP_ENV: productionMode ? 'production' : 'development'
      MicrosoftAppType: botAppType
      MicrosoftAppId: botClientId
      MicrosoftAppTenantId: tenant().tenantId
      VOICE__SOFTPHONE_ENABLED: productionMode ? 'false' : 'true'
      SECURITY__TRUSTED_PROXIES: string(trustedProxies) // a JSON list, as pydantic-settings reads a tuple
      PORT: '8000'
      WEBSITES_PORT: '8000'
      SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
      DATA_DIR: '/home/data'
      RECOGNIZER: 'clu'
      STT: 'azure'
      TTS: 'azure'
      KNOWLEDGE: 'azure'
      KNOWLEDGE_EMBEDDINGS: 'azure_openai' // the index's vectors: ingest and queries must use the same model
      GENERATOR: 'azure_openai'
      SUMMARIZER: 'azure_openai'
      STORAGE: 'cosmos'
      CRM: 'http'
      CLU__ENDPOINT: language.outputs.endpoint
      AZURE_SPEECH__REGION: location
      AZURE_SPEECH__ENDPOINT: speech.outputs.endpoint
      AZURE_OPENAI__ENDPOINT: openAi.outputs.endpoint
      AZURE_OPENAI__CHAT_DEPLOYMENT: chatModel
      AZURE_OPENAI__EMBEDDING_DEPLOYMENT: embeddingModel
      AZURE_SEARCH__ENDPOINT: search.outputs.endpoint
      COSMOS__ENDPOINT: cosmos.outputs.endpoint
      COSMOS__DATABASE: cosmos.outputs.databaseName
      COSMOS__CONTAINER: cosmos.outputs.containerName
      ACS__ENDPOINT: communication.outputs.endpoint
      ACS__RESOURCE_ID: communication.outputs.immutableResourceId // callbacks' JWT audience: unset, every callback is refused
      ACS__PUBLIC_BASE_URL: 'https://${siteName}.azurewebsites.net'
      ACS__EVENT_GRID_SECRET: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.eventGridSecretUri})'
      HANDOFF__AGENT_PHONE_NUMBER: agentPhoneNumber
      HANDOFF__AGENT_TEAMS_ID: agentTeamsId
      PIN_LOCKOUT__SUBJECT_KEY: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.pinLockoutSubjectKeyUri})'
      HANDOFF__CONSOLE_PASSWORD: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.agentConsolePasswordUri})'
      CRM_HTTP__BASE_URL: apim.outputs.crmBaseUrl
      CRM_HTTP__AUTH: crmAuth
      TELEMETRY__APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
      TELEMETRY__ENTRA_AUTH: 'true' // Application Insights has local auth disabled
      TELEMETRY__LOG_LEVEL: environmentName == 'prod' ? 'INFO' : 'DEBUG'
    }, userAssignedBot ? {} : {
      MicrosoftAppPassword: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.botAppPasswordUri})'
    }, crmAuth == 'entra' ? {
      CRM_HTTP__ENTRA_SCOPE: 'api://${crmApiAppId}/.default'
    } : {
      CRM_HTTP__SUBSCRIPTION_KEY: '@Microsoft.KeyVault(SecretUri=${secrets.outputs.crmSubscriptionKeyUri})'
    })
  }
}

// Near-expiry events of the vault's secrets → the rotation function (rotates the CRM subscription key).
module rotation 'modules/rotation.bicep' = {
  name: 'rotation'
  dependsOn: [
    secrets // the CRM key's secret must exist before a role is scoped to it
  ]
  params: {
    namePrefix: namePrefix
    location: location
    unique: unique
    planId: app.outputs.planId
    appSubnetId: network.outputs.appSubnetId
    vaultName: keyVault.outputs.name
    apimName: apim.outputs.name
    apimSubscriptionName: apim.outputs.subscriptionName
    endpointSubnetId: network.outputs.endpointSubnetId
    blobDnsZoneId: network.outputs.blobZoneId
    subscribeEvents: rotationFunctionPublished
    tags: tags
  }
}

// Applied after the site exists: with Entra auth only the bot's own identity may call the CRM API.
module apimPolicy 'modules/apimPolicy.bicep' = {
  name: 'apim-crm-policy'
  params: {
    apimName: apim.outputs.name
    crmAuth: crmAuth
    crmApiAppId: crmApiAppId
    callerPrincipalId: crmAuth == 'entra' ? app.outputs.principalId : ''
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
    cosmosName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
    cosmosContainerName: cosmos.outputs.containerName
    appInsightsName: monitoring.outputs.appInsightsName
    communicationName: communication.outputs.name
    indexWriterPrincipalId: indexWriterPrincipalId
  }
}

output appName string = app.outputs.name
output appHostName string = app.outputs.hostName
output keyVaultName string = keyVault.outputs.name
output botName string = bot.outputs.name
output botAppId string = botClientId
output rotationFunctionName string = rotation.outputs.functionAppName
output incomingCallWebhook string = 'https://${app.outputs.hostName}/api/calls/incoming'
