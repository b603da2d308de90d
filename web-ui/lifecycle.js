// Run life cycle in the control panel: Reset (empty the live tables, after a confirmation),
// Load (a completed generate run's Parquet into the warehouse again) and Retry (a failed run).
// Self-contained: app.js adds `runActions(...)` to each run row and calls `setupReset(...)`.

import { api, enc } from "./api.js";
import { $, el, showError } from "./dom.js";

function actionButton(label, title, onClick) {
  const button = el("button", { type: "button", className: "small", title, "aria-label": title }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await onClick();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// Buttons for one run of experiment `name`: Load for a completed generate run, Retry for a
// failed one. `started(runId)` is told about the new or reopened run (to watch its progress).
export function runActions(name, run, started) {
  const box = $("runs-error");
  const post = async (path, body) => {
    try {
      const answer = await api("POST", path, body);
      showError(box, null);
      await started(answer.run_id);
    } catch (error) {
      showError(box, error);
    }
  };
  const buttons = [];
  if ((run.status === "COMPLETED" || run.status === "COMPLETED_WITH_WARNINGS") && run.kind === "generate") {
    buttons.push(actionButton("Load", `Load the data of run ${run.run_id} again`, () =>
      post(`/api/experiments/${enc(name)}/load`, { run_id: run.run_id })));
  }
  if (run.status === "FAILED") {
    buttons.push(actionButton("Retry", `Retry the unfinished shards of run ${run.run_id}`, () =>
      post(`/api/experiments/${enc(name)}/runs/${run.run_id}/retry`)));
  }
  if (run.live) buttons.push(el("span", { className: "badge", title: "Queries read this run's data" }, "live"));
  if (run.report && run.report.state === "pending") {
    buttons.push(el("span", { className: "muted report-pending",
      title: "Every row is published: queries read this run's data now. Its validation report decides the final status." },
      " data live and queryable; validation report running"));
  }
  if (run.waiting_for) buttons.push(el("span", { className: "muted" }, ` ${run.waiting_for}`));
  return buttons;
}

// The Reset button of the selected experiment: asks first, then empties every live table.
export function setupReset(selected, refresh) {
  $("reset").addEventListener("click", async () => {
    const name = selected();
    if (!name || !window.confirm(`Empty every table of "${name}"? The schema and the runs are kept.`)) return;
    try {
      const answer = await api("POST", `/api/experiments/${enc(name)}/reset`);
      showError($("detail-error"), null);
      $("reset-ok").textContent = answer.tables_emptied.length
        ? `Emptied ${answer.tables_emptied.join(", ")}.`
        : "No live data: nothing to reset.";
      $("reset-ok").hidden = false;
      await refresh();
    } catch (error) {
      showError($("detail-error"), error);
    }
  });
}
