/**
 * One measurement in a process of its own (so peak RSS is the system's own):
 * `node dist/bench/case.js '<json>'` prints one JSON line of metrics.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createSystem, type SystemName } from './systems';

export type Workload = 'tiny' | 'cpu' | 'payload copy' | 'payload transfer' | 'startup' | 'stream';

export interface CaseInput {
  readonly system: SystemName;
  readonly workload: Workload;
  /** burn() iterations that take about 20 ms on this machine. */
  readonly burnIterations: number;
  readonly tinyCount: number;
  readonly streamRate: number;
  readonly streamSeconds: number;
}

export interface CaseOutput {
  readonly metrics: Record<string, number>;
  readonly maxRssMB: number;
}

const MiB = 1024 * 1024;

async function measure(input: CaseInput): Promise<Record<string, number>> {
  const size = availableParallelism();
  if (input.workload === 'startup') {
    const start = performance.now();
    const system = await createSystem(input.system, size);
    await system.runAll('inc', [1], false);
    const first = performance.now();
    await system.close();
    return { firstResultMs: first - start, closeMs: performance.now() - first };
  }
  const system = await createSystem(input.system, size);
  await system.ready();
  try {
    switch (input.workload) {
      case 'tiny': {
        await system.runAll(
          'inc',
          Array.from({ length: 1000 }, (_, i) => i),
          false,
        );
        const inputs = Array.from({ length: input.tinyCount }, (_, i) => i);
        const start = performance.now();
        await system.runAll('inc', inputs, false);
        return { requestsPerSecond: input.tinyCount / ((performance.now() - start) / 1000) };
      }
      case 'cpu': {
        await system.runAll('burn', [1000, 1000], false);
        const start = performance.now();
        await system.runAll(
          'burn',
          Array.from({ length: 64 }, () => input.burnIterations),
          false,
        );
        return { wallMs: performance.now() - start };
      }
      case 'payload copy':
      case 'payload transfer': {
        const transfer = input.workload === 'payload transfer';
        const arrays = Array.from({ length: 200 }, () => new Float64Array(MiB / 8).fill(1));
        const start = performance.now();
        await system.runAll('sum', arrays, transfer);
        return { megabytesPerSecond: 200 / ((performance.now() - start) / 1000) };
      }
      case 'stream': {
        const total = input.streamRate * input.streamSeconds;
        const emitted = new Float64Array(total);
        const latencies = new Float64Array(total);
        const delay = monitorEventLoopDelay({ resolution: 1 });
        const stream = system.stream('inc', (i) => (latencies[i] = performance.now() - emitted[i]));
        delay.enable();
        const start = performance.now();
        let sent = 0;
        await new Promise<void>((resolve) => {
          const tick = setInterval(() => {
            const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * input.streamRate));
            for (; sent < due; sent++) {
              emitted[sent] = performance.now();
              stream.push(sent);
            }
            if (sent === total) {
              clearInterval(tick);
              resolve();
            }
          }, 1);
        });
        await stream.end();
        delay.disable();
        const sorted = Array.from(latencies).sort((a, b) => a - b);
        return {
          latencyP50Ms: sorted[Math.floor(total * 0.5)],
          latencyP99Ms: sorted[Math.floor(total * 0.99)],
          eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        };
      }
    }
  } finally {
    await system.close();
  }
  throw new Error(`unknown workload ${String(input.workload)}`);
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as CaseInput;
  const metrics = await measure(input);
  const output: CaseOutput = { metrics, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
