// Tiny server-side SVG charts (bar, scatter, line) with axes, ticks, labels and a legend; no browser needed.

export interface ChartSize {
  widthPx?: number;
  heightPx?: number;
}
export interface BarChartInput extends ChartSize {
  title: string;
  categories: string[];
  /** One bar per series in each category; undefined leaves a gap (a failed run). */
  series: { name: string; values: (number | undefined)[] }[];
  yLabel: string;
  /** Written at a category where every series is missing, e.g. `failed`. */
  missingLabel?: string;
}
export interface ScatterChartInput extends ChartSize {
  title: string;
  series: { name: string; points: { x: number; y: number }[] }[];
  xLabel: string;
  yLabel: string;
}
export interface LineChartInput extends ChartSize {
  title: string;
  /** Evenly spaced x positions, e.g. one per nightly sweep. */
  xLabels: string[];
  series: { name: string; values: (number | undefined)[] }[];
  yLabel: string;
}

/** Colour-blind-safe (Okabe-Ito), cycled. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;
const FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#333"';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** About `count` round tick values (1, 2 or 5 x 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + (min === 0 ? 1 : Math.abs(min) * 0.1);
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function formatTick(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  return value.toFixed(Math.max(0, -Math.floor(Math.log10(step))));
}

interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Title, legend rows (wrapped), and the plot area left for the data. */
function frame(size: ChartSize, names: string[], rotateX: boolean): { frame: Frame; header: string } {
  const width = size.widthPx ?? 640;
  const height = size.heightPx ?? 320;
  const items: string[] = [];
  let x = 64;
  let y = 40;
  for (const [i, name] of names.entries()) {
    const itemWidth = 20 + name.length * 6.5 + 16;
    if (x + itemWidth > width - 16 && x > 64) {
      x = 64;
      y += 16;
    }
    items.push(
      `<g class="legend-item"><rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colour(i)}"/>` +
        `<text x="${x + 14}" y="${y}" ${FONT}>${escapeXml(name)}</text></g>`,
    );
    x += itemWidth;
  }
  const top = names.length ? y + 14 : 36;
  const f = { width, height, left: 64, top, right: width - 28, bottom: height - (rotateX ? 64 : 44) };
  return { frame: f, header: `<g class="legend">${items.join('')}</g>` };
}

function svgOpen(f: Frame, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img">` +
    `<title>${escapeXml(title)}</title><rect width="100%" height="100%" fill="#fff"/>` +
    `<text x="${f.width / 2}" y="18" text-anchor="middle" font-family="system-ui, sans-serif" font-size="14" font-weight="600" fill="#111">${escapeXml(title)}</text>`
  );
}

/** Y axis with grid lines and its label; returns the scale. */
function yAxis(f: Frame, ticks: number[], label: string): { svg: string; y: (v: number) => number } {
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const y = (v: number) => f.bottom - ((v - lo) / (hi - lo)) * (f.bottom - f.top);
  const lines = ticks.map(
    (t) =>
      `<line x1="${f.left}" x2="${f.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>` +
      `<text x="${f.left - 6}" y="${y(t) + 4}" text-anchor="end" ${FONT}>${formatTick(t, ticks)}</text>`,
  );
  const mid = (f.top + f.bottom) / 2;
  return {
    y,
    svg:
      `<g class="y-axis">${lines.join('')}<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.bottom}" stroke="#333"/>` +
      `<text transform="translate(16 ${mid}) rotate(-90)" text-anchor="middle" ${FONT}>${escapeXml(label)}</text></g>`,
  };
}

function xCategoryLabels(f: Frame, labels: string[], centre: (i: number) => number, rotate: boolean): string {
  const texts = labels.map((label, i) => {
    const x = centre(i);
    const y = f.bottom + 16;
    const transform = rotate ? ` transform="rotate(-30 ${x} ${y})"` : '';
    return `<text x="${x}" y="${y}" text-anchor="${rotate ? 'end' : 'middle'}"${transform} ${FONT}>${escapeXml(label)}</text>`;
  });
  return `<g class="x-axis"><line x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}" stroke="#333"/>${texts.join('')}</g>`;
}

function noData(f: Frame): string {
  return `<text x="${f.width / 2}" y="${(f.top + f.bottom) / 2}" text-anchor="middle" ${FONT}>no data</text>`;
}

const finiteValues = (values: (number | undefined)[]) =>
  values.filter((v): v is number => v !== undefined && Number.isFinite(v));

/**
 * The start of a chart of series values over categories: the frame with its legend and a y axis from 0
 * (or below) to the largest value; or, without any finite value, the whole (no-data) chart.
 */
function valueChart(
  input: BarChartInput | LineChartInput,
  rotate: boolean,
): { f: Frame; open: string; axis: ReturnType<typeof yAxis> } | { empty: string } {
  const { frame: f, header } = frame(
    input,
    input.series.map((s) => s.name),
    rotate,
  );
  const values = finiteValues(input.series.flatMap((s) => s.values));
  if (values.length === 0) return { empty: `${svgOpen(f, input.title)}${header}${noData(f)}</svg>` };
  const axis = yAxis(f, niceTicks(Math.min(0, ...values), Math.max(...values)), input.yLabel);
  return { f, open: `${svgOpen(f, input.title)}${header}${axis.svg}`, axis };
}

