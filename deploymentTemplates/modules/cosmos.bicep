// Cosmos DB (NoSQL) for conversation state: Entra ID only, private endpoint only, continuous backup.
param name string
param location string
param databaseName string = 'voicebot'
param containerName string = 'state'
param zoneRedundant bool = false
@description('Conversation state expires this long after its last write (data minimisation).')
param stateTtlSeconds int = 604800
param subnetId string
param privateDnsZoneId string
@description('Customer-managed key (prod): versionless Key Vault key URI; empty = Microsoft-managed keys.')
param cmkKeyUri string = ''
@description('The user-assigned identity that may unwrap that key.')
param cmkIdentityId string = ''
param tags object = {}

var cmk = !empty(cmkKeyUri)
var identity = cmk ? {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${cmkIdentityId}': {}
  }
} : {
  type: 'None'
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  kind: 'GlobalDocumentDB'
  tags: tags
  identity: identity
  properties: {
    databaseAccountOfferType: 'Standard'
    keyVaultKeyUri: cmk ? cmkKeyUri : null
    defaultIdentity: cmk ? 'UserAssignedIdentity=${cmkIdentityId}' : null
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: 'Disabled'
    enableMultipleWriteLocations: false
    isVirtualNetworkFilterEnabled: true
    virtualNetworkRules: []
    ipRules: []
    minimalTlsVersion: 'Tls12'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// botbuilder's partitioned Cosmos storage uses /id as the partition key. The container is created
// here because Entra data-plane roles cannot create containers (see docs/roles.md).
resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
      }
      defaultTtl: stateTtlSeconds
    }
    options: {
      autoscaleSettings: {
        maxThroughput: 1000
      }
    }
  }
}

module endpoint 'privateEndpoint.bicep' = {
  name: '${name}-pe'
  params: {
    name: '${name}-pe'
    location: location
    subnetId: subnetId
    serviceId: account.id
    groupId: 'Sql'
    privateDnsZoneId: privateDnsZoneId
    tags: tags
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = databaseName
output containerName string = containerName
