// The schema panel of the selected experiment (GET .../tables: tables, columns, types, keys,
// links, row counts), its diagram of tables and foreign keys (SVG), and a table's preview and
// profile (computed in the warehouse).

import { api, download, enc } from "./api.js";
import { $, count, el, saveBlob, showError } from "./dom.js";
import { histogramBars } from "./chart.js";
import { insertText, renderRows, setSchema } from "./query.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function nameButton(text, label) {
  const button = el("button", { type: "button", className: "link name", title: `Insert ${text}`, "aria-label": label }, text);
  button.addEventListener("click", () => insertText(text));
  return button;
}

// Badge text and tooltip per key kind. A column of a composite primary key is "primary" only
// when the key has one column, so both kinds read PK; a composite unique key reads CUK
// ("CK" would read as a CHECK constraint in most tools).
function keyMark(column, table) {
  if (column.key === "primary") return ["PK", "primary key"];
  if (column.key === "unique") return ["UQ", "unique"];
  if (column.key !== "composite") return null;
  const inPk = (table?.primary_key || []).some((c) => c.toLowerCase() === column.name.toLowerCase());
  return inPk
    ? ["PK", `part of the composite primary key (${table.primary_key.join(", ")})`]
    : ["CUK", "part of a composite unique key, generated jointly unique"];
}

function keyBadge(column, table) {
  const parts = [];
  const mark = keyMark(column, table);
  if (mark) parts.push(el("span", { className: "key", title: mark[1] }, mark[0]));
  if (column.foreign_key) parts.push(el("span", { className: "fk", title: `references ${column.foreign_key.table}.${column.foreign_key.column}` }, `→ ${column.foreign_key.table}`));
  return parts;
}

function columnItem(table, column) {
  const type = column.source_type || column.data_type;
  return el("li", { className: "column-item" },
    nameButton(column.name, `Insert column ${table.name}.${column.name}`),
    el("span", { className: "type" }, type.toLowerCase()),
    column.nullable ? null : el("span", { className: "notnull", title: "NOT NULL: never empty" }, "not null"),
    ...keyBadge(column, table));
}

