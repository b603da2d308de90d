// DW Simulator control panel: the UI half (api.js does the HTTP), plain ES module, no build step.
// Every piece of user or API text reaches the DOM as text (textContent / text nodes), never as HTML.

import { api, enc, getToken, request, setToken } from "./api.js";
import { $, cell, count, el, joinText, jsonParts, showError, statusBadge, when } from "./dom.js";
import { gridRows, gridTotal, renderGrid } from "./gengrid.js";
import { runActions, setupReset } from "./lifecycle.js";
import { setupConnectTab } from "./connect.js";
import { setupLineageTab } from "./lineage.js";
import { resetQuery, setDefaultSql, setupQuery, onQueryRun } from "./query.js";
import { duration, rowsPerSecond, setupRunView, showRunView, shownRun } from "./runview.js";
import { clearSample, setupRules } from "./rules.js";
import { setupSaved } from "./saved.js";
import { setupSchema } from "./schema.js";
import { fillWarehouses } from "./warehouses.js";
import { showReport } from "./report.js";
import * as worksheets from "./worksheets.js";
import { onExperimentTab, setupExperimentTabs, setupTabs, showExperimentTab } from "./tabs.js";

const FINAL_STATUSES = new Set(["COMPLETED", "COMPLETED_WITH_WARNINGS", "FAILED", "ABORTED"]);
const POLL_MS = 1000;
const HEALTH_MS = 15000;
// The runs list refreshes itself: often while a run is active, now and then otherwise (a run
// started from the CLI appears without a click).
const RUNS_ACTIVE_MS = 2000;
const RUNS_IDLE_MS = 5000;

// The selected experiment (and its document), and the run being watched (`watched`, the run
// `{name, runId}` the progress display shows); `watch` changes whenever polling must stop.
const state = { selected: null, doc: null, watch: 0, watched: null, active: false, lastRuns: 0 };
let schema = null;
let saved = null;

function parseRowOverrides(text, label) {
  const rows = {};
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_$]*)\s*=\s*(\d+)$/.exec(line);
    if (!match) throw new Error(`${label}, line ${index + 1}: expected table=n, got "${line}"`);
    rows[match[1]] = Number(match[2]);
  }
  return Object.keys(rows).length ? rows : undefined;
}

// ---- health ----

async function refreshHealth() {
  const badge = $("health-status");
  try {
    const { data } = await request("GET", "/health");
    const overall = data?.status || "unknown";
    badge.textContent = overall;
    badge.className = `badge health-${overall}`;
    const items = Object.entries(data?.components || {}).map(([name, c]) =>
      el("li", { className: `health-${c.status}`, title: c.error || "" },
        `${name}: ${c.status}`, c.error ? el("span", { className: "muted" }, ` (${c.error})`) : null));
    $("health-components").replaceChildren(...items);
  } catch (error) {
    badge.textContent = "unreachable";
    badge.className = "badge health-unavailable";
    $("health-components").replaceChildren(el("li", {}, error.message));
  }
}

// ---- token ----

function showTokenState() {
  $("token-state").textContent = getToken() ? "token set" : "no token";
}

function saveToken(event) {
  event.preventDefault();
  setToken($("token").value.trim());
  $("token").value = "";
  showTokenState();
  refreshList();
}

function clearToken() {
  setToken(null);
  $("token").value = "";
  showTokenState();
  refreshList();
}

// ---- experiments list ----

function experimentRow(exp) {
  const pick = el("button", { type: "button", className: "link" }, exp.name);
  pick.addEventListener("click", () => selectExperiment(exp.name));
  const last = exp.last_run ? el("td", {}, `#${exp.last_run.run_id} `, statusBadge(exp.last_run.status)) : cell(null);
  const row = el("tr", {}, el("td", {}, pick), cell(exp.target_warehouse), cell(exp.source_dialect), cell(exp.tables), last);
  if (exp.name === state.selected) row.setAttribute("aria-current", "true");
  return row;
}

async function refreshList() {
  try {
    const { experiments } = await api("GET", "/api/experiments");
    $("list-body").replaceChildren(...experiments.map(experimentRow));
    $("list-empty").hidden = experiments.length > 0;
    showError($("list-error"), null);
  } catch (error) {
    showError($("list-error"), error);
  }
}

// ---- create ----

async function createExperiment(event) {
  event.preventDefault();
  $("create-ok").hidden = true;
  let doc;
  try {
    doc = JSON.parse($("create-json").value);
  } catch (error) {
    showError($("create-error"), new Error(`The text is not valid JSON: ${error.message}`));
    return;
  }
  try {
    const created = await api("POST", "/api/experiments", doc);
    showError($("create-error"), null);
    $("create-ok").textContent = `Created ${created.name} (warehouse ${created.target_warehouse}).`;
    $("create-ok").hidden = false;
    await refreshList();
    await selectExperiment(created.name);
  } catch (error) {
    showError($("create-error"), error);
  }
}

