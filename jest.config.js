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
      // The queue tests run on a real Redis: REDIS_URL, or a redis-server globalSetup starts on a random loopback port.
      { tests: 'bullmq\\.(behaviour|sigkill)\\.test', program: 'redis' },
      // This one stops and restarts its own redis-server.
      { tests: 'bullmq\\.connection\\.test', program: 'redis-server' },
      // Headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium or one on PATH) runs the browser example.
      { tests: 'browser\\.test', program: 'chromium' },
    ],
  },
  globalSetup: '<rootDir>/test/redis/globalSetup.ts',
  globalTeardown: '<rootDir>/test/redis/globalTeardown.ts',
};
