// The worksheet of the selected experiment: a SQL editor (editor.js); Run runs the selection or
// the statement at the cursor, Run script every statement in order (each with its own result
// tab, stopping at the first error); Format pretty-prints in the experiment's dialect; an error
// is marked in the editor at the line and column the service reports; Download CSV streams the
// whole result of the statement (the same call with `"format": "csv"`).

import { api, download, enc } from "./api.js";
import { $, count, el, saveBlob, showError } from "./dom.js";
import { chartResult, setupChart } from "./chart.js";
import { createEditor } from "./editor.js";
import { setupGrid, showGrid } from "./grid.js";

let editor = null;
const listeners = [];
const editListeners = [];
// While the page itself replaces the text (another sheet, another experiment), edits are not
// the user's: nothing is autosaved for them.
let replacing = false;
// The results of the last run: [{label, sql, result?, error?, ms, statement}] and the one shown.
const results = { list: [], shown: 0 };

function limitValue() {
  const limit = $("query-limit").value.trim();
  return limit ? Number(limit) : undefined;
}

function queryBody(sql) {
  const body = { sql };
  const limit = limitValue();
  if (limit) body.limit = limit;
  return body;
}

function valueCell(value) {
  if (value === null) return el("td", { className: "null" }, "NULL");
  return el("td", {}, typeof value === "object" ? JSON.stringify(value) : value);
}

// A result (columns + rows) in a head and body of a plain grid table (preview, profile).
export function renderRows(head, body, columns, rows) {
  head.replaceChildren(el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c))));
  body.replaceChildren(...rows.map((row) => el("tr", {}, ...row.map(valueCell))));
}

