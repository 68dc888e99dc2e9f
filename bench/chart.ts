/**
 * Hand-made SVG line charts for the scaling benchmark (`npm run bench -- --scaling`):
 * a figure is a title, a legend and one or more panels side by side, each panel
 * a plot with linear or logarithmic axes and one line per system. No
 * dependency; the output is a self-contained SVG with a white background, so
 * it reads the same on GitHub's light and dark themes.
 */

/** How a line's points are marked. */
export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'none';

/** One axis of a panel. */
export interface Axis {
  /** The axis title, units included (e.g. `requests / s`). */
  readonly label: string;
  readonly scale: 'linear' | 'log';
  /** Tick positions; by default decades (log, with 2 and 5 when the range is short) or a 1–2–5 step (linear). */
  readonly ticks?: readonly number[];
  /** How a tick is labelled; by default {@link formatNumber}. */
  readonly format?: (value: number) => string;
  /** Forces the lower end of the axis (otherwise the data's, padded). */
  readonly min?: number;
  /** Forces the upper end of the axis (otherwise the data's, padded). */
  readonly max?: number;
}

/** How one system (or a reference line) is drawn; shared by every panel of a figure and shown in its legend. */
export interface LineStyle {
  readonly name: string;
  /** A CSS colour, dark enough to read on white. */
  readonly color: string;
  readonly marker: Marker;
  /** Drawn dashed (reference lines such as "ideal"). */
  readonly dashed?: boolean;
}

/**
 * One line of a panel: a style's name and its points (points with a
 * non-finite y, or y ≤ 0 on a log axis, are left out). A `hollow` point is
 * drawn as an outline only (the scaling benchmark marks points measured
 * while other load shared the machine).
 */
export interface Line {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly hollow?: boolean }[];
}

/** One plot of a figure. */
export interface Panel {
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly lines: readonly Line[];
}

/** A whole chart: what {@link renderFigure} draws. */
export interface Figure {
  readonly title: string;
  /** A second line under the title (machine, date). */
  readonly subtitle?: string;
  /** Every line's style, in legend order; a panel's line with no style here is not drawn. */
  readonly styles: readonly LineStyle[];
  readonly panels: readonly Panel[];
  /** Lines of small text under the panels (how the figures were measured). */
  readonly notes?: readonly string[];
}

const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 330;
const MARGIN = { left: 72, right: 22, top: 30, bottom: 52 };
const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/**
 * A short label for `value`: SI suffixes from a thousand up (`1.5k`, `10M`),
 * at most three significant digits below.
 */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  const units: readonly [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) if (abs >= size) return `${trim(value / size)}${suffix}`;
  return trim(value);
}

/** A byte count as `1 KiB`, `16 MiB` (powers of two), or `512 B`. */
export function formatBytes(value: number): string {
  if (value >= 2 ** 30) return `${trim(value / 2 ** 30)} GiB`;
  if (value >= 2 ** 20) return `${trim(value / 2 ** 20)} MiB`;
  if (value >= 2 ** 10) return `${trim(value / 2 ** 10)} KiB`;
  return `${trim(value)} B`;
}

function trim(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toFixed(abs < 0.001 ? 6 : digits);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Splits `text` into lines of at most `columns` characters, at spaces. */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Escapes text for SVG content and attribute values. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

interface Scale {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Maps a value to 0..1 along the axis. */
  readonly position: (value: number) => number;
}

function linearTicks(min: number, max: number): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const decades = Math.log10(max / min);
  const multipliers = decades < 0.5 ? [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9] : decades < 1.2 ? [1, 1.5, 2, 3, 5, 7] : decades < 2.5 ? [1, 2, 5] : [1];
  const step = decades >= 7 ? 2 : 1;
  const ticks: number[] = [];
  for (let p = low; p <= high; p += step) {
    for (const m of multipliers) {
      const t = m * 10 ** p;
      if (t >= min * 0.999 && t <= max * 1.001) ticks.push(Number(t.toPrecision(12)));
    }
  }
  return ticks;
}

