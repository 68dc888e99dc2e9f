/**
 * The work every system runs in the benchmark: the same three functions, in
 * every pool's own worker format (see workers/).
 */

/** The tiny workload: a request costs almost nothing, so dispatch is all that is measured. */
export function inc(x: number): number {
  return x + 1;
}

/** The cpu workload: a fixed amount of arithmetic (calibrated to about 20 ms). */
export function burn(iterations: number): number {
  let acc = 0;
  for (let i = 0; i < iterations; i++) acc = (acc + Math.sqrt(i) * 1.000001) % 1_000_003;
  return acc;
}

/** The payload workload: sums a Float64Array. */
export function sum(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

/** A message for the peers that take one argument: which function, and its argument. */
export interface Call {
  readonly op: 'inc' | 'burn' | 'sum';
  readonly x: number | Float64Array;
}

/** Runs a {@link Call}. */
export function dispatch(call: Call): number {
  switch (call.op) {
    case 'inc':
      return inc(call.x as number);
    case 'burn':
      return burn(call.x as number);
    case 'sum':
      return sum(call.x as Float64Array);
  }
}
