/**
 * The Temporal server and workflow bundle every unit test shares. The server is the stack's own
 * `temporal` CLI started as a throwaway in-memory dev server on a free port: never a download
 * (there is no internet here), and the same server build the stack and production-like runs use.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, type WorkflowBundleOption } from '@temporalio/worker';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../../src/contracts/search-attributes';
import { prebuiltWorkflowBundle } from '../../../src/platform/workflow-bundle';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Built by `go install` the first time the stack comes up (scripts/stack). */
export const TEMPORAL_CLI = path.join(REPO_ROOT, '.tools/bin/temporal');

export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(TEMPORAL_CLI)) {
    throw new Error(`No Temporal CLI at ${TEMPORAL_CLI}: run \`npm test\` or \`npm run stack:up\` once to build it.`);
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: TEMPORAL_CLI },
      // The sagas upsert SagaState; on a server that does not know it, their workflow tasks fail.
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

/**
 * The bundle the image ships (dist/workflow-bundle.js), built by `npm run build` or, when missing or
 * older than src/workflows, by the first test file that asks.
 */
export function bundleServiceWorkflows(): Promise<WorkflowBundleOption> {
  return prebuiltWorkflowBundle(Runtime.instance().logger);
}
