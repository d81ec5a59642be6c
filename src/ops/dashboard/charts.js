// Two small SVG charts drawn by hand: no chart library is installed and the page has no build step.
const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A rounded-up axis maximum: 1, 2, 5 × 10^n. */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function format(value) {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toPrecision(2)));
}

function legend(names) {
  const box = document.createElement('div');
  box.className = 'legend';
  names.forEach(({ name, color }) => {
    const item = document.createElement('span');
    const swatch = svg('svg', { viewBox: '0 0 10 10' });
    swatch.append(svg('rect', { width: 10, height: 10, fill: color }));
    item.append(swatch, document.createTextNode(name));
    box.append(item);
  });
  return box;
}

/**
 * Lines over time. series: [{ name, color, points: [[timeMs, value]] }]; the x axis spans `spanMs` up to `now`.
 * The host gets data-points (points drawn) and data-max (largest value), which the browser test reads.
 */
export function lineChart(host, { series, now, spanMs, emptyText = 'no data yet' }) {
  const W = 480, H = 170, L = 44, R = 8, T = 8, B = 20;
  host.replaceChildren();
  const drawn = series.filter((s) => s.points.length > 0);
  const max = Math.max(0, ...drawn.flatMap((s) => s.points.map(([, v]) => v)));
  host.dataset.points = String(drawn.reduce((n, s) => n + s.points.length, 0));
  host.dataset.max = String(max);
  if (drawn.length === 0) {
    host.append(Object.assign(document.createElement('p'), { className: 'empty', textContent: emptyText }));
    return;
  }
  const top = niceMax(max);
  const x = (t) => L + ((t - (now - spanMs)) / spanMs) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    chart.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(value), y2: y(value) }));
    chart.append(svg('text', { x: L - 4, y: y(value) + 3, 'text-anchor': 'end' }, format(value)));
  }
  chart.append(svg('text', { x: L, y: H - 4 }, `−${Math.round(spanMs / 1000)} s`));
  chart.append(svg('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }, 'now'));
  for (const s of drawn) {
    const points = s.points.filter(([t]) => t >= now - spanMs).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    chart.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name }));
    if (points.length === 1) chart.append(svg('circle', { cx: points[0].split(',')[0], cy: points[0].split(',')[1], r: 2.5, fill: s.color }));
  }
  host.append(chart, legend(drawn));
}

/** Horizontal bars. rows: [{ label, bars: [{ name, value, color }] }]; one group of bars a row. */
export function barChart(host, { rows, emptyText = 'nothing to show' }) {
  host.replaceChildren();
  const max = Math.max(0, ...rows.flatMap((r) => r.bars.map((b) => b.value)));
  host.dataset.rows = String(rows.length);
  host.dataset.max = String(max);
  if (rows.length === 0) {
    host.append(Object.assign(document.createElement('p'), { className: 'empty', textContent: emptyText }));
    return;
  }
  const W = 480, L = 150, R = 90, BAR = 14, GAP = 10;
  const perRow = rows[0].bars.length * BAR + GAP;
  const H = rows.length * perRow + 4;
  const top = niceMax(max);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  rows.forEach((row, i) => {
    const y0 = 2 + i * perRow;
    chart.append(svg('text', { x: L - 6, y: y0 + (row.bars.length * BAR) / 2 + 3, 'text-anchor': 'end' }, row.label));
    row.bars.forEach((bar, j) => {
      const width = Math.max(bar.value > 0 ? 2 : 0, (bar.value / top) * (W - L - R));
      const yb = y0 + j * BAR;
      chart.append(svg('rect', { x: L, y: yb, width, height: BAR - 2, fill: bar.color, 'data-bar': `${row.label}:${bar.name}`, 'data-value': bar.value }));
      chart.append(svg('text', { x: L + width + 4, y: yb + BAR - 3 }, `${format(bar.value)} ${bar.name}`));
    });
  });
  host.append(chart);
}