function makeScale(axis: Axis, values: readonly number[]): Scale {
  const usable = values.filter((v) => Number.isFinite(v) && (axis.scale === 'linear' || v > 0));
  let min = axis.min ?? (usable.length ? Math.min(...usable) : 1);
  let max = axis.max ?? (usable.length ? Math.max(...usable) : 10);
  if (axis.scale === 'log') {
    if (min === max) [min, max] = [min / 2, max * 2];
    const pad = Math.log10(max / min) * 0.06 || 0.1;
    if (axis.min === undefined) min = min / 10 ** pad;
    if (axis.max === undefined) max = max * 10 ** pad;
    const ticks = axis.ticks?.filter((t) => t >= min && t <= max) ?? logTicks(min, max);
    return { min, max, ticks, position: (v) => Math.log10(v / min) / Math.log10(max / min) };
  }
  if (min === max) [min, max] = [min - 1, max + 1];
  const pad = (max - min) * 0.06;
  if (axis.min === undefined) min -= pad;
  if (axis.max === undefined) max += pad;
  const ticks = axis.ticks?.filter((t) => t >= min && t <= max) ?? linearTicks(min, max);
  return { min, max, ticks, position: (v) => (v - min) / (max - min) };
}

/** The SVG of one marker centred on (x, y). */
function marker(shape: Marker, x: number, y: number, color: string, hollow = false): string {
  const stroke = hollow ? `fill="#fff" stroke="${color}" stroke-width="1.8"` : `fill="${color}" stroke="#fff" stroke-width="1.2"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${round(x)}" cy="${round(y)}" r="4.2" ${stroke}/>`;
    case 'square':
      return `<rect x="${round(x - 4)}" y="${round(y - 4)}" width="8" height="8" ${stroke}/>`;
    case 'triangle':
      return `<path d="M${round(x)},${round(y - 5)}L${round(x + 5)},${round(y + 4)}L${round(x - 5)},${round(y + 4)}Z" ${stroke}/>`;
    case 'diamond':
      return `<path d="M${round(x)},${round(y - 5.5)}L${round(x + 5)},${round(y)}L${round(x)},${round(y + 5.5)}L${round(x - 5)},${round(y)}Z" ${stroke}/>`;
    case 'none':
      return '';
  }
}

