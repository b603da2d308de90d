// The Connect tab: how the user's own tools (psql, drivers, SQLAlchemy, dbt) reach the open
// experiment through its warehouse's wire endpoint, from GET /api/experiments/{name}/connection,
// with a copy button per value and "Rotate password" (POST .../connection/rotate). The password
// is masked until revealed (in the URL and the psql line too); copy always copies the real value.
// Fields are drawn from whatever keys the answer has (Redshift's, Snowflake's account / protocol /
// warehouse / role...), known ones first. Every API text reaches the DOM as text nodes.

import { api, enc } from "./api.js";
import { copyText, el, showError } from "./dom.js";
import { addExperimentTab } from "./tabs.js";

// Shown first, in this order, when present; any other scalar key follows.
const ORDER = ["engine", "host", "port", "account", "protocol", "database", "user", "password",
  "schema", "workspace_schema", "warehouse", "role", "sslmode", "sslrootcert", "object_store_prefix"];
const LABELS = {
  engine: "Engine", host: "Host", port: "Port", account: "Account", protocol: "Protocol",
  database: "Database", user: "User", password: "Password", schema: "Schema (generated tables)",
  workspace_schema: "Workspace schema (yours)", warehouse: "Warehouse", role: "Role",
  sslmode: "sslmode", sslrootcert: "TLS certificate", object_store_prefix: "COPY / UNLOAD path",
};
// Drawn as blocks of their own, or not shown as fields.
const BLOCKS = new Set(["available", "message", "url", "psql", "dbt_profile", "notes"]);
const MASK = "••••••••";

let current = { name: null, details: null, revealed: false };

function copyButton(label, value) {
  const button = el("button", { type: "button", className: "secondary small copy", title: `Copy ${label}` }, "Copy");
  button.setAttribute("aria-label", `Copy ${label}`);
  button.dataset.copy = String(value);
  button.addEventListener("click", async () => {
    await copyText(String(value));
    const status = document.getElementById("connect-status");
    if (status) status.textContent = `${label} copied`;
  });
  return button;
}

function label(key) {
  return LABELS[key] || key.replace(/_/g, " ");
}

// `text` with the password (and its URL-encoded form) masked unless revealed.
function masked(text, password) {
  if (current.revealed || !password) return text;
  let out = String(text);
  for (const form of new Set([password, encodeURIComponent(password)])) out = out.split(form).join(MASK);
  return out;
}

// A mapping as YAML (JSON scalars are YAML scalars), as `dw-sim experiment connect --format dbt`.
export function yaml(value, indent = 0) {
  const lines = [];
  for (const [key, item] of Object.entries(value)) {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      lines.push(`${" ".repeat(indent)}${key}:`, ...yaml(item, indent + 2));
    } else {
      lines.push(`${" ".repeat(indent)}${key}: ${JSON.stringify(item)}`);
    }
  }
  return lines;
}

function dbtYaml(name, profile) {
  return yaml({ dwsim: { target: name, outputs: { [name]: profile } } }).join("\n");
}

function multiline(value) {
  return typeof value === "string" && value.includes("\n");
}

function fieldRows(details) {
  const keys = [...ORDER.filter((k) => k in details),
    ...Object.keys(details).filter((k) => !ORDER.includes(k) && !BLOCKS.has(k))];
  const rows = [];
  for (const key of keys) {
    const value = details[key];
    if (value === null || value === undefined || typeof value === "object" || multiline(value)) continue;
    const shown = key === "password" && !current.revealed ? MASK : String(value);
    const code = el("code", { className: "connect-value" }, shown);
    code.dataset.field = key;
    const actions = el("span", { className: "connect-actions" }, copyButton(label(key), value));
    if (key === "password") {
      const reveal = el("button", { type: "button", className: "secondary small", id: "connect-reveal" },
        current.revealed ? "Hide" : "Reveal");
      reveal.setAttribute("aria-pressed", String(current.revealed));
      reveal.addEventListener("click", () => {
        current.revealed = !current.revealed;
        render();
      });
      actions.prepend(reveal);
    }
    rows.push(el("div", { className: "connect-row" }, el("dt", {}, label(key)), el("dd", {}, code, actions)));
  }
  return rows;
}