// ---- import DDL ----

// The import-sql body from the form (also what `validate` takes; `name` is optional there).
function importBody() {
  const body = { sql: $("import-sql").value, dialect: $("import-dialect").value };
  const name = $("import-name").value.trim();
  if (name) body.name = name;
  const warehouse = $("import-warehouse").value;
  if (warehouse) body.target_warehouse = warehouse;
  const rows = parseRowOverrides($("import-rows").value, "Rows per table");
  if (rows) body.rows = rows;
  return body;
}

// Top-level warnings, then `<table>: <warning>` per table warning; one line per distinct text.
function warningLines(answer) {
  const lines = [...(answer.warnings || [])];
  for (const table of answer.experiment?.tables || []) {
    for (const warning of table.warnings || []) lines.push(`${table.name}: ${warning}`);
  }
  return [...new Set(lines)];
}

// `customers.email: faker_rule=email (inferred)`, one line per column with inferred rules.
function inferredLines(tables) {
  const rule = (column, field) => {
    const value = column[field];
    if (value === undefined || value === null) return field;
    return `${field}=${typeof value === "string" ? value : JSON.stringify(value)}`;
  };
  return tables.flatMap((table) => (table.columns || [])
    .filter((column) => Array.isArray(column.inferred) && column.inferred.length)
    .map((column) => `${table.name}.${column.name}: ${column.inferred.map((f) => rule(column, f)).join(", ")} (inferred)`));
}

function showImportResult(answer, imported) {
  const doc = answer.experiment || {};
  const tables = doc.tables || [];
  const n = `${tables.length} table${tables.length === 1 ? "" : "s"}`;
  $("import-summary").textContent = imported
    ? `Imported ${doc.name}: ${n}, warehouse ${doc.target_warehouse}. Check the inferred rules; change them with Edit.`
    : `valid: ${n} (${tables.map((t) => t.name).join(", ")}), warehouse ${doc.target_warehouse}; nothing was saved.`;
  const warnings = warningLines(answer);
  $("import-warnings-title").textContent = warnings.length ? `Warnings (${warnings.length})` : "No warnings";
  $("import-warnings").replaceChildren(...warnings.map((w) => el("li", {}, w)));
  const inferred = inferredLines(tables);
  $("import-inferred-title").textContent = inferred.length
    ? `Inferred rules (${inferred.length} column${inferred.length === 1 ? "" : "s"})`
    : "No inferred rules";
  $("import-inferred").replaceChildren(...inferred.map((line) => el("li", {}, el("code", {}, line))));
  $("import-result").hidden = false;
}

// Select the text a syntax error points at (`details.line`, `.column` are 1-based, `.near` the token).
function showInDdl(line, column, near) {
  const area = $("import-sql");
  const lines = area.value.split("\n");
  const row = Math.min(Math.max(line, 1), lines.length) - 1;
  let start = lines.slice(0, row).reduce((sum, text) => sum + text.length + 1, 0);
  start += Math.min(Math.max((column || 1) - 1, 0), lines[row].length);
  const end = near && area.value.startsWith(near, start) ? start + near.length : start;
  area.focus();
  area.setSelectionRange(start, end);
}

function showImportError(error) {
  const box = $("import-error");
  showError(box, error);
  const { line, column, near } = error.details || {};
  if (typeof line !== "number") return;
  const go = el("button", { type: "button", className: "secondary" }, "Show in the DDL");
  go.addEventListener("click", () => showInDdl(line, column, near));
  box.append(el("p", {}, go));
}