export function barChart(input: BarChartInput): string {
  const rotate = input.categories.some((c) => c.length > 10) || input.categories.length > 8;
  const chart = valueChart(input, rotate);
  if ('empty' in chart) return chart.empty;
  const { f, axis } = chart;
  const slot = (f.right - f.left) / input.categories.length;
  const barWidth = (slot * 0.8) / Math.max(1, input.series.length);
  const bars = input.series.flatMap((series, si) =>
    series.values.map((v, ci) => {
      if (v === undefined || !Number.isFinite(v)) return '';
      const x = f.left + ci * slot + slot * 0.1 + si * barWidth;
      const top = Math.min(axis.y(v), axis.y(0));
      const label = `${series.name} / ${input.categories[ci]}: ${v.toPrecision(4)}`;
      return `<rect class="bar" x="${x}" y="${top}" width="${barWidth}" height="${Math.abs(axis.y(0) - axis.y(v))}" fill="${colour(si)}"><title>${escapeXml(label)}</title></rect>`;
    }),
  );
  const missing = input.categories.map((_, ci) =>
    input.series.every((s) => s.values[ci] === undefined || !Number.isFinite(s.values[ci]!))
      ? `<text class="missing" x="${f.left + (ci + 0.5) * slot}" y="${axis.y(0) - 8}" text-anchor="middle" ${FONT}>${escapeXml(input.missingLabel ?? 'no data')}</text>`
      : '',
  );
  const xLabels = xCategoryLabels(f, input.categories, (i) => f.left + (i + 0.5) * slot, rotate);
  return `${chart.open}<g class="bars">${bars.join('')}${missing.join('')}</g>${xLabels}</svg>`;
}

export function scatterChart(input: ScatterChartInput): string {
  const { frame: f, header } = frame(
    input,
    input.series.map((s) => s.name),
    false,
  );
  const points = input.series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (points.length === 0) return `${svgOpen(f, input.title)}${header}${noData(f)}</svg>`;
  const yTicks = niceTicks(Math.min(0, ...points.map((p) => p.y)), Math.max(...points.map((p) => p.y)));
  const xTicks = niceTicks(Math.min(0, ...points.map((p) => p.x)), Math.max(...points.map((p) => p.x)));
  const axis = yAxis(f, yTicks, input.yLabel);
  const [xLo, xHi] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const x = (v: number) => f.left + ((v - xLo) / (xHi - xLo)) * (f.right - f.left);
  const xAxis =
    `<g class="x-axis"><line x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}" stroke="#333"/>` +
    xTicks
      .map(
        (t) =>
          `<text x="${x(t)}" y="${f.bottom + 16}" text-anchor="middle" ${FONT}>${formatTick(t, xTicks)}</text>`,
      )
      .join('') +
    `<text x="${(f.left + f.right) / 2}" y="${f.bottom + 34}" text-anchor="middle" ${FONT}>${escapeXml(input.xLabel)}</text></g>`;
  const dots = input.series.flatMap((s, si) =>
    s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .map(
        (p) =>
          `<circle class="point" cx="${x(p.x)}" cy="${axis.y(p.y)}" r="3.5" fill="${colour(si)}" fill-opacity="0.8"/>`,
      ),
  );
  return `${svgOpen(f, input.title)}${header}${axis.svg}${xAxis}<g class="points">${dots.join('')}</g></svg>`;
}

export function lineChart(input: LineChartInput): string {
  const rotate = input.xLabels.some((l) => l.length > 8) || input.xLabels.length > 10;
  const chart = valueChart(input, rotate);
  if ('empty' in chart) return chart.empty;
  const { f, axis } = chart;
  const slot = (f.right - f.left) / Math.max(1, input.xLabels.length);
  const x = (i: number) => f.left + (i + 0.5) * slot;
  const lines = input.series.map((s, si) => {
    // A missing value (a failed night) breaks the line rather than bridging it.
    const segments: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) segments.push([]);
      else segments[segments.length - 1]!.push(`${x(i)},${axis.y(v)}`);
    });
    const paths = segments
      .filter((seg) => seg.length > 1)
      .map(
        (seg) =>
          `<polyline class="line" points="${seg.join(' ')}" fill="none" stroke="${colour(si)}" stroke-width="2"/>`,
      );
    const dots = s.values.map((v, i) =>
      v === undefined || !Number.isFinite(v)
        ? ''
        : `<circle class="point" cx="${x(i)}" cy="${axis.y(v)}" r="3" fill="${colour(si)}"/>`,
    );
    return `<g class="series">${paths.join('')}${dots.join('')}</g>`;
  });
  // Label every nth x tick so long histories stay readable.
  const every = Math.ceil(input.xLabels.length / 12);
  const labels = input.xLabels.map((l, i) => (i % every === 0 ? l : ''));
  return `${chart.open}${lines.join('')}${xCategoryLabels(f, labels, x, rotate)}</svg>`;
}
