// A run's shard view: per table and per shard (state, attempts, worker, error), and the Parquet
// objects the run wrote; plus the duration and rows/s shown in the runs list.

import { api, enc } from "./api.js";
import { $, count, el, showError, statusBadge } from "./dom.js";

// Seconds from start (or creation) to the end, or to now while the run is active.
export function durationSeconds(run) {
  const start = run.started_at || run.created_at;
  if (!start) return null;
  const end = run.finished_at ? new Date(run.finished_at) : new Date();
  return Math.max(0, (end - new Date(start)) / 1000);
}

export function duration(run) {
  const s = durationSeconds(run);
  if (s === null) return "—";
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function rowsPerSecond(run) {
  const s = durationSeconds(run);
  const loaded = run.totals?.loaded_rows || 0;
  if (!s || !loaded) return "—";
  return Math.round(loaded / s).toLocaleString();
}

function shardRow(shard) {
  return el("tr", {},
    el("td", {}, shard.table), el("td", {}, shard.shard_index),
    el("td", {}, `${count(shard.rows_loaded)} / ${count(shard.row_count)}`),
    el("td", {}, statusBadge(shard.status)), el("td", {}, shard.attempts),
    el("td", {}, shard.worker || "—"), el("td", { className: "error-text wrap" }, shard.last_error || ""));
}

// Show the shards of `runId` of experiment `name` (called again by the runs refresh while active).
export async function showRunView(name, runId) {
  const box = $("run-view");
  box.hidden = false;
  box.dataset.run = String(runId);
  $("run-view-title").textContent = `Run #${runId}: shards`;
  try {
    const answer = await api("GET", `/api/experiments/${enc(name)}/runs/${runId}/shards`);
    if (box.dataset.run !== String(runId)) return;
    showError($("run-view-error"), null);
    const tables = new Set(answer.shards.map((s) => s.table));
    const loaded = answer.shards.filter((s) => s.status === "LOADED").length;
    $("run-view-summary").replaceChildren(statusBadge(answer.status),
      ` ${answer.shards.length} shards over ${tables.size} tables, ${loaded} loaded, ${answer.objects.length} Parquet objects`);
    $("run-view-body").replaceChildren(...answer.shards.map(shardRow));
    $("run-objects").replaceChildren(...answer.objects.map((url) => el("li", {}, el("code", {}, url))));
  } catch (error) {
    showError($("run-view-error"), error);
  }
}

export function setupRunView() {
  $("run-view-close").addEventListener("click", () => {
    $("run-view").hidden = true;
    $("run-view").dataset.run = "";
  });
}

// The run the shard view shows, if any.
export function shownRun() {
  const box = $("run-view");
  return box.hidden || !box.dataset.run ? null : Number(box.dataset.run);
}
