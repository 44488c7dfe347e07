import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';

const { echo } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/**
 * Proves a worker is polling and can run an activity: `npm run dev` runs it once at start-up, and
 * the stack tests run it against the local server.
 */
export async function smokeCheckWorkflow(message: string): Promise<string> {
  return await echo(message);
}
