// A worker host that cannot load its worker module says so and exits 1, taking no job; serveTasks rejects with WorkerStartError.
import { WorkerStartError } from '../src';
import { serveTasks } from '../src/bullmq';
import { fixture } from './helpers';
import { startHost, testRedisUrl, uniqueQueue } from './redis/hosts';

describe('a host that cannot start', () => {
  test('a host that cannot load its worker module says so and exits 1, taking no job', async () => {
    const queue = uniqueQueue('badmodule');
    await expect(startHost(testRedisUrl(), queue, ['--threads', '1'], fixture('throws-at-load.worker.js'))).rejects.toThrow(
      /exited \(1\) before serving:[\s\S]*cannot serve .*throws-at-load\.worker\.js: Worker .* failed to start/,
    );
    await expect(serveTasks(fixture('no-such.worker.js'), { connection: testRedisUrl(), queue, threads: 1 })).rejects.toBeInstanceOf(WorkerStartError);
  }, 30_000);
});