// A logical table name as SQL: bare when it can be, else double-quoted.
function sqlName(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

// The table's whole live data as CSV (the query endpoint's stream), saved as <experiment>-<table>.csv.
async function downloadTable(experiment, table, button) {
  button.disabled = true;
  button.textContent = "Downloading…";
  try {
    const blob = await download("POST", `/api/experiments/${enc(experiment)}/query`,
      { sql: `SELECT * FROM ${sqlName(table)}`, format: "csv" });
    saveBlob(blob, `${experiment}-${table}.csv`);
    button.textContent = "CSV saved";
  } catch (error) {
    button.textContent = "CSV";
    showError($("schema-error"), error);
  } finally {
    button.disabled = false;
  }
}

function tableItem(table, inspect, experiment) {
  const preview = el("button", { type: "button", className: "secondary small", "aria-label": `Preview ${table.name}` }, "Preview");
  preview.addEventListener("click", () => inspect("preview", table.name));
  const profile = el("button", { type: "button", className: "secondary small", "aria-label": `Profile ${table.name}` }, "Profile");
  profile.addEventListener("click", () => inspect("profile", table.name));
  const csv = el("button", { type: "button", className: "secondary small", "aria-label": `Download ${table.name} as CSV`,
    title: "Every row of the table as a CSV file" }, "CSV");
  csv.addEventListener("click", () => downloadTable(experiment, table.name, csv));
  const rows = table.row_count === null ? "no data" : `${count(table.row_count)} rows`;
  const summary = el("summary", {}, nameButton(table.name, `Insert table ${table.name}`), el("span", { className: "muted" }, ` ${rows}`));
  return el("li", { className: "table-item" },
    el("details", { open: true }, summary,
      el("div", { className: "buttons" }, preview, profile, table.row_count === null ? null : csv),
      el("ul", { className: "columns" }, ...table.columns.map((c) => columnItem(table, c)))));
}

// Tables in a grid of boxes, one line per foreign key from the child column to the parent column.
// As many boxes per row as `available` pixels hold (at most 3): the drawing is never scaled
// down, so its text stays readable on a phone.
export function diagram(tables, available = 1000) {
  const width = 210;
  const line = 18;
  const gap = 46;
  const fits = Math.floor((available - 20 + gap) / (width + gap));
  const perRow = Math.max(1, Math.min(3, fits, Math.ceil(Math.sqrt(tables.length))));
  const heights = tables.map((t) => (t.columns.length + 1) * line + 8);
  const rowHeights = [];
  tables.forEach((t, i) => {
    const r = Math.floor(i / perRow);
    rowHeights[r] = Math.max(rowHeights[r] || 0, heights[i]);
  });
  const place = {};
  tables.forEach((t, i) => {
    const r = Math.floor(i / perRow);
    const y = rowHeights.slice(0, r).reduce((a, b) => a + b + gap, 10);
    place[t.name.toLowerCase()] = { x: 10 + (i % perRow) * (width + gap), y, table: t };
  });
  const totalW = 10 + perRow * (width + gap);
  const totalH = rowHeights.reduce((a, b) => a + b + gap, 10);
  const root = svg("svg", { viewBox: `0 0 ${totalW} ${totalH}`, width: totalW, height: totalH, role: "img", "aria-label": "Tables and their foreign keys", class: "erd" });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "erd-arrow" }))));
  const columnY = (p, name) => {
    const index = p.table.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
    return p.y + (index + 1.5) * line + 4;
  };
  const links = [];
  for (const p of Object.values(place)) {
    for (const fk of p.table.foreign_keys) {
      const parent = place[fk.references_table.toLowerCase()];
      if (!parent) continue;
      const y1 = columnY(p, fk.columns[0]);
      const y2 = columnY(parent, fk.references_columns[0]);
      const fromRight = parent.x >= p.x + width / 2;
      const x1 = fromRight ? p.x + width : p.x;
      const x2 = parent === p ? p.x : (fromRight ? parent.x : parent.x + width);
      const bend = parent === p ? -40 : (fromRight ? 30 : -30);
      const d = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
      links.push(svg("path", { d, class: "erd-link", "marker-end": "url(#arrow)" },
        svg("title", {}, `${p.table.name}(${fk.columns.join(", ")}) → ${fk.references_table}(${fk.references_columns.join(", ")})`)));
    }
  }
  for (const p of Object.values(place)) {
    const group = svg("g", { class: "erd-table" });
    group.append(svg("rect", { x: p.x, y: p.y, width, height: (p.table.columns.length + 1) * line + 8, rx: 4 }));
    const title = svg("text", { x: p.x + 8, y: p.y + line - 3, class: "erd-title" });
    title.textContent = p.table.name;
    group.append(title);
    p.table.columns.forEach((c, i) => {
      const text = svg("text", { x: p.x + 8, y: p.y + (i + 2) * line - 1, class: c.key ? "erd-key" : "erd-column" });
      const key = keyMark(c, p.table);
      const mark = key && key[0] === "PK" ? "PK " : c.foreign_key ? "FK " : key ? `${key[0]} ` : "";
      text.textContent = `${mark}${c.name}`;
      const type = svg("text", { x: p.x + width - 8, y: p.y + (i + 2) * line - 1, class: "erd-type", "text-anchor": "end" });
      type.textContent = (c.source_type || c.data_type).toLowerCase().slice(0, 16);
      group.append(text, type);
    });
    root.append(group);
  }
  root.append(...links);
  return root;
}

let lastTables = null; // {name, tables}: the experiment the diagram was drawn for
let currentName = () => null;

// The diagram for the width it has now (its tab may have been hidden when the tables came).
function drawDiagram() {
  const box = $("schema-diagram");
  if (!lastTables || lastTables.name !== currentName()) {
    box.replaceChildren();
    return;
  }
  const available = box.clientWidth || Math.min(window.innerWidth, 1400) - 60;
  box.replaceChildren(diagram(lastTables.tables, available));
}

