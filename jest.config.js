/** @type {import('jest').Config} */
module.exports = {
  transform: { '^.+\\.ts$': 'ts-jest' },
  // The sources import each other as `./file.js` (what Node's ESM loader needs); jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  roots: ['<rootDir>/test', '<rootDir>/marbles'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  testTimeout: 30000,
  // Node's environment, except that a suite whose program is missing fails alone, with one failure naming
  // the program and its install command, while every other suite runs (test/programs/environment.ts).
  testEnvironment: '<rootDir>/test/programs/environment.ts',
  testEnvironmentOptions: {
    needs: [
      // The queue tests (test/bullmq.*.test.ts) run on a real Redis: REDIS_URL, or a redis-server globalSetup
      // starts on a random loopback port; but for these two, which start their own redis-server (connection
      // stops and restarts it, tls serves TLS only), and the wire test, which needs none.
      { tests: 'bullmq\\.(connection|tls)\\.test', program: 'redis-server' },
      { tests: 'bullmq\\.(?!wire\\.)[A-Za-z]+\\.test', program: 'redis' },
      // Headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium or one on PATH) runs the browser example.
      { tests: 'browser\\.test', program: 'chromium' },
    ],
  },
  globalSetup: '<rootDir>/test/redis/globalSetup.ts',
  globalTeardown: '<rootDir>/test/redis/globalTeardown.ts',
};
