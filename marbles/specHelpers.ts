/**
 * What the marble specs share (not part of the package: the build configs
 * leave this file out, as they leave out the specs).
 */
import { TestScheduler } from 'rxjs/testing';

/** A TestScheduler that compares frames with Jest's `toEqual`. */
export function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * Silences `console.error` around each test of the file, and returns its
 * spy: failures nobody subscribed to are printed there, and specs assert on it.
 */
export function silencedConsoleErrors(): { readonly spy: jest.SpyInstance } {
  const holder: { spy: jest.SpyInstance } = { spy: undefined as unknown as jest.SpyInstance };
  beforeEach(() => {
    holder.spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => holder.spy.mockRestore());
  return holder;
}