// `selected()` names the experiment; returns `refresh()` which loads its tables.
export function setupSchema(selected) {
  currentName = selected;
  async function inspect(kind, table) {
    const name = selected();
    const box = $("inspect");
    box.hidden = false;
    $("inspect-title").textContent = `${kind === "preview" ? "Preview" : "Profile"} of ${table}`;
    $("inspect-meta").textContent = "Computing in the warehouse…";
    $("inspect-head").replaceChildren();
    $("inspect-body").replaceChildren();
    showError($("inspect-error"), null);
    try {
      const answer = kind === "preview"
        ? await api("GET", `/api/experiments/${enc(name)}/tables/${enc(table)}/preview`)
        : await api("GET", `/api/experiments/${enc(name)}/tables/${enc(table)}/profile`);
      if (name !== selected()) return;
      if (kind === "preview") {
        renderRows($("inspect-head"), $("inspect-body"), answer.columns, answer.rows);
        $("inspect-meta").textContent = `first ${count(answer.row_count)} rows of ${answer.table}`;
      } else {
        const columns = ["column", "type", "nulls", "distinct", "min", "max", "most frequent"];
        const rows = answer.columns.map((c) => [
          c.name, c.data_type, c.null_fraction === null ? null : `${(c.null_fraction * 100).toFixed(1)}%`,
          c.distinct_count === null ? null : `${answer.distinct_is_approximate ? "≈" : ""}${count(c.distinct_count)}`,
          c.min, c.max, c.top_values.map((v) => `${v.value} (${count(v.count)})`).join(", ") || null,
        ]);
        renderRows($("inspect-head"), $("inspect-body"), columns, rows);
        $("inspect-head").firstChild.append(el("th", { scope: "col" }, "histogram"));
        [...$("inspect-body").children].forEach((tr, i) =>
          tr.append(el("td", { className: "histo-cell" }, histogramBars(answer.columns[i].histogram))));
        const approx = answer.distinct_is_approximate ? "; distinct counts are approximate (≈) on this engine" : "";
        $("inspect-meta").textContent = `${count(answer.row_count)} rows in ${answer.warehouse}, one query${approx}`;
      }
      box.scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (name !== selected()) return;
      $("inspect-meta").textContent = "";
      showError($("inspect-error"), error);
    }
  }

  async function refresh() {
    const name = selected();
    if (!name) return null;
    try {
      const answer = await api("GET", `/api/experiments/${enc(name)}/tables`);
      if (name !== selected()) return null;
      showError($("schema-error"), null);
      $("schema-tree").replaceChildren(...answer.tables.map((t) => tableItem(t, inspect, name)));
      $("schema-source").textContent = answer.run
        ? `data of run #${answer.run.run_id} (${answer.run.status}) in ${answer.warehouse}`
        : `no data yet in ${answer.warehouse}: generate a run`;
      lastTables = { name, tables: answer.tables };
      drawDiagram();
      setSchema(answer.source_dialect, Object.fromEntries(answer.tables.map((t) => [t.name, t.columns.map((c) => c.name)])));
      return answer;
    } catch (error) {
      if (name === selected()) showError($("schema-error"), error);
      return null;
    }
  }

  // Show DDL: the tables as CREATE TABLE statements in the experiment's dialect.
  async function showDdl() {
    const name = selected();
    try {
      const answer = await api("GET", `/api/experiments/${enc(name)}/ddl`);
      if (name !== selected()) return;
      showError($("ddl-error"), null);
      $("ddl").textContent = answer.ddl;
      $("ddl").hidden = false;
      $("ddl-copy").hidden = false;
      $("ddl-status").textContent = `${answer.dialect} DDL`;
    } catch (error) {
      showError($("ddl-error"), error);
    }
  }

  $("ddl-show").addEventListener("click", showDdl);
  $("ddl-copy").addEventListener("click", async () => {
    await navigator.clipboard.writeText($("ddl").textContent).catch(() => {});
    $("ddl-status").textContent = "Copied the DDL.";
  });
  $("schema-refresh").addEventListener("click", refresh);
  $("inspect-close").addEventListener("click", () => { $("inspect").hidden = true; });
  window.addEventListener("resize", () => { if (!$("panel-schema").hidden) drawDiagram(); });
  return { refresh, drawDiagram };
}
