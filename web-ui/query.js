// The Query box of the selected experiment: run SQL and show the rows (JSON answer), or download
// the whole result as `<experiment>.csv` (the same call with `"format": "csv"`, a streamed text/csv).

import { api, download, enc } from "./api.js";
import { $, count, el, saveBlob, showError } from "./dom.js";

// The query body from the form: the SQL, and the row limit if one is set.
function queryBody() {
  const body = { sql: $("query-sql").value };
  const limit = $("query-limit").value.trim();
  if (limit) body.limit = Number(limit);
  return body;
}

function valueCell(value) {
  if (value === null) return el("td", { className: "null" }, "NULL");
  return el("td", {}, typeof value === "object" ? JSON.stringify(value) : value);
}

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

function bytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// Empty the box for another experiment.
export function resetQuery() {
  $("query-result").hidden = true;
  $("query-download-status").textContent = "";
  showError($("query-error"), null);
}

// `selected()` names the experiment the box queries.
export function setupQuery(selected) {
  async function runQuery(event) {
    event.preventDefault();
    const name = selected();
    try {
      const result = await api("POST", `/api/experiments/${enc(name)}/query`, queryBody());
      if (name !== selected()) return;
      showError($("query-error"), null);
      renderResult(result);
    } catch (error) {
      if (name !== selected()) return;
      $("query-result").hidden = true;
      showError($("query-error"), error);
    }
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
    }
  }

  $("query-form").addEventListener("submit", runQuery);
  $("query-download").addEventListener("click", downloadCsv);
}
