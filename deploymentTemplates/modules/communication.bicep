// Azure Communication Services: the phone number and Call Automation (no private endpoint exists for it).
param name string
@allowed([
  'United States'
  'Europe'
  'UK'
  'Australia'
  'Japan'
])
param dataLocation string = 'United States'
param tags object = {}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

output id string = acs.id
output name string = acs.name
output endpoint string = 'https://${acs.properties.hostName}'
@description('The audience of the JWT ACS puts on every Call Automation callback (ACS__RESOURCE_ID).')
output immutableResourceId string = acs.properties.immutableResourceId
