// Least-privilege data-plane roles for the bot's managed identity (the role matrix is docs/roles.md).
param principalId string
param keyVaultName string
param searchName string
param openAiName string
param speechName string
param languageName string
param cosmosName string
param cosmosDatabaseName string
param cosmosContainerName string
param appInsightsName string
param communicationName string
@description('Optional: the content pipeline identity (knowledge ingest, CLU import/train/deploy; runs inside the VNet); empty = none.')
param indexWriterPrincipalId string = ''

var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  searchIndexDataReader: '1407120a-92aa-4202-b7e9-c0e197c71c8f'
  searchIndexDataContributor: '8ebe5a00-799e-43f5-93ac-243d3dce84a7'
  searchServiceContributor: '7ca78c08-252a-4471-8644-bb5ff32d4ba0'
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  cognitiveServicesLanguageOwner: 'f07febfe-79bc-46b1-8b37-790e26e6e498'
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908'
  cognitiveServicesSpeechUser: 'f2dc8367-1007-4938-bd23-fe263f013447'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
// Cosmos DB data-plane role (not an Azure RBAC role): Built-in Data Contributor.
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}
resource search 'Microsoft.Search/searchServices@2023-11-01' existing = {
  name: searchName
}
resource openAi 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openAiName
}
resource speech 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: speechName
}
resource language 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: languageName
}
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosName
}
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}
resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationName
}

resource kvSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource searchReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: search
  name: guid(search.id, principalId, roles.searchIndexDataReader)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchIndexDataReader)
  }
}

resource searchWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(indexWriterPrincipalId)) {
  scope: search
  name: guid(search.id, indexWriterPrincipalId, roles.searchIndexDataContributor)
  properties: {
    principalId: indexWriterPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchIndexDataContributor)
  }
}

// create_or_update_index is a service (control-plane) operation the data roles do not cover: the ingest
// identity only, so a compromised bot cannot redefine or drop the index.
resource searchIndexManager 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(indexWriterPrincipalId)) {
  scope: search
  name: guid(search.id, indexWriterPrincipalId, roles.searchServiceContributor)
  properties: {
    principalId: indexWriterPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.searchServiceContributor)
  }
}

// Ingest embeds the documents with the same deployment the bot queries with.
resource indexWriterEmbeddings 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(indexWriterPrincipalId)) {
  scope: openAi
  name: guid(openAi.id, indexWriterPrincipalId, roles.cognitiveServicesOpenAIUser)
  properties: {
    principalId: indexWriterPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesOpenAIUser)
  }
}

// CLU authoring (import, train, deploy the project file) is the pipeline's, never the bot's.
resource cluAuthor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(indexWriterPrincipalId)) {
  scope: language
  name: guid(language.id, indexWriterPrincipalId, roles.cognitiveServicesLanguageOwner)
  properties: {
    principalId: indexWriterPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesLanguageOwner)
  }
}

// Call Automation with Entra ID (ACS__ENDPOINT + managed identity, no access key): ACS has no narrower
// data-plane role, so Contributor, scoped to this one resource.
resource callAutomation 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: communication
  name: guid(communication.id, principalId, roles.contributor)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.contributor)
  }
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: openAi
  name: guid(openAi.id, principalId, roles.cognitiveServicesOpenAIUser)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesOpenAIUser)
  }
}

resource speechUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: speech
  name: guid(speech.id, principalId, roles.cognitiveServicesSpeechUser)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesSpeechUser)
  }
}

resource languageUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: language
  name: guid(language.id, principalId, roles.cognitiveServicesUser)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesUser)
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// Scoped to the one state container, not the account: the bot reads and writes conversation state there.
resource cosmosState 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, principalId, cosmosDataContributor)
  properties: {
    principalId: principalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    scope: '${cosmos.id}/dbs/${cosmosDatabaseName}/colls/${cosmosContainerName}'
  }
}