function renderPanel(panel: Panel, styles: ReadonlyMap<string, LineStyle>, id: string): string {
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const drawn = panel.lines.filter((line) => styles.has(line.name));
  const visible = (axis: Axis, v: number): boolean => Number.isFinite(v) && (axis.scale === 'linear' || v > 0);
  const points = drawn.flatMap((line) => line.points.filter((p) => visible(panel.x, p.x) && visible(panel.y, p.y)));
  const xs = makeScale(
    panel.x,
    points.map((p) => p.x),
  );
  const ys = makeScale(
    panel.y,
    points.map((p) => p.y),
  );
  const px = (v: number): number => MARGIN.left + xs.position(v) * width;
  const py = (v: number): number => MARGIN.top + (1 - ys.position(v)) * height;
  const xFormat = panel.x.format ?? formatNumber;
  const yFormat = panel.y.format ?? formatNumber;
  const out: string[] = [];
  out.push(`<text x="${MARGIN.left + width / 2}" y="18" text-anchor="middle" font-weight="600" font-size="14">${escape(panel.title)}</text>`);
  out.push(`<clipPath id="${id}"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${width}" height="${height}"/></clipPath>`);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${width}" height="${height}" fill="#fafafa" stroke="#888"/>`);
  for (const t of xs.ticks) {
    const x = round(px(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + height}" stroke="#e2e2e2"/>`);
    out.push(`<line x1="${x}" y1="${MARGIN.top + height}" x2="${x}" y2="${MARGIN.top + height + 5}" stroke="#888"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + height + 18}" text-anchor="middle" fill="#333">${escape(xFormat(t))}</text>`);
  }
  for (const t of ys.ticks) {
    const y = round(py(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + width}" y2="${y}" stroke="#e2e2e2"/>`);
    out.push(`<line x1="${MARGIN.left - 5}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="#888"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${round(py(t) + 4)}" text-anchor="end" fill="#333">${escape(yFormat(t))}</text>`);
  }
  const xLabel = `${panel.x.label}${panel.x.scale === 'log' ? ' (log)' : ''}`;
  const yLabel = `${panel.y.label}${panel.y.scale === 'log' ? ' (log)' : ''}`;
  out.push(`<text x="${MARGIN.left + width / 2}" y="${PANEL_HEIGHT - 12}" text-anchor="middle" fill="#222">${escape(xLabel)}</text>`);
  const yMid = MARGIN.top + height / 2;
  out.push(`<text transform="translate(16 ${yMid}) rotate(-90)" text-anchor="middle" fill="#222">${escape(yLabel)}</text>`);
  out.push(`<g clip-path="url(#${id})">`);
  for (const line of drawn) {
    const style = styles.get(line.name) as LineStyle;
    const kept = line.points.filter((p) => visible(panel.x, p.x) && visible(panel.y, p.y)).sort((a, b) => a.x - b.x);
    if (kept.length > 1) {
      const d = kept.map((p, i) => `${i ? 'L' : 'M'}${round(px(p.x))},${round(py(p.y))}`).join('');
      const dash = style.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(`<path d="${d}" fill="none" stroke="${style.color}" stroke-width="2.2" stroke-linejoin="round"${dash}/>`);
    }
    for (const p of kept) out.push(marker(style.marker, px(p.x), py(p.y), style.color, p.hollow));
  }
  out.push('</g>');
  return out.join('\n');
}

/**
 * Draws `figure` as a standalone SVG document: the title and subtitle, a
 * legend of every style, the panels side by side (each 460 × 330 px) and the
 * notes. Log axes get decade ticks; every text is escaped.
 *
 * @returns the SVG text, ending with a newline.
 */
export function renderFigure(figure: Figure): string {
  const styles = new Map(figure.styles.map((style) => [style.name, style]));
  const width = Math.max(1, figure.panels.length) * PANEL_WIDTH;
  // The legend: entries flow left to right, wrapping to a new row when full.
  const legend: string[] = [];
  const legendTop = figure.subtitle ? 62 : 44;
  let x = 20;
  let row = 0;
  for (const style of figure.styles) {
    const entryWidth = 50 + style.name.length * 6.9;
    if (x + entryWidth > width - 10 && x > 20) {
      x = 20;
      row++;
    }
    const y = legendTop + row * 22;
    const dash = style.dashed ? ' stroke-dasharray="6 4"' : '';
    legend.push(`<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${style.color}" stroke-width="2.2"${dash}/>`);
    legend.push(marker(style.marker, x + 14, y, style.color));
    legend.push(`<text x="${x + 36}" y="${y + 4.5}" fill="#222">${escape(style.name)}</text>`);
    x += entryWidth;
  }
  const panelsTop = legendTop + (row + 1) * 22;
  const notes = (figure.notes ?? []).flatMap((note) => wrap(note, Math.floor((width - 40) / 6.2)));
  const height = panelsTop + PANEL_HEIGHT + (notes.length ? 10 + notes.length * 16 : 6);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12.5">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="26" font-size="17" font-weight="700" fill="#111">${escape(figure.title)}</text>`);
  if (figure.subtitle) out.push(`<text x="20" y="45" fill="#555">${escape(figure.subtitle)}</text>`);
  out.push(...legend);
  figure.panels.forEach((panel, i) => {
    out.push(`<g transform="translate(${i * PANEL_WIDTH} ${panelsTop})">`);
    out.push(renderPanel(panel, styles, `plot${i}`));
    out.push('</g>');
  });
  notes.forEach((note, i) => {
    out.push(`<text x="20" y="${panelsTop + PANEL_HEIGHT + 14 + i * 16}" font-size="11.5" fill="#555">${escape(note)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