async function importDdl(event, saveIt) {
  event.preventDefault();
  const buttons = [$("import-validate"), $("import-submit")];
  buttons.forEach((b) => { b.disabled = true; });
  $("import-result").hidden = true;
  try {
    const body = importBody();
    if (saveIt) {
      const answer = await api("POST", "/api/experiments/import-sql", body);
      showError($("import-error"), null);
      showImportResult(answer, true);
      await refreshList();
      await selectExperiment(answer.experiment.name);
    } else {
      const answer = await api("POST", "/api/experiments/validate", body);
      showError($("import-error"), null);
      showImportResult(answer, false);
    }
  } catch (error) {
    showImportError(error);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// ---- selected experiment ----

// The read-only document view, with inferred rules highlighted.
function renderDocument(doc) {
  state.doc = doc;
  $("document").replaceChildren(...joinText(jsonParts(doc)));
  $("document-legend").hidden = !inferredLines(doc.tables || []).length;
}

// Everything shown for the previous experiment goes: messages, the Generate form's seed and
// shard size, progress, the report, results, lists. Nothing of one experiment may show (or be
// used silently) in another.
function clearExperimentState() {
  state.doc = null;
  state.watch += 1;
  state.watched = null;
  state.active = false;
  $("document").textContent = "";
  $("document-legend").hidden = true;
  $("progress").hidden = true;
  $("progress-title").replaceChildren();
  $("progress-tables").replaceChildren();
  document.getElementById("run-report")?.replaceChildren(); // made by report.js
  $("gen-seed").value = "";
  $("gen-shard").value = "";
  $("gen-tables").replaceChildren();
  $("gen-total").textContent = "";
  clearSample();
  $("reset-ok").hidden = true;
  $("edit-ok").hidden = true;
  $("runs-body").replaceChildren();
  $("runs-empty").hidden = true;
  $("schema-tree").replaceChildren();
  $("schema-source").textContent = "";
  $("schema-diagram").replaceChildren();
  $("ddl").hidden = true;
  $("ddl").textContent = "";
  $("ddl-copy").hidden = true;
  $("ddl-status").textContent = "";
  $("experiment-notes").replaceChildren();
  resetQuery();
  setEditing(false);
  for (const id of ["detail-error", "generate-error", "runs-error", "edit-error"]) showError($(id), null);
  $("run-view").hidden = true;
  $("run-view").dataset.run = "";
  $("inspect").hidden = true;
}

async function selectExperiment(name) {
  await worksheets.leave(); // the previous experiment's unsaved edit goes to it, first
  state.selected = name;
  clearExperimentState();
  document.body.classList.add("has-experiment");
  $("detail-none").hidden = true;
  $("detail").hidden = false;
  $("detail-title").textContent = name;
  showExperimentTab("worksheet");
  if (window.matchMedia("(max-width: 960px)").matches) $("detail").scrollIntoView({ block: "start" });
  refreshList();
  try {
    const doc = await api("GET", `/api/experiments/${enc(name)}`);
    if (name !== state.selected) return;
    renderDocument(doc);
  } catch (error) {
    showError($("detail-error"), error);
    return;
  }
  refreshGrid();
  saved.refreshSaved();
  saved.refreshHistory();
  const sheets = worksheets.load(name);
  schema.refresh().then(async (answer) => {
    await sheets; // a saved worksheet's text wins over the default query
    const first = answer?.tables?.[0]?.name;
    // Only into an empty editor: what the user typed meanwhile is never replaced.
    if (first && name === state.selected) setDefaultSql(`SELECT *\nFROM ${first}\nLIMIT 100`);
  });
  const runs = await refreshRuns();
  const active = runs?.find((run) => !FINAL_STATUSES.has(run.status));
  if (active) watchRun(name, active.run_id);
}

// A "Cancel" button for an active run (QUEUED or RUNNING); null for a finished one.
function cancelButton(name, run) {
  if (FINAL_STATUSES.has(run.status)) return null;
  const button = el("button", { type: "button", className: "danger small", "aria-label": `Cancel run ${run.run_id}` }, "Cancel");
  button.addEventListener("click", () => cancelRun(name, run.run_id, button, $("runs-error")));
  return button;
}

function runRow(name, run) {
  const show = el("button", { type: "button", className: "link", "aria-label": `Show progress and shards of run ${run.run_id}` }, `#${run.run_id}`);
  show.addEventListener("click", () => {
    watchRun(name, run.run_id);
    showRunView(name, run.run_id);
  });
  const t = run.totals || {};
  const status = el("td", { className: "status" }, statusBadge(run.status), cancelButton(name, run),
    ...runActions(name, run, async (runId) => { await refreshRuns(); watchRun(name, runId); }));
  const row = el("tr", {}, el("td", {}, show), status,
    cell(count(t.target_rows)), cell(count(t.generated_rows)), cell(count(t.loaded_rows)),
    cell(duration(run)), cell(rowsPerSecond(run)), el("td", { className: "seed" }, String(run.seed ?? "—")),
    cell(when(run.created_at)));
  if (!run.error) return [row];
  return [row, el("tr", { className: "run-error" }, el("td", { colSpan: 9 }, `Error: ${run.error}`))];
}

async function refreshRuns() {
  const name = state.selected;
  if (!name) return null;
  try {
    const { runs } = await api("GET", `/api/experiments/${enc(name)}/runs`);
    if (name !== state.selected) return null;
    $("runs-body").replaceChildren(...runs.flatMap((run) => runRow(name, run)));
    $("runs-empty").hidden = runs.length > 0;
    state.active = runs.some((run) => !FINAL_STATUSES.has(run.status));
    state.lastRuns = Date.now();
    const newest = runs[0];
    // A run started elsewhere (the CLI, another tab): follow its progress here too.
    if (newest && !FINAL_STATUSES.has(newest.status) && state.watched?.runId !== newest.run_id) {
      watchRun(name, newest.run_id);
    }
    const viewed = shownRun();
    if (viewed !== null && runs.some((run) => run.run_id === viewed && !FINAL_STATUSES.has(run.status))) {
      showRunView(name, viewed);
    }
    return runs;
  } catch (error) {
    showError($("detail-error"), error);
    return null;
  }
}

async function deleteExperiment() {
  const name = state.selected;
  if (!name || !window.confirm(`Delete experiment "${name}" with its runs, objects and warehouse data?`)) return;
  try {
    await worksheets.leave();
    await api("DELETE", `/api/experiments/${enc(name)}`);
    state.selected = null;
    clearExperimentState();
    document.body.classList.remove("has-experiment");
    $("detail").hidden = true;
    $("detail-none").hidden = false;
    await refreshList();
  } catch (error) {
    showError($("detail-error"), error);
  }
}

// ---- edit ----

function setEditing(on) {
  $("document-details").hidden = on;
  $("edit-form").hidden = !on;
  $("edit").disabled = on;
  if (!on) showError($("edit-error"), null);
}

function startEdit() {
  if (!state.doc) return;
  $("edit-ok").hidden = true;
  $("edit-json").value = JSON.stringify(state.doc, null, 2);
  setEditing(true);
  $("edit-json").focus();
}

function cancelEdit() {
  setEditing(false);
  $("edit").focus();
}

async function saveEdit(event) {
  event.preventDefault();
  const name = state.selected;
  let doc;
  try {
    doc = JSON.parse($("edit-json").value);
  } catch (error) {
    showError($("edit-error"), new Error(`The text is not valid JSON: ${error.message}`));
    return;
  }
  $("edit-save").disabled = true;
  try {
    const saved = await api("PUT", `/api/experiments/${enc(name)}`, doc);
    if (name !== state.selected) return;
    renderDocument(saved);
    setEditing(false);
    $("edit-ok").textContent = `Saved ${saved.name}.`;
    $("edit-ok").hidden = false;
    refreshList();
    refreshGrid();
  } catch (error) {
    showError($("edit-error"), error);
  } finally {
    $("edit-save").disabled = false;
  }
}

// ---- generate and progress ----

function generateBody() {
  const body = {};
  const seed = $("gen-seed").value.trim();
  const shard = $("gen-shard").value.trim();
  // As a string: a JSON number loses digits past 2^53, and seeds go up to 2^63.
  if (seed && !/^\d{1,19}$/.test(seed)) throw new Error(`Seed: expected a whole number, got "${seed}"`);
  if (seed) body.seed = seed;
  if (shard) body.shard_size = Number(shard);
  body.rows = gridRows($("gen-tables"));
  return body;
}

// The generate grid and the experiment's notes, from the document as saved now.
async function refreshGrid() {
  const name = state.selected;
  try {
    const answer = await api("GET", `/api/experiments/${enc(name)}/tables?source=document`);
    if (name !== state.selected) return;
    renderGrid($("gen-tables"), answer);
    $("gen-total").textContent = gridTotal($("gen-tables"));
    $("experiment-notes").replaceChildren(...answer.notes.map((note) => el("li", {}, note)));
  } catch (error) {
    showError($("generate-error"), error);
  }
}

// Runs of the selected experiment, refreshed on a timer (faster while one is active).
function autoRefreshRuns() {
  if (!state.selected || document.hidden) return;
  const wait = state.active ? RUNS_ACTIVE_MS : RUNS_IDLE_MS;
  if (Date.now() - state.lastRuns >= wait - 100) refreshRuns();
}

async function generate(event) {
  event.preventDefault();
  const name = state.selected;
  try {
    const body = generateBody();
    const queued = await api("POST", `/api/experiments/${enc(name)}/generate`, body);
    showError($("generate-error"), null);
    await refreshRuns();
    watchRun(name, queued.run_id);
  } catch (error) {
    showError($("generate-error"), error);
  }
}

function tableProgress(table, p) {
  const target = p.target_rows || 0;
  const loaded = p.loaded_rows || 0;
  const label = `${table}: ${count(loaded)} / ${count(target)} loaded (${count(p.generated_rows)} generated)`;
  const bar = el("progress", { max: Math.max(target, 1), value: target ? loaded : 1, "aria-label": `${table} loaded rows` });
  return el("div", { className: "bar" }, el("span", {}, label), bar);
}

function renderProgress(run) {
  $("progress").hidden = false;
  $("progress-cancel").hidden = FINAL_STATUSES.has(run.status);
  const title = $("progress-title");
  title.replaceChildren(`Run #${run.run_id} `, statusBadge(run.status), ` seed ${run.seed ?? "—"}, warehouse ${run.warehouse}`);
  if (run.error) title.append(el("span", { className: "error-text" }, ` — ${run.error}`));
  const tables = Object.entries(run.tables || {}).map(([table, p]) => tableProgress(table, p));
  $("progress-tables").replaceChildren(...tables);
  showReport(state.watched?.name, run);
}

async function watchRun(name, runId) {
  const ticket = ++state.watch;
  state.watched = { name, runId };
  showError($("generate-error"), null);
  while (ticket === state.watch) {
    let run;
    try {
      run = await api("GET", `/api/experiments/${enc(name)}/runs/${runId}`);
    } catch (error) {
      showError($("generate-error"), error);
      return;
    }
    if (ticket !== state.watch) return;
    renderProgress(run);
    if (FINAL_STATUSES.has(run.status)) {
      await Promise.all([refreshRuns(), refreshList(), schema.refresh()]);
      if (shownRun() === runId) showRunView(name, runId);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// ---- cancel ----

// POST the cancel endpoint: the answer is the run, now ABORTED; a 409 means it had already finished
// (the message says so, in `box`). Either way the runs (and the progress display) are refreshed.
async function cancelRun(name, runId, button, box) {
  button.disabled = true;
  let run = null;
  try {
    run = await api("POST", `/api/experiments/${enc(name)}/runs/${runId}/cancel`);
    showError(box, null);
  } catch (error) {
    showError(box, error);
  } finally {
    button.disabled = false;
  }
  if (name !== state.selected) return;
  const watched = state.watched;
  if (run && watched?.name === name && watched.runId === runId) renderProgress(run);
  await Promise.all([refreshRuns(), refreshList()]);
}

function cancelWatched() {
  const watched = state.watched;
  if (watched) cancelRun(watched.name, watched.runId, $("progress-cancel"), $("generate-error"));
}

// ---- start ----

function start() {
  $("health-refresh").addEventListener("click", refreshHealth);
  $("token-form").addEventListener("submit", saveToken);
  $("token-clear").addEventListener("click", clearToken);
  $("list-refresh").addEventListener("click", refreshList);
  setupTabs(document.querySelector(".side-column [role='tablist']"));
  setupExperimentTabs(() => state.selected);
  onExperimentTab("schema", () => schema.drawDiagram());
  setupLineageTab((name, runId) => {
    showExperimentTab("runs");
    showRunView(name, runId);
  });
  setupConnectTab();
  $("create-form").addEventListener("submit", createExperiment);
  $("import-form").addEventListener("submit", (event) => importDdl(event, true));
  $("import-validate").addEventListener("click", (event) => importDdl(event, false));
  $("edit").addEventListener("click", startEdit);
  $("edit-form").addEventListener("submit", saveEdit);
  $("edit-cancel").addEventListener("click", cancelEdit);
  $("delete").addEventListener("click", deleteExperiment);
  setupReset(() => state.selected, () => Promise.all([refreshRuns(), schema.refresh()]));
  $("generate-form").addEventListener("submit", generate);
  setupRules({
    name: () => state.selected,
    doc: () => state.doc,
    saved: (doc, message) => {
      renderDocument(doc);
      $("rules-ok").textContent = message;
      $("rules-ok").hidden = false;
      refreshGrid();
    },
    gridInputs: () => {
      const body = generateBody();
      return { seed: body.seed, rows: body.rows, shardSize: body.shard_size };
    },
  });
  $("runs-refresh").addEventListener("click", refreshRuns);
  $("progress-cancel").addEventListener("click", cancelWatched);
  const query = setupQuery(() => state.selected);
  worksheets.setupWorksheets();
  schema = setupSchema(() => state.selected);
  saved = setupSaved(() => state.selected, query.execute);
  onQueryRun(() => saved.refreshHistory());
  setupRunView();
  $("gen-tables").addEventListener("input", () => { $("gen-total").textContent = gridTotal($("gen-tables")); });
  setInterval(autoRefreshRuns, 1000);
  fillWarehouses();
  showTokenState();
  refreshHealth();
  setInterval(refreshHealth, HEALTH_MS);
  refreshList();
}

start();
