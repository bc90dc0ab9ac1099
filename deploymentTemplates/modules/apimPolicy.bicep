// The CRM API's policy: subscription key or Entra token (validate-jwt: this tenant, the CRM API's audience, and
// only the bot's own identity), a rate limit per caller, the CRM backend, no server banners in answers.
param apimName string
@allowed([
  'subscription_key'
  'entra'
])
param crmAuth string = 'subscription_key'
@description('Entra: the CRM API app registration\'s client id (tokens are issued for api://<id>).')
param crmApiAppId string = ''
@description('Entra: the bot identity\'s object id, the only caller whose tokens are accepted.')
param callerPrincipalId string = ''
param tenantId string = tenant().tenantId
@description('Requests per minute one subscription or caller may send to the CRM API.')
param callsPerMinute int = 600

var entra = crmAuth == 'entra'
// validate-jwt: only tokens issued by this tenant for the CRM API, and only to the bot's own identity.
var jwtPolicy = '''
    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized">
      <openid-config url="https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration" />
      <audiences>
        <audience>api://{app}</audience>
        <audience>{app}</audience>
      </audiences>
      <issuers>
        <issuer>https://sts.windows.net/{tenant}/</issuer>
        <issuer>https://login.microsoftonline.com/{tenant}/v2.0</issuer>
      </issuers>
      <required-claims>
        <claim name="oid" match="any">
          <value>{caller}</value>
        </claim>
      </required-claims>
    </validate-jwt>'''
var jwtForTenant = replace(replace(jwtPolicy, '{tenant}', tenantId), '{app}', crmApiAppId)
var authPolicy = entra ? replace(jwtForTenant, '{caller}', callerPrincipalId) : ''
var apiPolicy = '''<policies>
  <inbound>
    <base />{auth}
    <rate-limit-by-key calls="{calls}" renewal-period="60" counter-key="@(context.Subscription?.Id ?? context.Request.IpAddress)" />
    <set-backend-service backend-id="crm-backend" />
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
    <set-header name="X-Powered-By" exists-action="delete" />
    <set-header name="Server" exists-action="delete" />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>'''

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: apimName
}

resource crmApi 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' existing = {
  parent: apim
  name: 'crm'
}

resource crmApiPolicy 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = {
  parent: crmApi
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: replace(replace(apiPolicy, '{auth}', authPolicy), '{calls}', string(callsPerMinute))
  }
}
