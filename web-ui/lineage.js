// The Lineage view: an experiment's graph from GET /api/experiments/{name}/lineage drawn as SVG,
// left to right: experiment version -> run -> per-table objects -> load -> warehouse table. The
// run whose data is live is highlighted with its path to the tables. Self-contained (no library):
// `renderLineage(element, graph, options)` draws a graph already fetched, `showLineage(element,
// name, options)` fetches and draws it, `setupLineageTab(onOpen)` mounts it as the experiment's
// "Lineage" tab. Run ids are the runs' numbers in the experiment, as everywhere in the API.
// Every API text reaches the DOM as text nodes.

import { api, download, enc } from "./api.js";
import { el, saveBlob, showError } from "./dom.js";
import { addExperimentTab } from "./tabs.js";

const SVG = "http://www.w3.org/2000/svg";
const COLUMNS = ["experiment_version", "run", "objects", "load", "table"];
const HEADINGS = ["Experiment versions", "Runs", "Parquet objects", "Loads", "Warehouse tables"];
const NODE_W = 190;
const NODE_H = 44;
const GAP_X = 60;
const GAP_Y = 14;
const TOP = 34;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function short(text, max = 26) {
  const s = String(text ?? "");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// The graph with a run's objects folded per table (a run of 1,000 shards stays readable): each
// `object` node becomes one `objects` node per (run, table), and edges are merged the same way.
export function foldObjects(graph) {
  const groupOf = new Map();
  const groups = new Map();
  const nodes = [];
  for (const node of graph.nodes) {
    if (node.type !== "object") {
      nodes.push(node);
      continue;
    }
    const id = `objects:${node.run_id}:${node.table}`;
    groupOf.set(node.id, id);
    let group = groups.get(id);
    if (!group) {
      group = { id, type: "objects", run_id: node.run_id, table: node.table, count: 0, rows: 0, bytes: 0, deleted: node.deleted };
      groups.set(id, group);
      nodes.push(group);
    }
    group.count += 1;
    group.rows += node.rows || 0;
    group.bytes += node.bytes || 0;
  }
  for (const group of groups.values()) {
    group.label = `${group.table}: ${group.count} objects`;
    group.detail = `${group.rows.toLocaleString()} rows${group.deleted ? ", deleted" : ""}`;
  }
  const seen = new Set();
  const edges = [];
  for (const edge of graph.edges) {
    const folded = { ...edge, source: groupOf.get(edge.source) || edge.source, target: groupOf.get(edge.target) || edge.target };
    const key = `${folded.source}|${folded.type}|${folded.target}`;
    if (!seen.has(key)) {
      seen.add(key);
      edges.push(folded);
    }
  }
  return { ...graph, nodes, edges };
}

// Positions: one column per node type, nodes stacked in API order.
export function layoutLineage(graph) {
  const rows = COLUMNS.map(() => 0);
  const at = new Map();
  for (const node of graph.nodes) {
    const column = COLUMNS.indexOf(node.type);
    if (column < 0) continue;
    const y = TOP + rows[column] * (NODE_H + GAP_Y);
    rows[column] += 1;
    at.set(node.id, { x: column * (NODE_W + GAP_X), y });
  }
  const height = TOP + Math.max(1, ...rows) * (NODE_H + GAP_Y);
  return { at, width: COLUMNS.length * (NODE_W + GAP_X) - GAP_X, height };
}

function detailOf(node) {
  switch (node.type) {
    case "experiment_version": return `digest ${String(node.digest).slice(0, 12)}`;
    case "run": return `${node.status}${node.live ? " · LIVE" : ""} · seed ${node.seed}`;
    case "load": return `${(node.rows_loaded || 0).toLocaleString()} rows${node.published_at ? " · published" : ""}`;
    case "table": return node.state === "live" ? `live from run ${node.live_run_id}` : node.state;
    default: return node.detail || "";
  }
}

function liveIds(graph) {
  const live = new Set();
  if (graph.live_run_id == null) return live;
  const runId = `run:${graph.live_run_id}`;
  live.add(runId);
  for (const edge of graph.edges) {
    if (edge.live) {
      live.add(edge.source);
      live.add(edge.target);
    }
  }
  // The objects the live load read (its own run's, or the reloaded run's).
  for (const edge of graph.edges) {
    if (edge.type === "loaded_into" && live.has(edge.target)) live.add(edge.source);
  }
  return live;
}

// Draw `graph` (the API's answer) into `element`; `onRun(runId, node)` is called when a run is
// clicked or activated with the keyboard. Returns the SVG element.
export function renderLineage(element, graph, { onRun = null } = {}) {
  const folded = foldObjects(graph);
  const { at, width, height } = layoutLineage(folded);
  const live = liveIds(folded);
  const root = svg("svg", {
    class: "lineage-graph", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-label": `Lineage of ${graph.experiment}`,
  });
  root.append(svg("title", {}, `Lineage of ${graph.experiment}`));
  COLUMNS.forEach((_, i) => root.append(svg("text", { x: i * (NODE_W + GAP_X), y: 16, class: "lineage-heading" }, HEADINGS[i])));
  const edges = svg("g", { class: "lineage-edges" });
  for (const edge of folded.edges) {
    const a = at.get(edge.source);
    const b = at.get(edge.target);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const bend = Math.max(20, (x2 - x1) / 2);
    const onLive = live.has(edge.source) && live.has(edge.target) && edge.type !== "reloaded_by";
    edges.append(svg("path", {
      d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      class: `lineage-edge edge-${edge.type}${onLive ? " live" : ""}`,
      "data-type": edge.type,
    }, svg("title", {}, edge.type)));
  }
  root.append(edges);
  for (const node of folded.nodes) {
    const pos = at.get(node.id);
    if (!pos) continue;
    const classes = ["lineage-node", `node-${node.type}`];
    if (live.has(node.id)) classes.push("live");
    if (node.type === "run") classes.push(`status-${String(node.status).toLowerCase()}`);
    const group = svg("g", { class: classes.join(" "), transform: `translate(${pos.x},${pos.y})`, "data-id": node.id });
    group.append(
      svg("rect", { width: NODE_W, height: NODE_H, rx: 6 }),
      svg("text", { x: 8, y: 18, class: "lineage-label" }, short(node.label)),
      svg("text", { x: 8, y: 35, class: "lineage-detail" }, short(detailOf(node), 30)),
      svg("title", {}, `${node.label}\n${detailOf(node)}`),
    );
    if (node.type === "run" && onRun) {
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      group.setAttribute("aria-label", `Show run ${node.run_id}`);
      const open = () => onRun(node.run_id, node);
      group.addEventListener("click", open);
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          open();
        }
      });
    }
    root.append(group);
  }
  element.replaceChildren(root);
  return root;
}

