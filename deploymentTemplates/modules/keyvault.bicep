// Key Vault in RBAC mode, reachable only through its private endpoint, audit logs to Log Analytics; its SKU,
// purge protection, human access and log depth follow the environment's posture (main.bicep, vaultPosture).
param name string
param location string
param tenantId string = subscription().tenantId
param subnetId string
param privateDnsZoneId string
param workspaceId string
@allowed([
  'standard'
  'premium'
])
@description('premium = HSM-backed keys (prod).')
param skuName string
@description('false only in dev: a purge-protected vault cannot be deleted for 90 days, which dev teardowns need.')
param purgeProtection bool
@description('Entra group given Key Vault Administrator (dev only: broad developer access); empty = no human role.')
param administratorGroupId string = ''
@description('Every log category and the metrics, not just the audit group (prod).')
param fullDiagnostics bool = false
param tags object = {}

var keyVaultAdministrator = '00482a5a-887f-4fb3-b363-3b7fe8e74483'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: {
      family: 'A'
      name: skuName
    }
    enableRbacAuthorization: true
    // The property accepts only true (enabling is irreversible); leaving it out is how it stays off.
    enablePurgeProtection: purgeProtection ? true : null
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

module endpoint 'privateEndpoint.bicep' = {
  name: '${name}-pe'
  params: {
    name: '${name}-pe'
    location: location
    subnetId: subnetId
    serviceId: vault.id
    groupId: 'vault'
    privateDnsZoneId: privateDnsZoneId
    tags: tags
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: fullDiagnostics ? 'allLogs' : 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: fullDiagnostics
      }
    ]
  }
}

resource administrators 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(administratorGroupId)) {
  scope: vault
  name: guid(vault.id, administratorGroupId, keyVaultAdministrator)
  properties: {
    principalId: administratorGroupId
    principalType: 'Group'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultAdministrator)
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
