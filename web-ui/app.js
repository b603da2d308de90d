// DW Simulator control panel: plain ES module, same-origin calls to the gateway's REST API.
// Every piece of user or API text reaches the DOM as text (textContent / text nodes), never as HTML.

const TOKEN_KEY = "dwsim.apiToken";
const FINAL_STATUSES = new Set(["COMPLETED", "FAILED", "ABORTED"]);
const POLL_MS = 1000;
const HEALTH_MS = 15000;

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

// The selected experiment and the run being watched; `watch` changes whenever polling must stop.
const state = { selected: null, watch: 0 };

// ---- HTTP ----

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || null;
    this.details = body?.details || {};
  }
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 500) };
  }
  return { status: response.status, ok: response.ok, data };
}

async function api(method, path, body) {
  const { status, ok, data } = await request(method, path, body);
  if (!ok) throw new ApiError(status, data);
  return data;
}

// ---- DOM helpers ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("aria-") || key === "role" || key === "scope") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function cell(value) {
  return el("td", {}, value === null || value === undefined ? "—" : value);
}

function statusBadge(status) {
  return el("span", { className: `badge status-${String(status).toLowerCase()}` }, status);
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

function count(n) {
  return typeof n === "number" ? n.toLocaleString() : "—";
}

function showError(box, error) {
  box.replaceChildren();
  if (!error) {
    box.hidden = true;
    return;
  }
  const head = error instanceof ApiError ? `${error.status}${error.code ? ` ${error.code}` : ""}: ` : "";
  box.append(el("p", {}, el("strong", {}, head), error.message));
  const { problems, component } = error.details || {};
  if (Array.isArray(problems) && problems.length) {
    box.append(el("ul", {}, ...problems.map((p) => el("li", {}, el("code", {}, p.path), `: ${p.message}`))));
  }
  if (component) box.append(el("p", {}, `Component: ${component}`));
  box.hidden = false;
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
  $("token-state").textContent = localStorage.getItem(TOKEN_KEY) ? "token set" : "no token";
}

function saveToken(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
  $("token").value = "";
  showTokenState();
  refreshList();
}

function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
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

// ---- selected experiment ----

async function selectExperiment(name) {
  state.selected = name;
  state.watch += 1;
  $("detail-none").hidden = true;
  $("detail").hidden = false;
  $("detail-title").textContent = name;
  $("document").textContent = "";
  $("progress").hidden = true;
  $("query-result").hidden = true;
  for (const id of ["detail-error", "generate-error", "query-error"]) showError($(id), null);
  refreshList();
  try {
    const doc = await api("GET", `/api/experiments/${enc(name)}`);
    $("document").textContent = JSON.stringify(doc, null, 2);
  } catch (error) {
    showError($("detail-error"), error);
    return;
  }
  const runs = await refreshRuns();
  const active = runs?.find((run) => !FINAL_STATUSES.has(run.status));
  if (active) watchRun(name, active.run_id);
}

function runRow(name, run) {
  const show = el("button", { type: "button", className: "link", "aria-label": `Show progress of run ${run.run_id}` }, `#${run.run_id}`);
  show.addEventListener("click", () => watchRun(name, run.run_id));
  const t = run.totals || {};
  const row = el("tr", {}, el("td", {}, show), el("td", {}, statusBadge(run.status)),
    cell(count(t.target_rows)), cell(count(t.generated_rows)), cell(count(t.loaded_rows)),
    cell(when(run.created_at)), cell(when(run.finished_at)));
  if (!run.error) return [row];
  return [row, el("tr", { className: "run-error" }, el("td", { colSpan: 7 }, `Error: ${run.error}`))];
}

async function refreshRuns() {
  const name = state.selected;
  if (!name) return null;
  try {
    const { runs } = await api("GET", `/api/experiments/${enc(name)}/runs`);
    if (name !== state.selected) return null;
    $("runs-body").replaceChildren(...runs.flatMap((run) => runRow(name, run)));
    $("runs-empty").hidden = runs.length > 0;
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
    await api("DELETE", `/api/experiments/${enc(name)}`);
    state.selected = null;
    state.watch += 1;
    $("detail").hidden = true;
    $("detail-none").hidden = false;
    await refreshList();
  } catch (error) {
    showError($("detail-error"), error);
  }
}

// ---- generate and progress ----

function parseRowOverrides(text) {
  const rows = {};
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)$/.exec(line);
    if (!match) throw new Error(`Row overrides, line ${index + 1}: expected table=n, got "${line}"`);
    rows[match[1]] = Number(match[2]);
  }
  return Object.keys(rows).length ? rows : undefined;
}

function generateBody() {
  const body = {};
  const seed = $("gen-seed").value.trim();
  const shard = $("gen-shard").value.trim();
  if (seed) body.seed = Number(seed);
  if (shard) body.shard_size = Number(shard);
  const rows = parseRowOverrides($("gen-rows").value);
  if (rows) body.rows = rows;
  return body;
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
  const title = $("progress-title");
  title.replaceChildren(`Run #${run.run_id} `, statusBadge(run.status), ` seed ${run.seed ?? "—"}, warehouse ${run.warehouse}`);
  if (run.error) title.append(el("span", { className: "error-text" }, ` — ${run.error}`));
  const tables = Object.entries(run.tables || {}).map(([table, p]) => tableProgress(table, p));
  $("progress-tables").replaceChildren(...tables);
}

async function watchRun(name, runId) {
  const ticket = ++state.watch;
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
      await Promise.all([refreshRuns(), refreshList()]);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// ---- query ----

function renderResult(result) {
  const header = el("tr", {}, ...result.columns.map((c) => el("th", { scope: "col" }, c)));
  $("query-head").replaceChildren(header);
  const body = result.rows.map((row) => el("tr", {}, ...row.map(valueCell)));
  $("query-body").replaceChildren(...body);
  const rows = `${count(result.row_count)} row${result.row_count === 1 ? "" : "s"}`;
  $("query-meta").textContent = result.truncated ? `${rows} (truncated)` : rows;
  $("query-engine-sql").textContent = result.engine_sql || "";
  $("query-result").hidden = false;
}

function valueCell(value) {
  if (value === null) return el("td", { className: "null" }, "NULL");
  return el("td", {}, typeof value === "object" ? JSON.stringify(value) : value);
}

async function runQuery(event) {
  event.preventDefault();
  const body = { sql: $("query-sql").value };
  const limit = $("query-limit").value.trim();
  if (limit) body.limit = Number(limit);
  try {
    const result = await api("POST", `/api/experiments/${enc(state.selected)}/query`, body);
    showError($("query-error"), null);
    renderResult(result);
  } catch (error) {
    $("query-result").hidden = true;
    showError($("query-error"), error);
  }
}

// ---- start ----

function start() {
  $("health-refresh").addEventListener("click", refreshHealth);
  $("token-form").addEventListener("submit", saveToken);
  $("token-clear").addEventListener("click", clearToken);
  $("list-refresh").addEventListener("click", refreshList);
  $("create-form").addEventListener("submit", createExperiment);
  $("delete").addEventListener("click", deleteExperiment);
  $("generate-form").addEventListener("submit", generate);
  $("runs-refresh").addEventListener("click", refreshRuns);
  $("query-form").addEventListener("submit", runQuery);
  showTokenState();
  refreshHealth();
  setInterval(refreshHealth, HEALTH_MS);
  refreshList();
}

start();
