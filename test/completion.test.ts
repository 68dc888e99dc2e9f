// Completion: poolMap's stream completes once its source has completed and every outcome is out.
import { Subject } from 'rxjs';
import { poolMap } from '../operators';
import { closePools, tasksPool } from './helpers';

afterEach(closePools);

describe('completion on real workers', () => {
  test('the stream completes only after the source completes and every outcome is out', async () => {
    const pool = tasksPool({ size: 2 });
    const source = new Subject<number>();
    let completed = false;
    const outcomes: unknown[] = [];
    // How many outcomes were out when the stream completed.
    let outAtCompletion = -1;
    const done = new Promise<void>((resolve) =>
      source.pipe(poolMap(pool, 'delayed')).subscribe({
        next: (outcome) => outcomes.push(outcome),
        complete: () => {
          completed = true;
          outAtCompletion = outcomes.length;
          resolve();
        },
      }),
    );
    source.next(30);
    source.next(30);
    source.complete();
    expect(completed).toBe(false);
    await done;
    expect(outAtCompletion).toBe(2);
    expect(outcomes).toHaveLength(2);
  });
});
