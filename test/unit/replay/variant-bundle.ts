/**
 * Test-only variants of the service's bundle: the same workflows with ONE module's source edited (a
 * reorder, a patched() change), bundled with the production bundler options. The edit works on the
 * real file's text, so a variant is the deployed code and one change, never a copy of a workflow.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { workflowBundleOptions } from '../../../src/platform/workflow-bundle';

const SOURCE_LOADER = path.join(__dirname, 'source-loader.cjs');
const WORKFLOWS_DIR = path.resolve(__dirname, '../../../src/workflows');

/** Replaces `from` by `to` in the text, once; a `from` the text does not hold is the test's error. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The service's bundle with src/workflows/<file> as `edit` rewrites it. */
export async function bundleWithEditedWorkflow(
  file: string,
  edit: (source: string) => string,
): Promise<WorkflowBundle> {
  const modulePath = path.join(WORKFLOWS_DIR, file);
  const source = edit(readFileSync(modulePath, 'utf8'));
  return bundleWorkflowCode({
    ...workflowBundleOptions(Runtime.instance().logger),
    webpackConfigHook: (config) => {
      config.module?.rules?.unshift({
        test: (resource: string) => resource === modulePath,
        enforce: 'pre',
        use: [{ loader: SOURCE_LOADER, options: { source } }],
      });
      return config;
    },
  });
}
