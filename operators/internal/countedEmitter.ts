/**
 * How `poolMap` and `poolPipe` hand an outcome to their subscriber: they
 * count the emissions under way, so that a source completed from inside one
 * (a feedback loop) does not complete the output before that outcome is
 * out, and look again whether the output is done after each.
 *
 * @module
 */
import type { Subscriber } from 'rxjs';

/** Emits to one subscriber, counting the emissions under way; `after` runs after each (the output may be done). */
export class CountedEmitter<T> {
  /** Emissions under way (more than one when a subscriber's `next` leads to another). */
  emitting = 0;

  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly after: () => void,
  ) {}

  readonly emit = (value: T): void => {
    this.emitting++;
    try {
      this.subscriber.next(value);
    } finally {
      this.emitting--;
    }
    this.after();
  };
}
