// The Query box of the selected experiment: a SQL editor (editor.js), run the SQL and show the rows
// (JSON answer), or download the whole result as `<experiment>.csv` (the same call with
// `"format": "csv"`, a streamed text/csv).

import { api, download, enc } from "./api.js";
import { $, count, el, saveBlob, showError } from "./dom.js";
import { createEditor } from "./editor.js";

let editor = null;
const listeners = [];

// The query body from the form: the SQL, and the row limit if one is set.
function queryBody() {
  const body = { sql: editor.get() };
  const limit = $("query-limit").value.trim();
  if (limit) body.limit = Number(limit);
  return body;
}

function valueCell(value) {
  if (value === null) return el("td", { className: "null" }, "NULL");
  return el("td", {}, typeof value === "object" ? JSON.stringify(value) : value);
}

// A result (columns + rows) in a head and body of a grid table; a column's type in the source
// warehouse's words, when known, is its header's tooltip.
export function renderRows(head, body, columns, rows, types = []) {
  const th = (c, i) => el("th", types[i] ? { scope: "col", title: types[i] } : { scope: "col" }, c);
  head.replaceChildren(el("tr", {}, ...columns.map(th)));
  body.replaceChildren(...rows.map((row) => el("tr", {}, ...row.map(valueCell))));
}

function renderResult(result) {
  const types = (result.column_types || []).map((c) => c.type);
  renderRows($("query-head"), $("query-body"), result.columns, result.rows, types);
  const rows = `${count(result.row_count)} row${result.row_count === 1 ? "" : "s"}`;
  $("query-meta").textContent = result.truncated ? `${rows} (truncated)` : rows;
  $("query-engine-sql").textContent = result.engine_sql || "";
  $("query-result").hidden = false;
}

function bytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// The editor's text, replaced (a saved query or a history entry reopened).
export function setSql(text) {
  editor.set(text);
  editor.focus();
}

export function getSql() {
  return editor.get();
}

// A name clicked in the schema panel, typed at the cursor.
export function insertText(text) {
  editor.insert(text);
}

export function setSchema(dialect, tables) {
  editor.setSchema(dialect, tables);
}

// `fn()` is called after each query run (the history changed).
export function onQueryRun(fn) {
  listeners.push(fn);
}

// Empty the box for another experiment.
export function resetQuery() {
  $("query-result").hidden = true;
  $("query-download-status").textContent = "";
  showError($("query-error"), null);
}

// `selected()` names the experiment the box queries; the answer's `execute(call)` shows any
// query answer (a saved query's run) in the result box.
export function setupQuery(selected) {
  async function execute(call) {
    const name = selected();
    $("query-run").disabled = true;
    try {
      const result = await call();
      if (name !== selected()) return;
      showError($("query-error"), null);
      renderResult(result);
    } catch (error) {
      if (name !== selected()) return;
      $("query-result").hidden = true;
      showError($("query-error"), error);
    } finally {
      $("query-run").disabled = false;
      listeners.forEach((fn) => fn());
    }
  }

  function runQuery(event) {
    event?.preventDefault();
    execute(() => api("POST", `/api/experiments/${enc(selected())}/query`, queryBody()));
  }

  async function downloadCsv() {
    const name = selected();
    const button = $("query-download");
    const status = $("query-download-status");
    button.disabled = true;
    status.textContent = "Downloading…";
    try {
      const body = { ...queryBody(), format: "csv" };
      const blob = await download("POST", `/api/experiments/${enc(name)}/query`, body);
      saveBlob(blob, `${name}.csv`);
      if (name !== selected()) return;
      showError($("query-error"), null);
      status.textContent = `Saved ${name}.csv (${bytes(blob.size)}).`;
    } catch (error) {
      if (name !== selected()) return;
      status.textContent = "";
      showError($("query-error"), error);
    } finally {
      button.disabled = false;
      listeners.forEach((fn) => fn());
    }
  }

  editor = createEditor($("query-editor"), { onRun: runQuery });
  $("query-form").addEventListener("submit", runQuery);
  $("query-download").addEventListener("click", downloadCsv);
  return { execute };
}
