// Secrets the bot reads through Key Vault references (the deployment writes them; nobody copies them by hand).
param vaultName string
@secure()
param eventGridSecret string
@secure()
param agentConsolePassword string
@secure()
param pinLockoutSubjectKey string
@secure()
param crmSubscriptionKey string
@secure()
@description('The single-tenant bot app registration\'s client secret; empty with a managed-identity bot.')
param botAppPassword string = ''
@description('Unix time at which these secrets expire (rotate before then).')
param expiresAt int

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource eventGrid 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'event-grid-secret'
  properties: {
    value: eventGridSecret
    contentType: 'text/plain; shared-secret'
    attributes: {
      enabled: true
      exp: expiresAt
    }
  }
}

resource console 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'agent-console-password'
  properties: {
    value: agentConsolePassword
    contentType: 'text/plain; password'
    attributes: {
      enabled: true
      exp: expiresAt
    }
  }
}

resource pinLockout 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'pin-lockout-subject-key'
  properties: {
    value: pinLockoutSubjectKey
    contentType: 'text/plain; hmac-key'
    attributes: {
      enabled: true
      exp: expiresAt
    }
  }
}

resource crm 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'crm-subscription-key'
  properties: {
    value: crmSubscriptionKey
    contentType: 'text/plain; apim-subscription-key'
    attributes: {
      enabled: true
      exp: expiresAt
    }
  }
}

output eventGridSecretUri string = eventGrid.properties.secretUri
output agentConsolePasswordUri string = console.properties.secretUri
resource botPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(botAppPassword)) {
  parent: vault
  name: 'bot-app-password'
  properties: {
    value: botAppPassword
    contentType: 'text/plain; client-secret'
    attributes: {
      enabled: true
      exp: expiresAt
    }
  }
}

output botAppPasswordUri string = empty(botAppPassword) ? '' : botPassword.properties.secretUri
output pinLockoutSubjectKeyUri string = pinLockout.properties.secretUri
output crmSubscriptionKeyUri string = crm.properties.secretUri
