/**
 * A Node worker's captured stdout or stderr, line by line (for
 * `pool.events$`'s `workerOutput`). Reads the stream by its shape, so no
 * Node module is imported (the thread executor is bundled for browsers,
 * whose workers have no such streams).
 *
 * @module
 */

/** The part of a Node readable stream this reads. */
interface TextStream {
  setEncoding(encoding: 'utf8'): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

function isTextStream(value: unknown): value is TextStream {
  return (
    typeof value === 'object' && value !== null && typeof (value as TextStream).on === 'function' && typeof (value as TextStream).setEncoding === 'function'
  );
}

/** Calls `line` with each line written to `stream` (a worker's captured stdout or stderr), without its line break. */
export function captureLines(stream: unknown, line: (text: string) => void): void {
  if (!isTextStream(stream)) return;
  stream.setEncoding('utf8');
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const each of lines) line(each.endsWith('\r') ? each.slice(0, -1) : each);
  });
  stream.on('end', () => {
    if (rest !== '') line(rest);
    rest = '';
  });
}
