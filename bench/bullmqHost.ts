/**
 * A plain BullMQ worker host for the distributed benchmark, the baseline:
 * `node dist/bench/bullmqHost.js <redis url> <queue> <concurrency>` runs each
 * job's `{ op, x }` inline, as a BullMQ user would without this library.
 */
import { Worker } from 'bullmq';
import { type Call, dispatch } from './tasks';

const [url, queue, concurrency] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const worker = new Worker<Call, number>(queue, async (job) => dispatch(job.data), {
  connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
  concurrency: Number(concurrency),
});
worker.on('error', (error) => console.error(`bullmq host: ${error.message}`));
void worker.waitUntilReady().then(() => console.error(`serving ${queue} (pid ${process.pid})`));
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
