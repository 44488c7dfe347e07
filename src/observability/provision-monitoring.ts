/** Creates or updates the alarms and the dashboard; both calls overwrite by name, so reruns converge. */
import { PutDashboardCommand, PutMetricAlarmCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import { alarmDefinitions } from './alarms';
import { dashboardBody, dashboardName } from './dashboard';

export interface ProvisionedMonitoring {
  alarms: string[];
  dashboard: string;
}

export async function provisionMonitoring(
  cloudWatch: CloudWatchClient,
  config: Config,
): Promise<ProvisionedMonitoring> {
  const alarms = alarmDefinitions(config);
  for (const alarm of alarms) await cloudWatch.send(new PutMetricAlarmCommand(alarm));
  const dashboard = dashboardName(config);
  const { DashboardValidationMessages = [] } = await cloudWatch.send(
    new PutDashboardCommand({ DashboardName: dashboard, DashboardBody: JSON.stringify(dashboardBody(config)) }),
  );
  if (DashboardValidationMessages.length) {
    const problems = DashboardValidationMessages.map((message) => `${message.DataPath}: ${message.Message}`);
    throw new Error(`dashboard ${dashboard} was refused: ${problems.join('; ')}`);
  }
  return { alarms: alarms.map((alarm) => alarm.AlarmName), dashboard };
}
