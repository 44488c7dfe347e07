/**
 * Two projects. `unit`: workflows on a throwaway Temporal server with stub activities; needs no
 * stack (`npx jest --selectProjects unit`). `stack`: every other test, against the real local stack
 * that `npm test` brings up first. Plain `jest` runs both.
 */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
      setupFiles: ['<rootDir>/test/unit/support/quiet-temporal.ts'],
    },
    {
      ...shared,
      displayName: 'stack',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      setupFiles: ['<rootDir>/test/setup/load-stack-env.ts', '<rootDir>/test/setup/quiet-temporal.ts'],
    },
  ],
  // Global on purpose: Jest 30 validates a project's testTimeout but its runner reads only this one.
  testTimeout: 60_000,
  // Two cores: more workers than this only makes the servers and the workers fight.
  maxWorkers: 2,
};
