// Secret rotation: Key Vault's near-expiry events (Event Grid system topic on the vault) go to the rotation
// function (deploymentTemplates/rotation/), which rotates the CRM's API Management subscription key. The function
// runs on the bot's App Service plan (same VNet integration, so it reaches the private vault) as its own identity.
param namePrefix string
param location string
param unique string
param planId string
param appSubnetId string
param vaultName string
param apimName string
param apimSubscriptionName string
param endpointSubnetId string
param blobDnsZoneId string
@description('Create the Event Grid subscription: true once the function code is published (the destination must exist).')
param subscribeEvents bool = false
param tags object = {}

var roles = {
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  apiManagementServiceContributor: '312a565d-c81f-4fd8-895a-4e21e48d571c'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
}
var functionName = 'rotate_crm_key' // @app.function_name in rotation/function_app.py
var storageName = take(replace('${namePrefix}rot${unique}', '-', ''), 24)

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource crmSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: 'crm-subscription-key'
}

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: apimName
}

resource apimSubscription 'Microsoft.ApiManagement/service/subscriptions@2023-05-01-preview' existing = {
  parent: apim
  name: apimSubscriptionName
}

// The Functions host's own storage (leases, keys): Entra ID only, private endpoint only.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GZRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

module blobEndpoint 'privateEndpoint.bicep' = {
  name: '${storageName}-blob-pe'
  params: {
    name: '${storageName}-blob-pe'
    location: location
    subnetId: endpointSubnetId
    serviceId: storage.id
    groupId: 'blob'
    privateDnsZoneId: blobDnsZoneId
    tags: tags
  }
}

resource function 'Microsoft.Web/sites@2023-12-01' = {
  name: '${namePrefix}-rotation-${unique}'
  location: location
  kind: 'functionapp,linux'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: appSubnetId
    vnetRouteAllEnabled: true
    publicNetworkAccess: 'Enabled' // Event Grid delivers to the function over the public endpoint
    siteConfig: {
      linuxFxVersion: 'PYTHON|3.11'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      remoteDebuggingEnabled: false
      appSettings: [
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'python'
        }
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'ROTATION_APIM_SUBSCRIPTION_ID'
          value: apimSubscription.id
        }
        {
          name: 'ROTATION_SECRET_NAME'
          value: crmSecret.name
        }
      ]
    }
  }
}

resource functionFtp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: function
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource functionScm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: function
  name: 'scm'
  properties: {
    allow: false
  }
}

// Least privilege: read and write the one secret, rotate the one APIM subscription's keys, run its own host.
resource secretOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: crmSecret
  name: guid(crmSecret.id, function.id, roles.keyVaultSecretsOfficer)
  properties: {
    principalId: function.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource keyRotator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: apimSubscription
  name: guid(apimSubscription.id, function.id, roles.apiManagementServiceContributor)
  properties: {
    principalId: function.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.apiManagementServiceContributor)
  }
}

resource hostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, function.id, roles.storageBlobDataOwner)
  properties: {
    principalId: function.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource vaultEvents 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${namePrefix}-kv-events'
  location: location
  tags: tags
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

// Every secret's near-expiry reaches the function: it rotates the CRM key and logs the others for on-call.
resource nearExpiry 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribeEvents) {
  parent: vaultEvents
  name: 'secret-near-expiry'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${function.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
        'Microsoft.KeyVault.SecretExpired'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output functionAppName string = function.name
output systemTopicName string = vaultEvents.name