// Fetch the lineage of experiment `name` (of one run with `runId`) and draw it into `element`.
export async function showLineage(element, name, { runId = null, onRun = null } = {}) {
  const graph = runId == null
    ? await api("GET", `/api/experiments/${enc(name)}/lineage`)
    : await api("GET", `/api/experiments/${enc(name)}/lineage?run=${enc(runId)}`);
  renderLineage(element, graph, { onRun });
  return graph;
}

// The run's details under the graph: what it is, links to it and its validation report, an
// "Export bundle" button for a completed run, and "Open in Runs" (`onOpen(name, runId)`).
function showRunDetails(details, errorBox, name, runId, node, onOpen) {
  const link = (href, text) => el("a", { href }, text);
  details.replaceChildren(
    `Run #${runId}: ${node.kind}, ${node.status}, seed ${node.seed}, plan ${String(node.plan_digest || "—").slice(0, 12)} · `,
    link(`/api/experiments/${enc(name)}/runs/${enc(runId)}`, "run"), " · ",
    link(`/api/experiments/${enc(name)}/runs/${enc(runId)}/report`, "report"),
  );
  if (String(node.status).startsWith("COMPLETED")) {
    const button = el("button", { type: "button", className: "secondary small" }, "Export bundle");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const blob = await download("POST", `/api/experiments/${enc(name)}/runs/${enc(runId)}/export`);
        saveBlob(blob, `${name}-run${runId}.tar.gz`);
      } catch (error) {
        showError(errorBox, error);
      } finally {
        button.disabled = false;
      }
    });
    details.append(" ", button);
  }
  if (onOpen) {
    const open = el("button", { type: "button", className: "secondary small" }, "Open in Runs");
    open.addEventListener("click", () => onOpen(name, runId));
    details.append(" ", open);
  }
  details.hidden = false;
}

// The experiment's "Lineage" tab: drawn afresh each time it is shown (or another experiment is
// opened while it is); a click on a run shows its details, and `onOpen(name, runId)` opens the
// run in the Runs tab from there.
export function setupLineageTab(onOpen = null) {
  let drawn = 0; // the latest draw: an older answer arriving late is dropped
  const parts = {};
  const build = (panel) => {
    const refresh = el("button", { type: "button", id: "lineage-refresh", className: "small" }, "Refresh");
    parts.error = el("div", { id: "lineage-error", className: "error", role: "alert", hidden: true });
    parts.graph = el("div", { id: "lineage-graph", className: "lineage" });
    parts.run = el("p", { id: "lineage-run", className: "muted", role: "status", hidden: true });
    parts.note = el("p", { className: "muted small-note" },
      "Where every table's data came from: experiment versions, runs (by number), their Parquet objects, "
      + "loads and the warehouse tables; the live run's path is highlighted. Click a run for its details.");
    panel.append(
      el("div", { className: "card-head" }, el("h3", {}, "Lineage"), refresh),
      parts.note, parts.error, parts.graph, parts.run,
    );
    refresh.addEventListener("click", () => draw(parts.name));
  };
  const draw = async (name) => {
    const mine = ++drawn;
    parts.name = name;
    parts.run.hidden = true;
    parts.run.replaceChildren();
    showError(parts.error, null);
    try {
      const graph = await api("GET", `/api/experiments/${enc(name)}/lineage`);
      if (mine !== drawn) return;
      renderLineage(parts.graph, graph, {
        onRun: (runId, node) => showRunDetails(parts.run, parts.error, name, runId, node, onOpen),
      });
    } catch (error) {
      if (mine !== drawn) return;
      parts.graph.replaceChildren();
      showError(parts.error, error);
    }
  };
  return addExperimentTab("lineage", "Lineage", (panel, name) => {
    if (!panel.firstChild) build(panel);
    draw(name);
  });
}
