// The worksheet's quick chart: a bar or line chart of two columns of the shown result, drawn
// with the vendored uPlot (vendor/uplot.js, served by the gateway: nothing from the internet);
// and the small bar histograms of a table profile.

import uPlot from "./vendor/uplot.js";
import { $, count, el } from "./dom.js";

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
let shown = null; // {columns, rows} of the result the chart reads
let plot = null;

function numeric(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string" && NUMBER.test(value.trim())) return Number(value);
  return null;
}

// Columns whose non-NULL values are all numbers (DECIMAL values arrive as exact strings).
function numericColumns(columns, rows) {
  return columns.map((_, i) => i).filter((i) => {
    const values = rows.map((r) => r[i]).filter((v) => v !== null);
    return values.length > 0 && values.every((v) => numeric(v) !== null);
  });
}

function option(index, name) {
  return el("option", { value: String(index) }, name);
}

function destroy() {
  plot?.destroy();
  plot = null;
}

// A new result is shown: the chart's column pickers follow it, the old chart goes.
export function chartResult(columns, rows) {
  shown = { columns, rows };
  destroy();
  $("chart-area").replaceChildren();
  $("chart-status").textContent = "";
  const numbers = numericColumns(columns, rows);
  $("chart-x").replaceChildren(...columns.map((name, i) => option(i, name)));
  $("chart-y").replaceChildren(...numbers.map((i) => option(i, columns[i])));
  const y = numbers.at(-1);
  const x = columns.findIndex((_, i) => i !== y);
  if (x >= 0) $("chart-x").value = String(x);
  if (y !== undefined) $("chart-y").value = String(y);
  $("chart-draw").disabled = numbers.length === 0 || columns.length < 2;
  $("chart").hidden = true;
}

function draw() {
  if (!shown) return;
  const xi = Number($("chart-x").value);
  const yi = Number($("chart-y").value);
  const kind = $("chart-kind").value;
  const { columns, rows } = shown;
  const usable = rows.filter((r) => numeric(r[yi]) !== null);
  const xNumeric = usable.every((r) => numeric(r[xi]) !== null);
  // A text x (a category) is plotted at its position, labelled with its value.
  const pairs = usable.map((r, i) => [xNumeric ? numeric(r[xi]) : i, numeric(r[yi]), String(r[xi])]);
  if (xNumeric) pairs.sort((a, b) => a[0] - b[0]);
  const labels = pairs.map((p) => p[2]);
  const area = $("chart-area");
  destroy();
  area.replaceChildren();
  $("chart").hidden = false;
  const width = Math.max(240, Math.min(area.clientWidth || 600, 1100));
  const series = { label: columns[yi], stroke: "#2557c7", fill: kind === "bar" ? "rgba(37,87,199,.35)" : undefined, width: 2 };
  if (kind === "bar") series.paths = uPlot.paths.bars({ size: [0.7, 60] });
  const xs = pairs.map((p) => p[0]);
  // Bars get half a step of room at each end, so the first and last are drawn whole.
  const gaps = xs.slice(1).map((x, i) => x - xs[i]).filter((g) => g > 0);
  const half = (gaps.length ? Math.min(...gaps) : 1) / 2;
  const range = kind === "bar" || !xNumeric ? { range: (_, min, max) => [min - half, max + half] } : {};
  plot = new uPlot({
    width, height: 260,
    scales: { x: { time: false, ...range } },
    axes: [
      xNumeric ? { label: columns[xi] }
        : { label: columns[xi], splits: () => xs, values: (_, ticks) => ticks.map((t) => labels[t] ?? "") },
      { label: columns[yi] },
    ],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    series: [{ label: columns[xi] }, series],
  }, [xs, pairs.map((p) => p[1])], area);
  area.dataset.points = String(pairs.length);
  const skipped = rows.length - usable.length;
  $("chart-status").textContent = `${kind === "bar" ? "Bar" : "Line"} chart of ${columns[yi]} by ${columns[xi]}: `
    + `${count(pairs.length)} points${skipped ? ` (${count(skipped)} rows without a number left out)` : ""}.`;
}

export function setupChart() {
  $("chart-draw").addEventListener("click", draw);
  $("chart-close").addEventListener("click", () => { destroy(); $("chart").hidden = true; });
  window.addEventListener("resize", () => { if (plot && !$("chart").hidden) draw(); });
}

// A profile's histogram (`[{low, high, count}]`) as small bars, each with its range as a tooltip.
export function histogramBars(bins) {
  if (!bins || !bins.length) return null;
  const most = Math.max(...bins.map((b) => b.count), 1);
  const perValue = bins.every((b) => b.high - b.low === 1 && Number.isInteger(b.low + 0.5));
  const bars = bins.map((b) => {
    const range = perValue ? `${b.low + 0.5}` : `${+b.low.toPrecision(6)} – ${+b.high.toPrecision(6)}`;
    const bar = el("span", { className: "histo-bar", title: `${range}: ${count(b.count)}` });
    bar.style.height = `${Math.max(2, Math.round((b.count / most) * 100))}%`;
    return bar;
  });
  return el("span", { className: "histogram", role: "img",
    "aria-label": `histogram: ${bins.map((b) => count(b.count)).join(", ")}` }, ...bars);
}