function elapsed(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function resultMeta(result, ms) {
  const rows = `${count(result.row_count)} row${result.row_count === 1 ? "" : "s"}`;
  const first = result.offset || 0;
  const span = first || result.truncated ? ` (rows ${count(first + 1)} to ${count(first + result.row_count)})` : "";
  const more = result.truncated ? " · more: Next page, or Download CSV for all" : "";
  return `${rows}${span}${more} · ${elapsed(ms)}`;
}

// ---- the error marker: a wavy line under the place the service names ----

let marker = null;

function clearMarker() {
  marker?.remove();
  marker = null;
}

// Mark (and select) line/column of a statement that starts at `statement.line`/`.column`.
function markError(error, statement) {
  clearMarker();
  const { line, column, near } = error.details || {};
  if (typeof line !== "number") return;
  const startLine = statement ? statement.line : 1;
  const startColumn = statement && line === 1 ? statement.column - 1 : 0;
  let from = editor.offsetOf(startLine + line - 1, (column || 1) + startColumn);
  // sqlglot's column is where the offending token ends: start the mark where it begins.
  const text = editor.get();
  if (near && text.slice(from - near.length + 1, from + 1) === near) from -= near.length - 1;
  const to = near ? from + near.length : from + 1;
  editor.select(from, from);
  const box = editor.boxAt(from);
  if (!box) return;
  const end = editor.boxAt(to);
  const width = end && end.top === box.top ? Math.max(end.left - box.left, 8) : 8;
  marker = el("div", { className: "error-marker",
    title: error.message, role: "img", "aria-label": `Error at line ${startLine + line - 1}` });
  Object.assign(marker.style, { left: `${box.left}px`, top: `${box.top + box.height - 3}px`, width: `${width}px` });
  editor.scrollBox.append(marker);
}

// ---- results ----

function resultTab(entry, index) {
  const label = entry.error ? `${entry.label} ✕` : entry.label;
  const tab = el("button", { type: "button", role: "tab", id: `result-tab-${index}`,
    "aria-selected": String(index === results.shown), tabIndex: index === results.shown ? 0 : -1,
    title: entry.sql }, label);
  tab.addEventListener("click", () => showResult(index));
  return tab;
}

function showResult(index) {
  results.shown = index;
  const entry = results.list[index];
  $("result-tabs").replaceChildren(...results.list.map(resultTab));
  $("result-tabs").hidden = results.list.length < 2;
  $("query-result").hidden = false;
  const bar = $("query-result").querySelector(".result-bar");
  if (entry.error) {
    showError($("query-error"), entry.error);
    $("query-head").replaceChildren();
    $("query-body").replaceChildren();
    $("query-meta").textContent = "";
    $("query-engine-sql").textContent = "";
    bar.hidden = true;
    return;
  }
  showError($("query-error"), null);
  bar.hidden = false;
  showGrid(entry.result.columns, entry.result.rows, resultMeta(entry.result, entry.ms),
    entry.result.column_types || []);
  $("query-engine-sql").textContent = entry.result.engine_sql || "";
  $("result-prev").hidden = !entry.result.offset;
  $("result-next").hidden = !entry.result.truncated;
  chartResult(entry.result.columns, entry.result.rows);
}

// The next or previous page of the shown result: the statement runs again with an offset
// (the service skips the rows before it), the page replaces the one shown.
async function turnPage(selected, direction) {
  const entry = results.list[results.shown];
  if (!entry?.result) return;
  const name = selected();
  const size = entry.pageSize || entry.result.row_count;
  entry.pageSize = size;
  const offset = Math.max(0, (entry.result.offset || 0) + direction * size);
  const started = performance.now();
  for (const id of ["result-prev", "result-next"]) $(id).disabled = true;
  try {
    const result = await api("POST", `/api/experiments/${enc(name)}/query`, { ...queryBody(entry.sql), limit: size, offset });
    if (name !== selected() || results.list[results.shown] !== entry) return;
    entry.result = result;
    entry.ms = performance.now() - started;
    showResult(results.shown);
  } catch (error) {
    if (name === selected()) showError($("query-error"), error);
  } finally {
    for (const id of ["result-prev", "result-next"]) $(id).disabled = false;
  }
}

// A plan (`[{label, details, children}]`) as nested lists: an indented tree.
function planTree(nodes) {
  return el("ul", { className: "plan-tree" }, ...nodes.map((node) => el("li", {},
    el("span", { className: "plan-node" }, node.label),
    ...node.details.map((d) => el("div", { className: "plan-detail muted" }, d)),
    node.children.length ? planTree(node.children) : null)));
}

// The editor's text, replaced (a saved query or a history entry reopened).
export function setSql(text) {
  editor.set(text);
  editor.focus();
}

// The experiment's default query, only into an empty editor: typing is never overwritten.
export function setDefaultSql(text) {
  if (!editor.get().trim()) editor.set(text);
}

// The whole text swapped by the page (a worksheet opened): no autosave, no focus.
export function replaceSql(text) {
  replacing = true;
  try {
    editor.set(text);
  } finally {
    replacing = false;
  }
}

// `fn()` after each edit of the user's (autosave).
export function onEdit(fn) {
  editListeners.push(fn);
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
  loadFunctions?.();
}

// ---- function help: the catalogue's card for the function hovered or at the cursor ----

let loadFunctions = null;
let functionsOf = null; // the experiment whose catalogue the editor has

function helpParts(fn) {
  return [el("code", { className: "fn-signature" }, fn.signature), ` → ${fn.result}. `,
    el("span", { className: fn.supported ? "ok" : "error-text" }, fn.status),
    fn.literals ? `. Honoured: ${fn.literals}` : "", el("span", { className: "muted fn-doc" }, ` Reference: ${fn.doc}`)];
}

function showHelpLine(fn) {
  $("fn-help").replaceChildren(...(fn ? helpParts(fn) : []));
}

function showHover(fn, box) {
  const card = $("fn-hover");
  if (!fn || !box) {
    card.hidden = true;
    return;
  }
  card.replaceChildren(...helpParts(fn));
  card.hidden = false;
  const width = Math.min(card.offsetWidth, window.innerWidth - 16);
  card.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8))}px`;
  card.style.top = `${box.bottom + 4}px`;
}

// `fn()` is called after each query run (the history changed).
export function onQueryRun(fn) {
  listeners.push(fn);
}

// Empty the worksheet for another experiment.
export function resetQuery() {
  replaceSql("");
  results.list = [];
  clearMarker();
  $("query-result").hidden = true;
  $("plan").hidden = true;
  $("plan-tree").replaceChildren();
  $("fn-help").replaceChildren();
  $("fn-hover").hidden = true;
  functionsOf = null;
  editor.setFunctions([]);
  $("query-download-status").textContent = "";
  $("result-filter").value = "";
  $("save-name").value = "";
  $("save-status").textContent = "";
  $("history-text").value = "";
  $("history-status").value = "";
  showError($("query-error"), null);
}

// `selected()` names the experiment the worksheet queries; `execute(call)` shows any query
// answer (a saved query's run) as the only result.
export function setupQuery(selected) {

  async function statementsOf(text) {
    return (await api("POST", `/api/experiments/${enc(selected())}/sql/statements`, { sql: text })).statements;
  }

  // What Run runs: the selection (all its statements), else the statement at the cursor.
  async function target() {
    const text = editor.get();
    const { from, to } = editor.selection();
    if (from !== to) {
      const picked = await statementsOf(text.slice(from, to));
      const before = text.slice(0, from);
      const line = before.split("\n").length;
      const column = from - before.lastIndexOf("\n");
      return picked.map((s) => ({ ...s, line: line + s.line - 1, column: s.line === 1 ? column + s.column - 1 : s.column }));
    }
    const all = await statementsOf(text);
    // The statement the cursor is in, or the last one that starts before it.
    const at = all.find((s) => from >= s.start && from <= s.end) || all.filter((s) => s.start <= from).at(-1) || all[0];
    return at ? [at] : [];
  }

  async function runStatements(pick) {
    const name = selected();
    clearMarker();
    if (!editor.get().trim()) {
      $("query-result").hidden = true;
      showError($("query-error"), new Error("Write a statement first."));
      return;
    }
    for (const id of ["query-run", "query-run-all"]) $(id).disabled = true;
    try {
      let statements;
      try {
        statements = await pick();
      } catch (error) {
        showError($("query-error"), error);
        return;
      }
      if (!statements.length) {
        showError($("query-error"), new Error("Nothing to run: the text holds no statement (only comments or ;)."));
        return;
      }
      results.list = [];
      for (const [index, statement] of statements.entries()) {
        const label = statements.length > 1 ? `Statement ${index + 1}` : "Result";
        const started = performance.now();
        try {
          const result = await api("POST", `/api/experiments/${enc(selected())}/query`, queryBody(statement.sql));
          if (name !== selected()) return;
          results.list.push({ label, sql: statement.sql, result, ms: performance.now() - started, statement });
        } catch (error) {
          if (name !== selected()) return;
          results.list.push({ label, sql: statement.sql, error, ms: performance.now() - started, statement });
          showResult(results.list.length - 1);
          markError(error, statement);
          return; // a script stops at its first error
        }
      }
      showResult(results.list.length - 1);
    } finally {
      for (const id of ["query-run", "query-run-all"]) $(id).disabled = false;
      listeners.forEach((fn) => fn());
    }
  }

  function runCurrent(event) {
    event?.preventDefault();
    runStatements(target);
  }

  function runAll() {
    runStatements(() => statementsOf(editor.get()));
  }

  async function execute(call) {
    const name = selected();
    $("query-run").disabled = true;
    clearMarker();
    const started = performance.now();
    try {
      const result = await call();
      if (name !== selected()) return;
      results.list = [{ label: "Result", sql: editor.get(), result, ms: performance.now() - started }];
      showResult(0);
    } catch (error) {
      if (name !== selected()) return;
      $("query-result").hidden = true;
      showError($("query-error"), error);
    } finally {
      $("query-run").disabled = false;
      listeners.forEach((fn) => fn());
    }
  }

  async function formatSql() {
    clearMarker();
    try {
      const { sql } = await api("POST", `/api/experiments/${enc(selected())}/sql/format`, { sql: editor.get() });
      editor.set(sql);
      showError($("query-error"), null);
    } catch (error) {
      showError($("query-error"), error);
      markError(error, null);
    }
  }

  async function explain() {
    const name = selected();
    clearMarker();
    $("query-explain").disabled = true;
    try {
      const [statement] = await target();
      if (!statement) throw new Error("Write a statement first.");
      const answer = await api("POST", `/api/experiments/${enc(name)}/explain`, { sql: statement.sql });
      if (name !== selected()) return;
      showError($("query-error"), null);
      $("plan-meta").textContent = `The ${answer.engine} engine's plan (nothing was run)`;
      $("plan-tree").replaceChildren(planTree(answer.plan));
      $("plan-engine-sql").textContent = answer.engine_sql;
      $("plan").hidden = false;
    } catch (error) {
      if (name !== selected()) return;
      $("plan").hidden = true;
      showError($("query-error"), error);
    } finally {
      $("query-explain").disabled = false;
    }
  }

  async function downloadCsv() {
    const name = selected();
    const button = $("query-download");
    const status = $("query-download-status");
    button.disabled = true;
    status.textContent = "Downloading…";
    try {
      const [statement] = await target();
      if (!statement) throw new Error("Write a statement first.");
      const body = { ...queryBody(statement.sql), format: "csv" };
      const blob = await download("POST", `/api/experiments/${enc(selected())}/query`, body);
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

  editor = createEditor($("query-editor"), { onRun: runCurrent, onRunAll: runAll, onChange: () => {
    clearMarker();
    if (!replacing) editListeners.forEach((fn) => fn());
  }, onFunction: showHelpLine, onHover: showHover });
  // The catalogue for the open experiment, once per experiment (its dialect and engine).
  loadFunctions = async () => {
    const name = selected();
    if (!name || functionsOf === name) return;
    functionsOf = name;
    try {
      const answer = await api("GET", `/api/experiments/${enc(name)}/functions`);
      if (name === selected()) editor.setFunctions(answer.functions);
    } catch {
      functionsOf = null; // help is a convenience: the worksheet works without it
    }
  };
  setupGrid();
  setupChart();
  $("query-explain").addEventListener("click", explain);
  $("plan-close").addEventListener("click", () => { $("plan").hidden = true; });
  $("result-prev").addEventListener("click", () => turnPage(selected, -1));
  $("result-next").addEventListener("click", () => turnPage(selected, 1));
  $("query-form").addEventListener("submit", runCurrent);
  $("query-run-all").addEventListener("click", runAll);
  $("query-format").addEventListener("click", formatSql);
  $("query-download").addEventListener("click", downloadCsv);
  $("result-tabs").addEventListener("keydown", (event) => {
    const next = { ArrowRight: results.shown + 1, ArrowLeft: results.shown - 1 }[event.key];
    if (next === undefined || next < 0 || next >= results.list.length) return;
    showResult(next);
    $(`result-tab-${next}`).focus();
  });
  return { execute };
}

function bytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
