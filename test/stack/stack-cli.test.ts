import { readFileSync } from 'node:fs';
import { STACK_ENV_FILE } from '../../scripts/stack/paths';
import { runEntryPoint } from '../support/run-command';

jest.setTimeout(60_000);

const stack = (action: string) => runEntryPoint('scripts/stack/cli.ts', { args: [action] });

describe('the local stack commands', () => {
  it('stack:up is idempotent: with everything up it starts nothing and writes the endpoints', async () => {
    const result = await stack('up');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('running '))).toHaveLength(7);
    expect(lines.filter((line) => line.startsWith('started '))).toHaveLength(0);

    const env = readFileSync(STACK_ENV_FILE, 'utf8');
    for (const key of [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_UI_URL',
      'REDIS_URL',
      'DATABASE_URL',
      'SQS_ENDPOINT',
      'AWS_REGION',
      'QUEUE_PREFIX',
      'SIMULATOR_URL',
      'MARKETPLACE_AJIO_URL',
      'MARKETPLACE_AMAZON_URL',
      'MARKETPLACE_FLIPKART_URL',
      'MARKETPLACE_MEESHO_URL',
      'MARKETPLACE_ALLOW_HTTP',
      'DOCUMENT_STORE_DIR',
      'CLOUDWATCH_ENDPOINT',
      'ADMIN_TOKEN',
    ]) {
      expect(env).toMatch(new RegExp(`^${key}=\\S+$`, 'm'));
    }
  });

  it('stack:status reports every server up', async () => {
    const result = await stack('status');
    expect(result.code).toBe(0);
    const states = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/).slice(0, 2).join(' '));
    expect(states).toEqual([
      'postgres up',
      'redis up',
      'sqs up',
      'elasticmq up',
      'temporal up',
      'simulator up',
      'cloudwatch up',
    ]);
  });

  it('rejects an unknown action with its usage', async () => {
    const result = await stack('sideways');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('usage: stack <up|down|status>');
  });
});
