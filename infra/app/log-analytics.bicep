// Findings where the security team looks (logsEnabled): the two custom tables in the deployment's Log Analytics
// workspace, a data collection rule the app sends them through (Logs Ingestion API, Entra ID), the app's role on
// that rule only, the workbook, the audit-stopped alert, and the Sentinel analytics rule when the workspace has
// Sentinel. The tables' columns come from tables.json, which the code writes (scripts/log-analytics-schema.js).
param location string
param tags object
param workspaceName string
@description('The app\'s identity: it sends the rows.')
param principalId string
@description('The workspace has Microsoft Sentinel: deploy the analytics rule.')
param sentinelEnabled bool = false
@description('Who is told when the audit stops running; empty: the alert fires with no one to tell.')
param alertEmail string = ''
param ruleName string
param workbookName string
@description('Hours without a committed run after which the audit counts as stopped (main.bicep derives it from the schedule); 0: the schedule cannot be watched, and the alert is disabled.')
param staleHours int
@description('When this deployment ran (UTC): a new deployment has no run yet, and is given staleHours for its first.')
param deployedAt string
@description('Days the two tables keep their rows: longer than the workbook and the Sentinel rule look back.')
param retentionDays int = 90

var schema = loadJsonContent('log-analytics/tables.json')
var roles = {
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

// Analytics plan, kept 90 days (the workspace keeps 30): the workbook reads up to 90 days and 30 runs back, the
// Sentinel rule 14 days, the alerts 2.
resource tables 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = [
  for table in schema.tables: {
    parent: workspace
    name: table.name
    properties: {
      plan: 'Analytics'
      retentionInDays: retentionDays
      schema: {
        name: table.name
        description: table.description
        columns: table.columns
      }
    }
  }
]

// kind Direct: the rule has its own logs ingestion endpoint, no data collection endpoint is needed. Rows go
// to the tables as they are (transform `source`).
resource rule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: ruleName
  location: location
  tags: tags
  kind: 'Direct'
  dependsOn: [tables]
  properties: {
    streamDeclarations: toObject(schema.tables, t => t.stream, t => { columns: t.columns })
    destinations: {
      logAnalytics: [{ name: 'audit', workspaceResourceId: workspace.id }]
    }
    dataFlows: [
      for table in schema.tables: {
        streams: [table.stream]
        destinations: ['audit']
        transformKql: 'source'
        outputStream: 'Custom-${table.name}'
      }
    ]
  }
}

// The app sends through this rule and nothing else: Monitoring Metrics Publisher on the rule.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(rule.id, principalId, roles.monitoringMetricsPublisher)
  scope: rule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, workbookName)
  location: location
  tags: tags
  kind: 'shared'
  dependsOn: [tables]
  properties: {
    displayName: 'Azure ML network isolation'
    category: 'workbook'
    sourceId: workspace.id
    serializedData: loadTextContent('log-analytics/workbook.json')
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${ruleName}-audit-stopped'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'amlaudit'
    enabled: true
    emailReceivers: [{ name: 'security-team', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

// A compliance tool that silently stops is its worst failure. Two stateful rules (autoMitigate): each notifies
// once when its condition starts to hold and once when it is resolved, not at every evaluation. Log search alerts
// take no `union` or `search` (Learn, "Optimize log search alert queries"): one table each.
resource auditStopped 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${ruleName}-audit-stopped'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [tables]
  properties: {
    displayName: 'Azure ML isolation audit stopped'
    description: staleHours > 0
      ? 'No committed audit run in ${staleHours} hours (the schedule\'s longest gap and two hours\' grace).'
      : 'Disabled: the schedule runs less often than a log search alert\'s two-day window can watch.'
    severity: 1
    // A schedule with gaps longer than the window (weekly, weekdays only) cannot be watched this way.
    enabled: staleHours > 0
    scopes: [workspace.id]
    evaluationFrequency: 'PT1H'
    // The longest window a log search alert has: a committed run older than it reads as none.
    windowSize: 'P2D'
    criteria: {
      allOf: [
        {
          query: replace(
            replace(loadTextContent('log-analytics/audit-stopped.kql'), '{{staleHours}}', string(max(staleHours, 1))),
            '{{deployedAt}}',
            deployedAt
          )
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}

resource auditFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${ruleName}-audit-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  dependsOn: [tables]
  properties: {
    displayName: 'Azure ML isolation audit run failed'
    description: 'An audit run ended failed: its row says why (Error).'
    severity: 1
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT1H'
    // Rows are selected by when they arrived; the window lets a run that failed a day ago and was reported late
    // still be seen.
    windowSize: 'P2D'
    criteria: {
      allOf: [
        {
          query: loadTextContent('log-analytics/audit-failed.kql')
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}

resource newHighFinding 'Microsoft.SecurityInsights/alertRules@2023-02-01' = if (sentinelEnabled) {
  name: guid(workspace.id, 'aml-isolation-new-high-finding')
  scope: workspace
  kind: 'Scheduled'
  dependsOn: [tables]
  properties: {
    displayName: 'Azure ML: new high or critical network isolation finding'
    description: 'The isolation audit found a new high or critical finding; the alert carries the az commands that fix it.'
    severity: 'High'
    enabled: true
    query: loadTextContent('log-analytics/sentinel-new-high-finding.kql')
    queryFrequency: 'PT1H'
    // Sentinel's longest lookback: rows kept through an outage arrive with their run's time, days old, and are
    // selected by when they arrived (ingestion_time()).
    queryPeriod: 'P14D'
    triggerOperator: 'GreaterThan'
    triggerThreshold: 0
    suppressionEnabled: false
    suppressionDuration: 'PT1H'
    tactics: ['InitialAccess', 'Exfiltration']
    eventGroupingSettings: { aggregationKind: 'AlertPerResult' }
    alertDetailsOverride: {
      alertDisplayNameFormat: 'Azure ML isolation: {{RuleTitle}}'
      alertDescriptionFormat: '{{Message}}'
    }
    customDetails: {
      Remediation: 'Remediation'
      Rules: 'Rules'
      Subscription: 'SubscriptionName'
    }
    entityMappings: [
      {
        entityType: 'AzureResource'
        fieldMappings: [{ identifier: 'ResourceId', columnName: 'ResourceId' }]
      }
    ]
  }
}

output ingestionEndpoint string = rule.properties.endpoints.logsIngestion
output ruleImmutableId string = rule.properties.immutableId
output workbookId string = workbook.id