function block(id, title, text, copyValue) {
  const pre = el("pre", { className: "code connect-block", id, tabIndex: 0 }, text);
  pre.setAttribute("aria-label", title);
  return el("section", { className: "connect-snippet" },
    el("div", { className: "card-head" }, el("h4", {}, title), copyButton(title, copyValue)), pre);
}

function render() {
  const panel = document.getElementById("panel-connect");
  const { name, details } = current;
  if (!panel || !details) return;
  const body = document.getElementById("connect-body");
  if (!details.available) {
    body.replaceChildren(el("p", { className: "notice", id: "connect-unavailable", role: "note" },
      details.message || `experiments on the ${details.engine} warehouse have no wire endpoint`));
    document.getElementById("connect-rotate").hidden = true;
    return;
  }
  document.getElementById("connect-rotate").hidden = false;
  const password = details.password || "";
  const parts = [el("dl", { className: "connect-fields", id: "connect-fields" }, ...fieldRows(details))];
  if (details.url) parts.push(block("connect-url", "SQLAlchemy URL", masked(details.url, password), details.url));
  if (details.psql) parts.push(block("connect-psql", "psql", masked(details.psql, password), details.psql));
  if (details.dbt_profile) {
    const text = dbtYaml(name, details.dbt_profile);
    parts.push(block("connect-dbt", "dbt profile (profiles.yml)", masked(text, password), text));
  }
  // Anything else the warehouse's answer carries (a snippet, a settings object): a block each.
  for (const [key, value] of Object.entries(details)) {
    if (ORDER.includes(key) || BLOCKS.has(key) || value === null) continue;
    if (typeof value !== "object" && !multiline(value)) continue;
    const text = typeof value === "object" ? JSON.stringify(value, null, 2) : value;
    parts.push(block(`connect-${key}`, label(key), masked(text, password), text));
  }
  if (Array.isArray(details.notes) && details.notes.length) {
    parts.push(el("ul", { className: "connect-notes muted" }, ...details.notes.map((n) => el("li", {}, n))));
  }
  body.replaceChildren(...parts);
}

async function load(name, method = "GET") {
  const box = document.getElementById("connect-error");
  const path = `/api/experiments/${enc(name)}/connection${method === "POST" ? "/rotate" : ""}`;
  try {
    const details = await api(method, path);
    if (name !== current.name) current = { name, details: null, revealed: false };
    current.details = details;
    showError(box, null);
    render();
    if (method === "POST") document.getElementById("connect-status").textContent = "New password set: open sessions go on, new ones need it";
  } catch (error) {
    showError(box, error);
  }
}

// Draw `details` (a /connection answer) for experiment `name` in the open tab, as `load` does.
export function showDetails(name, details) {
  current = { name, details, revealed: false };
  render();
}

// The experiment's "Connect" tab, loaded each time it is shown.
export function setupConnectTab() {
  const panel = addExperimentTab("connect", "Connect", (_, name) => {
    if (name !== current.name) {
      current = { name, details: null, revealed: false };
      document.getElementById("connect-body").replaceChildren(el("p", { className: "muted" }, "Loading…"));
      document.getElementById("connect-status").textContent = "";
    }
    load(name);
  });
  const rotate = el("button", { type: "button", id: "connect-rotate", className: "secondary", hidden: true }, "Rotate password");
  rotate.addEventListener("click", () => {
    if (!current.name) return;
    if (!window.confirm(`A new password for ${current.name}? Tools using the old one must be given the new one.`)) return;
    load(current.name, "POST");
  });
  panel.append(
    el("div", { className: "card-head" }, el("h3", { id: "connect-title" }, "Connect your tools"), rotate),
    el("p", { className: "muted small-note" },
      "psql, drivers, SQLAlchemy and dbt reach this experiment as they would the real warehouse. Treat the password as a secret."),
    el("div", { id: "connect-error", className: "error", role: "alert", hidden: true }),
    el("p", { id: "connect-status", className: "ok", role: "status", "aria-live": "polite" }),
    el("div", { id: "connect-body" }),
  );
}
