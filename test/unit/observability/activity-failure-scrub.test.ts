/**
 * What an activity fails with reaches workflow history scrubbed: the worker's scrubActivityFailures
 * interceptor, on the test server, with a failure whose message and cause quote credentials (a
 * marketplace token, a database URL with its password), as a driver or a careless message would.
 */
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { scrubActivityFailures } from '../../../src/observability/activity-trace';
import { REDACTED } from '../../../src/platform/scrub';
import { useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness({ activityInterceptors: [scrubActivityFailures] });

it('writes an activity failure into history without the credentials its text quoted', async () => {
  const token = `Atza|IwEBI${randomBytes(24).toString('base64')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const failing = {
    echo: async () => {
      throw ApplicationFailure.create({
        message: `push refused for x-amz-access-token: ${token}`,
        type: 'PushRejected',
        nonRetryable: true,
        cause: new Error(`connect ECONNREFUSED postgres://app:${password}@db.internal:5432/app`),
      });
    },
  };
  const { workflowId } = await harness().runFailing('smokeCheckWorkflow', ['ping'], failing);

  const history = JSON.stringify(await harness().client.workflow.getHandle(workflowId).fetchHistory());
  expect(history).not.toContain(token.slice(5, 30));
  expect(history).not.toContain(password);
  expect(history).toContain(`push refused for x-amz-access-token: ${REDACTED}`);
  expect(history).toContain(`postgres://app:${REDACTED}@db.internal:5432/app`);
  expect(history).toContain('PushRejected');
});
