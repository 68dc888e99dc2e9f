import { closePools, tasksPool } from './helpers';

afterEach(closePools);

test('creating a pool leaves SIGINT and SIGTERM to the application (threads.js would install exit handlers)', async () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const pool = tasksPool({ size: 1 });
  await pool.ready;
  expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
});
