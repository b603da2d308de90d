// Saved queries (save, open, rename, delete, run) and the query history (click to reopen) of the
// selected experiment.

import { api, enc } from "./api.js";
import { $, count, el, showError, when } from "./dom.js";
import { getSql, setSql } from "./query.js";

function small(text, label, onClick, className = "secondary small") {
  const button = el("button", { type: "button", className, "aria-label": label }, text);
  button.addEventListener("click", onClick);
  return button;
}

// `selected()` names the experiment; `execute(call)` shows the answer of `call()` in the result box.
export function setupSaved(selected, execute) {
  async function refreshSaved() {
    const name = selected();
    if (!name) return;
    try {
      const { queries } = await api("GET", `/api/experiments/${enc(selected())}/queries`);
      if (name !== selected()) return;
      showError($("saved-error"), null);
      $("saved-list").replaceChildren(...queries.map(savedItem));
      $("saved-empty").hidden = queries.length > 0;
    } catch (error) {
      showError($("saved-error"), error);
    }
  }

  function savedItem(query) {
    const open = small(query.name, `Open saved query ${query.name}`, () => {
      setSql(query.sql);
      $("save-name").value = query.name;
    }, "link name");
    const run = small("Run", `Run saved query ${query.name}`, () => {
      setSql(query.sql);
      execute(() => api("POST", `/api/experiments/${enc(selected())}/queries/${enc(query.name)}/run`, {}));
    });
    const rename = small("Rename", `Rename saved query ${query.name}`, async () => {
      const next = window.prompt(`New name for "${query.name}"`, query.name);
      if (!next || next === query.name) return;
      await change(() => api("PUT", `/api/experiments/${enc(selected())}/queries/${enc(query.name)}`, { name: next }));
    });
    const remove = small("Delete", `Delete saved query ${query.name}`, async () => {
      if (!window.confirm(`Delete saved query "${query.name}"?`)) return;
      await change(() => api("DELETE", `/api/experiments/${enc(selected())}/queries/${enc(query.name)}`));
    }, "danger small");
    return el("li", { title: query.sql }, open, el("span", { className: "buttons" }, run, rename, remove));
  }

  async function change(call) {
    try {
      await call();
      showError($("saved-error"), null);
    } catch (error) {
      showError($("saved-error"), error);
    }
    await refreshSaved();
  }

  // Save under the typed name: a new one is created, an existing one (after asking) replaced.
  async function save(event) {
    event.preventDefault();
    const queryName = $("save-name").value.trim();
    const sql = getSql();
    $("save-status").textContent = "";
    try {
      try {
        await api("POST", `/api/experiments/${enc(selected())}/queries`, { name: queryName, sql });
      } catch (error) {
        if (error.status !== 409 || !window.confirm(`Replace saved query "${queryName}"?`)) throw error;
        await api("PUT", `/api/experiments/${enc(selected())}/queries/${enc(queryName)}`, { sql });
      }
      showError($("saved-error"), null);
      $("save-status").textContent = `Saved ${queryName}.`;
    } catch (error) {
      showError($("saved-error"), error);
    }
    await refreshSaved();
  }

  function historyItem(entry) {
    const text = entry.sql.length > 90 ? `${entry.sql.slice(0, 90)}…` : entry.sql;
    const open = small(text, `Reopen query from ${when(entry.created_at)}`, () => setSql(entry.sql), "link sql");
    const outcome = entry.status === "ok"
      ? `${entry.row_count === null ? entry.format : `${count(entry.row_count)} row${entry.row_count === 1 ? "" : "s"}`}`
      : `error: ${entry.error || ""}`;
    const meta = `${when(entry.created_at)} · ${count(entry.duration_ms)} ms · ${outcome}${entry.saved_query ? ` · saved ${entry.saved_query}` : ""}`;
    return el("li", { className: `history-${entry.status}` }, open, el("span", { className: "muted meta" }, meta));
  }

  let history = [];

  // The history as filtered by outcome and by text (in the SQL, the error or the saved name).
  function drawHistory() {
    const text = $("history-text").value.trim().toLowerCase();
    const status = $("history-status").value;
    const shown = history.filter((entry) => (!status || entry.status === status)
      && (!text || [entry.sql, entry.error, entry.saved_query].some((v) => v && v.toLowerCase().includes(text))));
    $("history-list").replaceChildren(...shown.slice(0, 50).map(historyItem));
    $("history-empty").textContent = history.length ? "No query matches the filter." : "No query run yet.";
    $("history-empty").hidden = shown.length > 0;
  }

  async function refreshHistory() {
    const name = selected();
    if (!name) return;
    try {
      const { entries } = await api("GET", `/api/experiments/${enc(selected())}/history`);
      if (name !== selected()) return;
      history = entries;
      drawHistory();
    } catch (error) {
      showError($("saved-error"), error);
    }
  }

  $("save-form").addEventListener("submit", save);
  $("history-refresh").addEventListener("click", refreshHistory);
  $("history-text").addEventListener("input", drawHistory);
  $("history-status").addEventListener("change", drawHistory);
  return { refreshSaved, refreshHistory };
}
