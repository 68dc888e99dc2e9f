import { Rotation } from '../../src/scheduler/rotation';

interface P {
  readonly name: string;
  readonly priority: number;
  readonly ranked: boolean;
}
const p = (name: string, priority = 0): P => ({ name, priority, ranked: priority !== 0 });
const always = (): boolean => true;

/** The names of the next `n` turns, each one taken (`passed`). */
function turns(rotation: Rotation<P>, n: number, mayStart: (x: P) => boolean = always): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = rotation.next(mayStart);
    names.push(next?.name ?? '-');
    rotation.passed();
  }
  return names;
}

describe('Rotation', () => {
  it('gives pipelines of equal priority one turn each, round-robin', () => {
    const rotation = new Rotation<P>();
    for (const name of ['a', 'b', 'c']) rotation.add(p(name));
    expect(turns(rotation, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('serves the highest priority with work first, and takes turns among equals', () => {
    const rotation = new Rotation<P>();
    rotation.add(p('low', -1));
    rotation.add(p('x', 2));
    rotation.add(p('y', 2));
    rotation.add(p('mid'));
    expect(turns(rotation, 4)).toEqual(['x', 'y', 'x', 'y']);
  });

  it('skips pipelines that may not start now, and those asked to wait', () => {
    const rotation = new Rotation<P>();
    const a = p('a');
    const b = p('b');
    const c = p('c');
    for (const x of [a, b, c]) rotation.add(x);
    expect(turns(rotation, 3, (x) => x !== b)).toEqual(['a', 'c', 'a']);
    expect(rotation.next(always, new Set([a, b, c]))).toBeUndefined();
  });

  it('adds a member once, and keeps the turn order when one leaves', () => {
    const rotation = new Rotation<P>();
    const a = p('a');
    const b = p('b');
    const c = p('c');
    for (const x of [a, b, c, a]) rotation.add(x);
    expect(rotation.size).toBe(3);
    expect(turns(rotation, 2)).toEqual(['a', 'b']);
    rotation.remove(a);
    rotation.remove(a);
    expect(turns(rotation, 3)).toEqual(['c', 'b', 'c']);
    expect(rotation.clear()).toEqual([b, c]);
    expect(rotation.next(always)).toBeUndefined();
  });

  it('forgets a removed member’s priority', () => {
    const rotation = new Rotation<P>();
    const urgent = p('urgent', 5);
    rotation.add(urgent);
    rotation.add(p('a'));
    rotation.add(p('b'));
    expect(turns(rotation, 1)).toEqual(['urgent']);
    rotation.remove(urgent);
    expect(turns(rotation, 3)).toEqual(['a', 'b', 'a']);
  });

  it('ages a waiting pipeline: one of priority 0 gains 1 per 100 requests started since its last turn, so it still runs under a steady higher one', () => {
    let starts = 0;
    const rotation = new Rotation<P>(() => starts);
    rotation.add(p('high', 1));
    rotation.add(p('low', 0));
    const order: string[] = [];
    // Each turn starts 10 requests: after 100 started while it waited, low has caught up with high (and wins the tie by its place).
    for (let i = 0; i < 12; i++) {
      const next = rotation.next(always)!;
      order.push(next.name);
      rotation.passed();
      starts += 10;
    }
    expect(order.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 'high'));
    expect(order).toContain('low');
  });
});
