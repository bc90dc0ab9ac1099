// The audit checklist's alert rules, next to the escalation-rate rule in monitoring.bicep: language-model call
// rate, secret reads from outside the bot's subnets, bursts of authentication failures, PIN lockouts.
// Each query yields one number per minute bin in a column named "value"; the names it filters on are the ones
// the bot emits (tests/test_deployment_alerts.py checks them against the code).
param namePrefix string
param location string
param appInsightsId string
param workspaceId string
param actionGroupId string
@description('Address ranges allowed to read Key Vault secrets (the app and rotation subnets).')
param trustedSecretReaderRanges array
@description('Language-model calls per minute, all instances together, above which on-call is told.')
param llmCallsPerMinute int = 300
@description('401/403/429 answers plus failed console sign-ins per 5 minutes that count as a burst.')
param authFailuresPer5Minutes int = 20
@description('PIN lockouts (telemetry event PinLockout) per 15 minutes that suggest a guessing campaign.')
param pinLockoutsPer15Minutes int = 3
param tags object = {}

var trustedRanges = string(trustedSecretReaderRanges)
var rules = [
  {
    name: 'llm-calls-per-minute'
    displayName: 'Language-model calls above ${llmCallsPerMinute} per minute'
    description: 'Chat completions (spans tagged voicebot.stage=llm_call) per minute across instances; itemCount undoes sampling.'
    severity: 2
    scope: appInsightsId
    window: 'PT5M'
    frequency: 'PT5M'
    aggregation: 'Maximum'
    operator: 'GreaterThan'
    threshold: llmCallsPerMinute
    query: 'dependencies | where tostring(customDimensions["voicebot.stage"]) == "llm_call" | summarize value = sum(itemCount) by bin(timestamp, 1m)'
  }
  {
    name: 'secret-read-unexpected-address'
    displayName: 'Key Vault secret read from an unexpected address'
    description: 'A SecretGet on the environment vault from outside the app and rotation subnets (the vault is private-endpoint only, so this is a misrouted or stolen identity).'
    severity: 1
    scope: workspaceId
    window: 'PT5M'
    frequency: 'PT5M'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
    query: 'AzureDiagnostics | where ResourceProvider == "MICROSOFT.KEYVAULT" and OperationName == "SecretGet" | where not(ipv4_is_in_any_range(CallerIPAddress, dynamic(${trustedRanges}))) | summarize value = count() by bin(TimeGenerated, 1m)'
  }
  {
    name: 'auth-failure-burst'
    displayName: 'Burst of authentication failures'
    description: 'Refused channel tokens, webhook secrets and console sign-ins (401/403, throttled 429, failed sign-in redirects) in 5 minutes.'
    severity: 2
    scope: workspaceId
    window: 'PT5M'
    frequency: 'PT5M'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: authFailuresPer5Minutes
    query: 'AppServiceHTTPLogs | where ScStatus in (401, 403, 429) or (CsUriStem == "/agent/login" and CsUriQuery has "failed") | summarize value = count() by bin(TimeGenerated, 1m)'
  }
  {
    name: 'pin-lockouts'
    displayName: 'PIN lockouts: ${pinLockoutsPer15Minutes} or more in 15 minutes'
    description: 'Customers locked out of PIN verification (telemetry event PinLockout): several at once suggest a guessing campaign.'
    severity: 2
    scope: appInsightsId
    window: 'PT15M'
    frequency: 'PT5M'
    aggregation: 'Total'
    operator: 'GreaterThanOrEqual'
    threshold: pinLockoutsPer15Minutes
    query: 'customEvents | where name == "PinLockout" | summarize value = sum(itemCount) by bin(timestamp, 1m)'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in rules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      rule.scope
    ]
    evaluationFrequency: rule.frequency
    windowSize: rule.window
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: rule.aggregation
          metricMeasureColumn: 'value'
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}]
