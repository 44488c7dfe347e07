/**
 * `npm run record:histories`: records the replay fixtures (test/fixtures/histories/*.json) from real
 * runs on the local stack (it must be up: `npm run stack:up`). The scenarios live in
 * test/replay/record-histories.recording.ts, run here by Jest with the stack project's setup, since
 * they drive the service through the tests' bench. See docs/deploys.md for when to record again.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const config = {
  rootDir: root,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/replay/record-histories.recording.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/setup/load-stack-env.ts', '<rootDir>/test/setup/quiet-temporal.ts'],
  testTimeout: 600_000,
};
const jest = path.join(root, 'node_modules', '.bin', 'jest');
const run = spawnSync(jest, ['--config', JSON.stringify(config), '--runInBand'], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
