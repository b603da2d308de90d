// The worksheet's result grid: sticky headers, click a header to sort (again: descending, a
// third time: as returned), a filter over every cell, click a cell to select it, and copy the
// cell or its row (tab-separated, as spreadsheets paste it).

import { $, copyText, count, el } from "./dom.js";

const state = { columns: [], types: [], rows: [], sort: null, desc: false, filter: "", selected: null, meta: "" };

function shown(value) {
  if (value === null || value === undefined) return "NULL";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Numbers compare as numbers, NULLs last, everything else as text in the user's locale.
function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  const x = Number(a);
  const y = Number(b);
  if (a !== "" && b !== "" && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return shown(a).localeCompare(shown(b), undefined, { numeric: true });
}

function visibleRows() {
  const needle = state.filter.trim().toLowerCase();
  let rows = state.rows.map((row, index) => ({ row, index }));
  if (needle) rows = rows.filter(({ row }) => row.some((v) => shown(v).toLowerCase().includes(needle)));
  if (state.sort !== null) {
    const i = state.sort;
    rows.sort((p, q) => (state.desc ? -1 : 1) * compare(p.row[i], q.row[i]) || p.index - q.index);
  }
  return rows;
}

// A header: its name, a tooltip with the column's type in the source warehouse's words (the
// answer's `column_types`), and a click to sort.
function header(name, index) {
  const sorted = state.sort === index;
  const arrow = sorted ? (state.desc ? " ▼" : " ▲") : "";
  const type = state.types[index];
  const button = el("button", { type: "button", className: "sort",
    title: type ? `${type} · click to sort` : `Sort by ${name}` }, name, arrow);
  button.addEventListener("click", () => {
    if (!sorted) Object.assign(state, { sort: index, desc: false });
    else if (!state.desc) state.desc = true;
    else Object.assign(state, { sort: null, desc: false });
    draw();
  });
  const th = el("th", { scope: "col" }, button);
  if (type) th.title = type;
  th.setAttribute("aria-sort", sorted ? (state.desc ? "descending" : "ascending") : "none");
  return th;
}

function valueCell(value, rowIndex, columnIndex) {
  const td = el("td", { className: value === null ? "null" : "", tabIndex: -1 }, shown(value));
  td.dataset.row = String(rowIndex);
  td.dataset.column = String(columnIndex);
  if (state.selected && state.selected.row === rowIndex && state.selected.column === columnIndex) {
    td.classList.add("selected");
  }
  return td;
}

function draw() {
  const rows = visibleRows();
  $("query-head").replaceChildren(el("tr", {}, ...state.columns.map(header)));
  $("query-body").replaceChildren(...rows.map(({ row, index }) =>
    el("tr", {}, ...row.map((value, column) => valueCell(value, index, column)))));
  const filtered = state.filter.trim() ? ` · ${count(rows.length)} match the filter` : "";
  $("query-meta").textContent = `${state.meta}${filtered}`;
}

// Show a query answer's `columns` and `rows` with `meta` (row count, elapsed time) above it;
// `columnTypes` (the answer's `column_types`, in column order) become the headers' tooltips.
export function showGrid(columns, rows, meta, columnTypes = []) {
  const types = columns.map((_, i) => columnTypes[i]?.type || "");
  Object.assign(state, { columns, types, rows, sort: null, desc: false, selected: null, meta });
  state.filter = $("result-filter").value;
  draw();
}

// The selected cell's value, or (`wholeRow`) its row, tab-separated; what was copied is said.
async function copySelected(wholeRow) {
  const status = $("result-copy-status");
  if (!state.selected) {
    status.textContent = "Click a cell first.";
    return;
  }
  const row = state.rows[state.selected.row];
  const text = wholeRow ? row.map(shown).join("\t") : shown(row[state.selected.column]);
  await copyText(text);
  $("query-body").dataset.copied = text;
  status.textContent = wholeRow ? "Copied the row." : "Copied the cell.";
}

export function setupGrid() {
  $("result-filter").addEventListener("input", (event) => {
    state.filter = event.target.value;
    draw();
  });
  $("query-body").addEventListener("click", (event) => {
    const td = event.target.closest("td");
    if (!td) return;
    state.selected = { row: Number(td.dataset.row), column: Number(td.dataset.column) };
    for (const old of $("query-body").querySelectorAll("td.selected")) old.classList.remove("selected");
    td.classList.add("selected");
    td.focus();
    $("result-copy-status").textContent = "";
  });
  $("query-body").addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "c") {
      event.preventDefault();
      copySelected(event.shiftKey);
    }
  });
  $("result-copy").addEventListener("click", () => copySelected(false));
  $("result-copy-row").addEventListener("click", () => copySelected(true));
}
