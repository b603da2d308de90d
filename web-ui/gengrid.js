// The generate form's per-table grid: each table's default rows (editable) and its columns with
// their rules as badges (distribution, range, faker, key, ...; dashed when the DDL import guessed).

import { count, el } from "./dom.js";

function badge(rule) {
  return el("span", { className: `rule rule-${rule.kind}${rule.inferred ? " inferred" : ""}`,
    title: rule.inferred ? "inferred by the DDL import" : rule.kind }, rule.label);
}

function columnLine(table, column) {
  const type = (column.source_type || column.data_type).toLowerCase();
  // Opens the inline rule editor (rules.js) under this line.
  const edit = el("button", { type: "button", className: "link col-edit", title: "Edit this column's type and rule",
    "aria-expanded": "false", "aria-label": `Edit rule of ${table.name}.${column.name}` }, "edit");
  edit.dataset.table = table.name;
  edit.dataset.column = column.name;
  return el("li", {}, el("strong", {}, column.name), el("span", { className: "type" }, ` ${type} `),
    ...column.rules.map(badge), " ", edit);
}

function tableRow(table) {
  const input = el("input", { type: "number", min: "0", step: "1", value: String(table.target_rows),
    className: "gen-rows", "aria-label": `Rows of ${table.name}` });
  input.dataset.table = table.name;
  const notes = table.notes.length ? el("ul", { className: "notes" }, ...table.notes.map((n) => el("li", {}, n))) : null;
  return el("tr", {}, el("th", { scope: "row" }, table.name), el("td", {}, input),
    el("td", {}, el("ul", { className: "rules" }, ...table.columns.map((column) => columnLine(table, column))), notes));
}

// Fill `body` from a `GET .../tables?source=document` answer.
export function renderGrid(body, answer) {
  body.replaceChildren(...answer.tables.map(tableRow));
}

// `{table: rows}` from the grid (every table, as shown).
export function gridRows(body) {
  const rows = {};
  for (const input of body.querySelectorAll("input.gen-rows")) {
    const value = input.value.trim();
    if (!/^\d+$/.test(value)) throw new Error(`Rows of ${input.dataset.table}: expected a whole number, got "${value}"`);
    rows[input.dataset.table] = Number(value);
  }
  return rows;
}

export function gridTotal(body) {
  let total = 0;
  for (const input of body.querySelectorAll("input.gen-rows")) total += Number(input.value) || 0;
  return `${count(total)} rows in all`;
}
