// Re-entrancy (marbles): a source fed from inside the output's subscriber, or completed from inside an emission.
import { Observable, type OperatorFunction, startWith, Subject, tap } from 'rxjs';
import { doubled, openPool, reference, testScheduler, useVirtualTime, viaPool } from './specHelpers';

useVirtualTime();

describe('mergeMap contract: re-entrancy', () => {
  /** Subscribes `stage` to a Subject started with 1; each outcome (2x) feeds x + 1 back until x = 4, then completes it. */
  function feedBackFromSubscriber(stage: OperatorFunction<number, unknown>): string[] {
    const log: string[] = [];
    const requests = new Subject<number>();
    requests.pipe(startWith(1), stage).subscribe({
      next: (value) => {
        log.push(`${testScheduler.now()} ${value}`);
        const x = (value as number) / 2;
        if (x < 4) requests.next(x + 1);
        else requests.complete();
      },
      error: (error) => log.push(`${testScheduler.now()} error ${error}`),
      complete: () => log.push(`${testScheduler.now()} |`),
    });
    return log;
  }

  test('a Subject source nexted from inside the output’s subscriber: each outcome brings the next request', () => {
    testScheduler.run(({ flush }) => {
      const { pool } = openPool(1, 2);
      const viaPoolLog = feedBackFromSubscriber(viaPool(pool));
      const referenceLog = feedBackFromSubscriber(reference(1, 2));
      flush();
      expect(referenceLog).toEqual(['2 2', '4 4', '6 6', '8 8', '8 |']);
      expect(viaPoolLog).toEqual(referenceLog);
    });
  });

  test('completing the source from inside an outcome’s emission does not cut that outcome off', () => {
    // The feedback runs in a tap, before the outcome travels on: the source completes while the last
    // outcome is being emitted, and that outcome must still come out before the completion.
    testScheduler.run(({ expectObservable }) => {
      const { pool } = openPool(1, 2);
      const feedBack = (stage: OperatorFunction<number, unknown>): Observable<unknown> => {
        const requests = new Subject<number>();
        return requests.pipe(
          startWith(1),
          stage,
          tap((value) => {
            const x = (value as number) / 2;
            if (x < 4) requests.next(x + 1);
            else requests.complete();
          }),
        );
      };
      const expected = '--a-b-c-(d|)';
      expectObservable(feedBack(viaPool(pool))).toBe(expected, doubled);
      expectObservable(feedBack(reference(1, 2))).toBe(expected, doubled);
    });
  });

  test('outcomes that feed two requests each (an expand-like tree) over two workers, the source completed from inside an emission', () => {
    testScheduler.run(({ flush }) => {
      const { pool } = openPool(2, 2);
      const tree = (stage: OperatorFunction<number, unknown>): string[] => {
        const log: string[] = [];
        const requests = new Subject<number>();
        let fed = 1;
        requests.pipe(startWith(1), stage).subscribe({
          next: (value) => {
            const x = (value as number) / 2;
            log.push(`${testScheduler.now()} ${x}`);
            if (x >= 4) return;
            requests.next(2 * x);
            requests.next(2 * x + 1);
            fed += 2;
            if (fed === 7) requests.complete();
          },
          complete: () => log.push(`${testScheduler.now()} |`),
        });
        return log;
      };
      const viaPoolLog = tree(viaPool(pool));
      const referenceLog = tree(reference(2, 2));
      flush();
      expect(referenceLog).toEqual(['2 1', '4 2', '4 3', '6 4', '6 5', '8 6', '8 7', '8 |']);
      expect(viaPoolLog).toEqual(referenceLog);
    });
  });
});
