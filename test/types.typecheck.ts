/**
 * Type tests, checked by `tsc --noEmit` (part of `npm test`), never run.
 * Each `@ts-expect-error` fails the type check if the line below it compiles.
 */
import { of, type Observable } from 'rxjs';
import { createPool, makeRequests, type Outcome, type Progress, type StreamOutcome, type TaskError, workRequest } from '../src';
import { errors, poolMap, poolPipe, progress, results, splitOutcomes } from '../operators';
import { createQueuePool } from '../src/bullmq';
import type { FeatureTasks } from './fixtures/features.worker';
import type { Event, StreamTasks } from './fixtures/streams.worker';
import type { QueueTasks } from './fixtures/queue.worker';
import type { Tasks } from './fixtures/tasks.worker';

declare function expectType<T>(value: T): void;
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(proof: Equal<A, B>): void;

const pool = createPool<Tasks>('/abs/tasks.worker.js');

// The task's argument and result types flow from the worker module to the outcome.
const doubled = of(1, 2).pipe(poolMap(pool, 'double'));
assertEqual<typeof doubled, Observable<Outcome<[n: number], number>>>(true);

// Async tasks resolve to their promise's value.
const waited = of(1).pipe(poolMap(pool, 'delayed'), results());
waited.subscribe(({ value }) => expectType<string>(value));

// Several arguments travel as WorkRequests, typed as the task's parameters.
of(...makeRequests([[1, 2] as [number, number]])).pipe(poolMap(pool, 'add'));
of(workRequest([1, 2])).pipe(poolMap(pool, 'add'));

// Errors and results split into typed streams.
const { results$, errors$ } = splitOutcomes(doubled);
results$.subscribe(({ request, value }) => {
  expectType<number>(value);
  expectType<readonly [number]>(request.args);
});
errors$.subscribe(({ error }) => expectType<Error>(error));
of(1)
  .pipe(poolMap(pool, 'failIfOdd'), errors())
  .subscribe(({ error }) => expectType<string>((error as TaskError).code));

// @ts-expect-error: a task name the worker module does not expose
poolMap(pool, 'tripple');

// @ts-expect-error: the wrong argument type
of('one').pipe(poolMap(pool, 'double'));

// @ts-expect-error: a two-argument task needs a WorkRequest, not a plain value
of(1).pipe(poolMap(pool, 'add'));

// @ts-expect-error: a WorkRequest with the wrong argument types
of(workRequest(['a', 'b'])).pipe(poolMap(pool, 'add'));

// @ts-expect-error: the result is a number, not a string
doubled.pipe(results()).subscribe(({ value }) => expectType<string>(value));

// Generator tasks: the returned value is the result; yields are progress, only with progress: true.
const featurePool = createPool<FeatureTasks>('/abs/features.worker.js');
const hashed = of(workRequest([3, 10] as [number, number])).pipe(poolMap(featurePool, 'hashChunks'));
hashed.pipe(results()).subscribe(({ value }) => expectType<string>(value));
const withProgress = of(workRequest([3, 10] as [number, number])).pipe(poolMap(featurePool, 'hashChunks', { progress: true }));
withProgress.pipe(progress()).subscribe((item) => assertEqual<typeof item, Progress<[chunks: number, ms: number], number>>(true));
withProgress.pipe(results()).subscribe(({ value }) => expectType<string>(value));
withProgress.subscribe((item) => {
  // @ts-expect-error: with progress: true an item may be progress, which has no error
  void item.error;
  if (item.ok === false) expectType<Error>(item.error);
});

// createPool.fromFunctions: typed from the object of functions, as a worker module's `typeof tasks`.
const inline = createPool.fromFunctions({
  fib(n: number): number {
    return n < 2 ? n : this.fib(n - 1) + this.fib(n - 2); // `this` is the tasks object
  },
  async hash(text: string): Promise<string> {
    return text;
  },
});
const fibs = of(30, 31).pipe(poolMap(inline, 'fib'));
assertEqual<typeof fibs, Observable<Outcome<[n: number], number>>>(true);
of('a')
  .pipe(poolMap(inline, 'hash'), results())
  .subscribe(({ value }) => expectType<string>(value));

// @ts-expect-error: fib takes a number
of('thirty').pipe(poolMap(inline, 'fib'));

// @ts-expect-error: no task of that name among the functions
of(1).pipe(poolMap(inline, 'fibonacci'));

createPool.fromFunctions({
  fib(n: number): number {
    // @ts-expect-error: `this` is the tasks object, whose fib takes a number
    return this.fib(String(n));
  },
});

// A queue pool (rxjs-threadpool/bullmq) is typed from the worker module the hosts serve, as a thread pool is.
const queuePool = createQueuePool<QueueTasks>({ connection: 'redis://127.0.0.1:6379', queue: 'q' });
const incremented = of(1, 2).pipe(poolMap(queuePool, 'inc'));
assertEqual<typeof incremented, Observable<Outcome<[x: number], number>>>(true);
of(...makeRequests([[1, 0.5] as [number, number]])).pipe(poolMap(queuePool, 'work'));
// @ts-expect-error: the worker module has no task of that name
of(1).pipe(poolMap(queuePool, 'nope'));
// @ts-expect-error: inc takes a number
of('x').pipe(poolMap(queuePool, 'inc'));
// @ts-expect-error: queue is required
createQueuePool<QueueTasks>({ connection: 'redis://127.0.0.1:6379' });

// Stream tasks (poolPipe): the input and output types flow from streamTask's operator; the key is typed by the input.
const streamPool = createPool<StreamTasks>('/abs/streams.worker.js');
const sums = of<Event>({ key: 'a', n: 1 }).pipe(poolPipe(streamPool, 'sums', { key: (event) => event.key }));
assertEqual<typeof sums, Observable<StreamOutcome<string>>>(true);
sums.pipe(results()).subscribe(({ key, value }) => {
  expectType<string | number | undefined>(key);
  expectType<string>(value);
});
splitOutcomes(sums).errors$.subscribe(({ error }) => expectType<string>(error.code));
// @ts-expect-error: threadId is a plain task, not a stream task
of<Event>({ key: 'a', n: 1 }).pipe(poolPipe(streamPool, 'threadId'));
// @ts-expect-error: the key function gets the stream task's input
of<Event>({ key: 'a', n: 1 }).pipe(poolPipe(streamPool, 'sums', { key: (event: number) => event }));
