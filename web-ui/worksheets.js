// Worksheet tabs above the editor: several named SQL texts per experiment, saved server-side
// (PUT creates or replaces) a moment after each edit. A text is saved to the experiment and
// sheet it was typed for, also when the user switches away before the save fired.

import { api, enc } from "./api.js";
import { $, el, showError } from "./dom.js";
import { getSql, onEdit, replaceSql } from "./query.js";

const AUTOSAVE_MS = 600;
const ws = { experiment: null, list: [], current: null, timer: null, pending: false };

function status(text) {
  $("worksheet-status").textContent = text;
}

async function put(experiment, sheet, body) {
  return api("PUT", `/api/experiments/${enc(experiment)}/worksheets/${enc(sheet)}`, body);
}

// Save the current sheet now if an edit is waiting (before the editor's text changes hands).
export async function flush() {
  clearTimeout(ws.timer);
  if (!ws.pending || !ws.experiment || !ws.current) return;
  ws.pending = false;
  const { experiment, current } = ws;
  const sql = getSql();
  const sheet = ws.list.find((s) => s.name === current);
  if (sheet) sheet.sql = sql;
  try {
    await put(experiment, current, { sql });
    if (experiment === ws.experiment) status("saved");
  } catch (error) {
    showError($("query-error"), error);
  }
}

function edited() {
  if (!ws.experiment || !ws.current) return;
  ws.pending = true;
  status("editing…");
  clearTimeout(ws.timer);
  ws.timer = setTimeout(flush, AUTOSAVE_MS);
}

function draw() {
  const tabs = ws.list.map((sheet) => {
    const on = sheet.name === ws.current;
    const tab = el("button", { type: "button", role: "tab", "aria-selected": String(on), tabIndex: on ? 0 : -1,
      title: "Double-click to rename" }, sheet.name);
    tab.addEventListener("click", () => open(sheet.name));
    tab.addEventListener("dblclick", () => rename(sheet.name));
    return tab;
  });
  $("worksheet-tabs").replaceChildren(...tabs);
  $("worksheet-delete").disabled = ws.list.length < 2;
}

async function open(name) {
  if (name === ws.current) return;
  await flush();
  ws.current = name;
  const sheet = ws.list.find((s) => s.name === name);
  replaceSql(sheet ? sheet.sql : "");
  ws.pending = false;
  clearTimeout(ws.timer);
  status("");
  draw();
}

function freeName() {
  let n = ws.list.length + 1;
  while (ws.list.some((s) => s.name === `Worksheet ${n}`)) n += 1;
  return `Worksheet ${n}`;
}

async function add() {
  await flush();
  const name = freeName();
  ws.list.push({ name, sql: "" });
  try {
    await put(ws.experiment, name, { sql: "" });
  } catch (error) {
    showError($("query-error"), error);
  }
  await open(name);
}

async function remove() {
  const name = ws.current;
  if (ws.list.length < 2 || !window.confirm(`Delete worksheet "${name}" and its text?`)) return;
  clearTimeout(ws.timer);
  ws.pending = false;
  try {
    await api("DELETE", `/api/experiments/${enc(ws.experiment)}/worksheets/${enc(name)}`);
  } catch (error) {
    if (error.status !== 404) {
      showError($("query-error"), error);
      return;
    }
  }
  ws.list = ws.list.filter((s) => s.name !== name);
  ws.current = null;
  await open(ws.list[0].name);
}

async function rename(name) {
  const next = window.prompt(`New name for "${name}"`, name)?.trim();
  if (!next || next === name) return;
  await flush();
  try {
    await put(ws.experiment, name, { name: next, sql: ws.list.find((s) => s.name === name)?.sql ?? "" });
    ws.list.find((s) => s.name === name).name = next;
    if (ws.current === name) ws.current = next;
    draw();
  } catch (error) {
    showError($("query-error"), error);
  }
}

// Forget the open experiment's sheets (its pending edit is saved first).
export async function leave() {
  await flush();
  ws.experiment = null;
  ws.list = [];
  ws.current = null;
  draw();
  status("");
}

// The worksheets of `experiment`: the first one opens, unless the user already typed (then
// the typed text is kept, in the first sheet if it is empty, else in a new one).
export async function load(experiment) {
  ws.experiment = experiment;
  let list = [];
  try {
    ({ worksheets: list } = await api("GET", `/api/experiments/${enc(experiment)}/worksheets`));
  } catch (error) {
    showError($("query-error"), error);
  }
  if (experiment !== ws.experiment) return;
  ws.list = list.length ? list : [{ name: "Worksheet 1", sql: "" }];
  const typed = getSql();
  const first = ws.list[0];
  if (!typed.trim()) {
    ws.current = first.name;
    replaceSql(first.sql);
    ws.pending = false;
  } else if (!first.sql.trim() || first.sql === typed) {
    ws.current = first.name;
    edited();
  } else {
    const name = freeName();
    ws.list.push({ name, sql: typed });
    ws.current = name;
    edited();
  }
  draw();
}

export function setupWorksheets() {
  onEdit(edited);
  $("worksheet-add").addEventListener("click", add);
  $("worksheet-delete").addEventListener("click", remove);
  window.addEventListener("beforeunload", () => { flush(); });
}
