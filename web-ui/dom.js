// DOM helpers shared by the panel's modules: element building, formatting, error boxes, saving a
// file. Every piece of user or API text reaches the DOM as text (textContent / text nodes).

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
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

export function cell(value) {
  return el("td", {}, value === null || value === undefined ? "—" : value);
}

export function statusBadge(status) {
  return el("span", { className: `badge status-${String(status).toLowerCase()}` }, status);
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

export function count(n) {
  return typeof n === "number" ? n.toLocaleString() : "—";
}

// An error in its box: the message, then what `details` says (problems, path, line/column/near,
// component); `null` empties and hides the box.
export function showError(box, error) {
  box.replaceChildren();
  if (!error) {
    box.hidden = true;
    return;
  }
  const head = error instanceof ApiError ? `${error.status}${error.code ? ` ${error.code}` : ""}: ` : "";
  box.append(el("p", {}, el("strong", {}, head), error.message));
  const { problems, component, path, line, column, near } = error.details || {};
  // One problem is the message itself: listing it again would say it twice.
  const repeated = Array.isArray(problems) && problems.length === 1 && error.message.includes(problems[0].message);
  if (Array.isArray(problems) && problems.length && !repeated) {
    box.append(el("ul", {}, ...problems.map((p) => el("li", {}, el("code", {}, p.path), `: ${p.message}`))));
  } else if (path) {
    box.append(el("p", {}, "Path: ", el("code", {}, path)));
  }
  if (line !== undefined && line !== null) {
    const at = [`Line ${line}`, column ? `column ${column}` : null].filter(Boolean).join(", ");
    box.append(el("p", {}, at, near ? el("span", {}, ", near ", el("code", {}, near)) : null));
  }
  if (component) box.append(el("p", {}, `Component: ${component}`));
  box.hidden = false;
}

// A JSON value as `JSON.stringify(value, null, 2)` would print it, as strings and nodes: in an object
// with an `inferred` list (a column from a DDL import), the entries it names are wrapped in <mark>.
export function jsonParts(value, indent = "") {
  if (value === null || typeof value !== "object") return [JSON.stringify(value)];
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((item) => [null, item]) : Object.entries(value);
  if (!entries.length) return [isArray ? "[]" : "{}"];
  const inner = `${indent}  `;
  const marked = new Set(!isArray && Array.isArray(value.inferred) ? value.inferred : []);
  const parts = [isArray ? "[" : "{"];
  entries.forEach(([key, item], index) => {
    parts.push(index ? ",\n" : "\n", inner);
    const entry = [key === null ? "" : `${JSON.stringify(key)}: `, ...jsonParts(item, inner)];
    if (marked.has(key)) parts.push(el("mark", { className: "inferred", title: "inferred by the DDL import" }, ...entry));
    else parts.push(...entry);
  });
  parts.push(`\n${indent}${isArray ? "]" : "}"}`);
  return parts;
}

// Adjacent strings joined, so a document becomes a few text nodes rather than thousands.
export function joinText(parts) {
  const joined = [];
  for (const part of parts) {
    if (typeof part === "string" && typeof joined.at(-1) === "string") joined[joined.length - 1] += part;
    else joined.push(part);
  }
  return joined;
}

// Save a Blob as a file: an object URL clicked through a temporary <a download>, then released.
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Released a little later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Put text on the clipboard.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (plain http, some browsers): the old way, through a selection.
    const area = el("textarea", { value: text, readOnly: true });
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
