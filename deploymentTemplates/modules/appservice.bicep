// Linux App Service (Python 3.11) running the bot, with a system-assigned identity, VNet integration and
// Key Vault references for every secret setting.
param namePrefix string
@description('Globally unique site name (<name>.azurewebsites.net).')
param siteName string
param location string
param skuName string = 'P1v3'
param zoneRedundant bool = false
param appSubnetId string
param appSettings object
@description('A user-assigned identity to attach besides the system one (the bot\'s Bot Framework identity); empty = none.')
param userAssignedIdentityId string = ''
@description('Log Analytics workspace for the HTTP access logs (the authentication-failure alert reads them).')
param workspaceId string
param tags object = {}

var identity = empty(userAssignedIdentityId) ? {
  type: 'SystemAssigned'
} : {
  type: 'SystemAssigned, UserAssigned'
  userAssignedIdentities: {
    '${userAssignedIdentityId}': {}
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${namePrefix}-plan'
  location: location
  kind: 'linux'
  tags: tags
  sku: {
    name: skuName
    capacity: zoneRedundant ? 3 : 1
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: siteName
  location: location
  kind: 'app,linux'
  tags: tags
  identity: identity
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: appSubnetId
    vnetRouteAllEnabled: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    publicNetworkAccess: 'Enabled' // ACS, Event Grid and the Bot Service must reach the webhooks
    siteConfig: {
      linuxFxVersion: 'PYTHON|3.11'
      appCommandLine: 'python app.py'
      alwaysOn: true
      webSocketsEnabled: true
      http20Enabled: true
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      remoteDebuggingEnabled: false
      healthCheckPath: '/healthz'
      detailedErrorLoggingEnabled: true
      httpLoggingEnabled: true
      requestTracingEnabled: true
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
  }
}

resource basicPublishingFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource basicPublishingScm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Access logs (status codes, paths; query strings are not in the bot's own logs) for the 401/403 burst alert.
resource httpLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'http-logs-to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'AppServiceHTTPLogs'
        enabled: true
      }
      {
        category: 'AppServiceAuditLogs'
        enabled: true
      }
    ]
  }
}

output planId string = plan.id
output name string = site.name
output id string = site.id
output principalId string = site.identity.principalId
output hostName string = site.properties.defaultHostName
