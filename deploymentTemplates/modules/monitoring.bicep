// Log Analytics + workspace-based Application Insights, and the escalation-rate alert (> 40 % over 1 h).
param namePrefix string
param location string
param retentionDays int = 90
param alertEmail string
param escalationRateThreshold string = '0.40'
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-appi'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // ingestion only with Entra ID (the bot's identity has Monitoring Metrics Publisher)
    IngestionMode: 'LogAnalytics'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'vb-oncall'
    enabled: true
    emailReceivers: [
      {
        name: 'contact-centre-lead'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// The bot publishes the OpenTelemetry gauge "escalation_rate" (escalations / ended calls over a
// sliding hour) which lands in customMetrics; it also sends a custom event when it crosses the line.
resource escalationAlert 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-escalation-rate'
  location: location
  tags: tags
  properties: {
    displayName: 'Voicebot escalation rate above ${escalationRateThreshold}'
    description: 'More than the threshold share of calls were transferred to an agent over the last hour.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "escalation_rate" | summarize rate = max(value) by bin(timestamp, 5m)'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'rate'
          operator: 'GreaterThan'
          threshold: json(escalationRateThreshold)
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
        actionGroup.id
      ]
    }
  }
}

output workspaceId string = workspace.id
output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workspaceName string = workspace.name
output actionGroupId string = actionGroup.id
