// The run's validation report panel: the checks the loader ran in the warehouse after loading,
// each with what it verifies, expected and observed values, and a Recompute button.
// While the report runs (the data already published) the panel says the data is queryable.
// Self-contained: app.js only calls `showReport(name, run)` when a run is shown.

import { api, enc } from "./api.js";
import { el, showError } from "./dom.js";

const REPORTED = new Set(["COMPLETED", "COMPLETED_WITH_WARNINGS"]);

function panel() {
  let box = document.getElementById("run-report");
  if (!box) {
    box = el("section", { id: "run-report", className: "run-report", "aria-live": "polite" });
    document.getElementById("progress").append(box);
  }
  return box;
}

const shown = (value) => (typeof value === "string" ? value : JSON.stringify(value));

function checkRow(check) {
  const mark = el("td", { className: check.pass ? "check-pass" : "check-fail" }, check.pass ? "pass" : "FAIL");
  return el("tr", {}, mark, el("td", {}, check.table), el("td", {}, check.column || ""),
    el("td", {}, check.check), el("td", { className: "what" }, check.what),
    el("td", { className: "value" }, shown(check.expected)), el("td", { className: "value" }, shown(check.observed)));
}

function render(box, name, report) {
  const title = el("p", { className: report.failed || report.error ? "error-text" : "" },
    `Validation report: ${report.verdict || "none yet"}`);
  const again = el("button", { type: "button", className: "small" }, "Recompute");
  const error = el("p", { className: "error", hidden: true });
  again.addEventListener("click", async () => {
    again.disabled = true;
    try {
      const fresh = await api("POST", `/api/experiments/${enc(name)}/runs/${report.run_id}/report`);
      render(box, name, fresh);
    } catch (err) {
      showError(error, err);
      again.disabled = false;
    }
  });
  const failedFirst = [...(report.checks || [])].sort((a, b) => Number(a.pass) - Number(b.pass));
  const head = el("tr", {}, ...["", "table", "column", "check", "what", "expected", "observed"].map((h) => el("th", {}, h)));
  const table = el("table", { className: "report-checks" }, el("thead", {}, head),
    el("tbody", {}, ...failedFirst.map(checkRow)));
  // The checks scroll inside the panel: long expected/observed values never widen the page.
  box.replaceChildren(el("div", { className: "progress-head" }, title, again), error,
    el("div", { className: "scroll" }, table));
}

export async function showReport(name, run) {
  const box = panel();
  if (name && run.published_at && run.report?.state === "pending") {
    // Published, report still running: the data is queryable now, the verdict follows.
    box.replaceChildren(el("p", { className: "report-pending", role: "status" },
      `Run #${run.run_id}'s data is live and queryable since ${new Date(run.published_at).toLocaleTimeString()}; ` +
      "the validation report is running and decides its final status."));
    return;
  }
  if (!name || !REPORTED.has(run.status) || !run.verdict) {
    box.replaceChildren();
    return;
  }
  try {
    render(box, name, await api("GET", `/api/experiments/${enc(name)}/runs/${run.run_id}/report`));
  } catch (err) {
    const error = el("p", { className: "error" });
    box.replaceChildren(error);
    showError(error, err);
  }
}
