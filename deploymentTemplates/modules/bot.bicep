// Azure Bot registration: the identity the Bot Framework channels use to call /api/messages, and the
// optional telephony channel (preview, closed to new customers: only subscriptions already admitted can enable it).
param name string
@description('https://<site>/api/messages')
param messagingEndpoint string
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param appType string
@description('Client id of the user-assigned identity (UserAssignedMSI) or of the app registration (SingleTenant).')
param appId string
@description('Resource id of the user-assigned identity; empty for SingleTenant.')
param msiResourceId string = ''
param tenantId string = tenant().tenantId
@allowed([
  'F0'
  'S1'
])
param skuName string = 'S1'
@description('Connect the telephony channel (only where the subscription is admitted to the preview).')
param enableTelephonyChannel bool = false
@description('Telephony: the ACS phone number (E.164) the channel answers.')
param telephonyPhoneNumber string = ''
param acsResourceId string = ''
param acsEndpoint string = ''
@secure()
@description('Telephony: the ACS access key (the channel authenticates to ACS with it; the bot itself does not).')
param acsKey string = ''
param speechResourceId string = ''
param speechRegion string = ''
@secure()
@description('Telephony: a key of a Speech resource that accepts keys (the channel has no managed-identity option).')
param telephonySpeechKey string = ''
param defaultLocale string = 'en-US'
param tags object = {}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  kind: 'azurebot'
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    displayName: name
    endpoint: messagingEndpoint
    msaAppType: appType
    msaAppId: appId
    msaAppTenantId: tenantId
    msaAppMSIResourceId: appType == 'UserAssignedMSI' ? msiResourceId : null
    disableLocalAuth: true // Direct Line / Web Chat secrets are not used: channels reach the bot with Entra tokens only
    publicNetworkAccess: 'Enabled' // the channel service must reach the messaging endpoint
  }
}

resource telephony 'Microsoft.BotService/botServices/channels@2022-09-15' = if (enableTelephonyChannel) {
  parent: bot
  name: 'TelephonyChannel'
  location: 'global'
  properties: {
    channelName: 'TelephonyChannel'
    properties: {
      isEnabled: true
      defaultLocale: defaultLocale
      phoneNumbers: [
        {
          phoneNumber: telephonyPhoneNumber
          acsResourceId: acsResourceId
          acsEndpoint: acsEndpoint
          acsSecret: acsKey
          cognitiveServiceResourceId: speechResourceId
          cognitiveServiceRegion: speechRegion
          cognitiveServiceSubscriptionKey: telephonySpeechKey
          defaultLocale: defaultLocale
        }
      ]
    }
  }
}

output id string = bot.id
output name string = bot.name
