// Customer-managed key for Log Analytics (prod): only a dedicated cluster can encrypt with a Key Vault key, so
// the cluster holds the key and the environment's workspace is linked to it. Minimum commitment: 100 GB/day.
param namePrefix string
param location string
param workspaceName string
param identityId string
param vaultUri string
param keyName string
@minValue(100)
param capacityGbPerDay int = 100
param zoneRedundant bool = false
param tags object = {}

resource cluster 'Microsoft.OperationalInsights/clusters@2022-10-01' = {
  name: '${namePrefix}-logs-cluster'
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  sku: {
    name: 'CapacityReservation'
    capacity: capacityGbPerDay
  }
  properties: {
    billingType: 'Cluster'
    isAvailabilityZonesEnabled: zoneRedundant
    keyVaultProperties: {
      keyVaultUri: vaultUri
      keyName: keyName
      keyVersion: '' // versionless: the cluster follows the key's yearly rotation
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource link 'Microsoft.OperationalInsights/workspaces/linkedServices@2020-08-01' = {
  parent: workspace
  name: 'cluster'
  properties: {
    writeAccessResourceId: cluster.id
  }
}

output clusterId string = cluster.id
