/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  // The sources import each other as `./file.js` (what Node's ESM loader needs); jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  roots: ['<rootDir>/test', '<rootDir>/marbles'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  testTimeout: 30000,
  // The queue tests (test/bullmq.*.test.ts) run on a real redis-server: started once here, on a random loopback port.
  globalSetup: '<rootDir>/test/redis/globalSetup.ts',
  globalTeardown: '<rootDir>/test/redis/globalTeardown.ts',
};
