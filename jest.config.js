/** Every test talks to the real local stack; `npm test` brings it up first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/setup/load-stack-env.ts', '<rootDir>/test/setup/quiet-temporal.ts'],
  testTimeout: 60_000,
  // Two cores: more workers than this only makes the servers and the workers fight.
  maxWorkers: 2,
};
