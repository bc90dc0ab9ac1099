// Customer-managed keys (prod): HSM-backed keys in the environment's premium vault, rotated yearly, and the
// identity Cosmos DB and the Log Analytics cluster unwrap them with (Key Vault Crypto Service Encryption User).
param namePrefix string
param location string
param vaultName string
@description('Unix time the first key versions expire; the rotation policy makes a new version 30 days before.')
param keysExpireAt int
param tags object = {}

var cryptoServiceEncryptionUser = 'e147488a-f6f5-4113-8e2d-b22465e65bf6'
var keyNames = [
  'cosmos-cmk'
  'logs-cmk'
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-cmk-id'
  location: location
  tags: tags
}

resource keys 'Microsoft.KeyVault/vaults/keys@2023-07-01' = [for keyName in keyNames: {
  parent: vault
  name: keyName
  tags: tags
  properties: {
    kty: 'RSA-HSM'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exp: keysExpireAt
    }
    rotationPolicy: {
      attributes: {
        expiryTime: 'P1Y'
      }
      lifetimeActions: [
        {
          trigger: {
            timeBeforeExpiry: 'P30D'
          }
          action: {
            type: 'rotate'
          }
        }
        {
          trigger: {
            timeBeforeExpiry: 'P45D'
          }
          action: {
            type: 'notify'
          }
        }
      ]
    }
  }
}]

// Scoped to each key, not the vault: the identity can wrap and unwrap with these two keys and nothing else.
resource keyUsers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (keyName, i) in keyNames: {
  scope: keys[i]
  name: guid(keys[i].id, identity.id, cryptoServiceEncryptionUser)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cryptoServiceEncryptionUser)
  }
}]

output identityId string = identity.id
output identityPrincipalId string = identity.properties.principalId
// Versionless: Cosmos DB and Log Analytics follow the key's rotations without a redeployment.
output cosmosKeyUri string = keys[0].properties.keyUri
output logsKeyName string = keys[1].name
output vaultUri string = vault.properties.vaultUri
