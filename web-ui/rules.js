// Rules in the grid (Data tab): each column's type and rule edited inline — a rule from the
// catalogue (`GET /api/rules`: kinds, distributions, Faker methods with search), ranges, choices
// with weights, null %, distribution parameters — checked as the user types by the API's own
// checks (`POST /api/experiments/validate?report=true`), saved as an experiment update (PUT).
// And the Sample: about 10 rows per table from the rules at once (`POST .../sample`), the first
// rows a run with the same seed, rows and shard size writes.

import { api, enc } from "./api.js";
import { $, count, el, showError } from "./dom.js";

const RULE_FIELDS = ["faker_rule", "choices", "weights", "min_value", "max_value", "distribution",
  "pattern", "sequence", "date_start", "date_end"];
const RULES = [
  ["type", "by type (default)"], ["faker", "Faker provider"], ["choices", "choices"],
  ["range", "range (min..max)"], ["distribution", "distribution"], ["dates", "date range"],
  ["pattern", "pattern"], ["sequence", "sequence"],
];
const NUMERIC = new Set(["SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT"]);
const CHECK_MS = 250;
const FAKER_SHOWN = 40;

const catalogues = new Map(); // locale -> Promise of GET /api/rules
let hooks = null; // {name(), doc(), saved(doc), gridInputs()}
let open = null; // the editor being shown: {table, column, node, draft, valid, seq}

function catalogue(locale) {
  if (!catalogues.has(locale)) {
    const loading = api("GET", `/api/rules?locale=${enc(locale)}`);
    loading.catch(() => catalogues.delete(locale));
    catalogues.set(locale, loading);
  }
  return catalogues.get(locale);
}

function ruleOf(col) {
  if (col.foreign_key) return "foreign_key";
  if (col.sequence) return "sequence";
  if (col.choices) return "choices";
  if (col.pattern) return "pattern";
  if (col.faker_rule) return "faker";
  if (col.distribution) return "distribution";
  if (col.date_start || col.date_end) return "dates";
  if (col.min_value !== undefined && col.min_value !== null) return "range";
  if (col.max_value !== undefined && col.max_value !== null) return "range";
  return "type";
}

// A number typed in a field: the number, or the text as typed (so the API names the mistake);
// an empty field is no value.
function numberOf(text) {
  const value = text.trim();
  if (!value) return undefined;
  return Number.isFinite(Number(value)) ? Number(value) : value;
}

function choiceValue(text, type) {
  if (text === "null") return null;
  if (NUMERIC.has(type) && Number.isFinite(Number(text))) return Number(text);
  if (type === "BOOLEAN" && /^(true|false)$/i.test(text)) return text.toLowerCase() === "true";
  return text;
}

// `value` or `value = weight`, one per line.
function choicesOf(text, type) {
  const lines = text.split("\n").map((line) => line.trim()).filter(Boolean);
  const parsed = lines.map((line) => {
    const match = /^(.*?)\s*=\s*([^=]*)$/.exec(line);
    return match ? [match[1], match[2]] : [line, null];
  });
  const choices = parsed.map(([value]) => choiceValue(value, type));
  const weighted = parsed.some(([, weight]) => weight !== null);
  const weights = weighted ? parsed.map(([, weight]) => (weight === null ? null : numberOf(weight) ?? null)) : undefined;
  return { choices: choices.length ? choices : undefined, weights };
}

function choicesText(col) {
  return (col.choices || []).map((value, i) =>
    `${value === null ? "null" : value}${col.weights ? ` = ${col.weights[i]}` : ""}`).join("\n");
}

function field(label, input, name) {
  const id = `rule-${name}`;
  input.id = id;
  input.dataset.field = name;
  return el("div", { className: `rule-field field-${name}` }, el("label", { htmlFor: id }, label), input,
    el("span", { className: "field-problem error-text", id: `${id}-problem`, role: "status" }));
}

function text(value, props = {}) {
  return el("input", { type: "text", value: value ?? "", autocomplete: "off", spellcheck: false, ...props });
}

function select(options, chosen) {
  const node = el("select", {}, ...options.map(([value, label]) => el("option", { value }, label)));
  node.value = chosen;
  return node;
}

// The editor's form for one column.
function editorForm(col, cat, tableNames) {
  const nullRate = col.null_rate ?? (col.required === false ? 0.1 : 0);
  const form = el("div", { className: "rule-editor", role: "group", "aria-label": `Rule of ${col.name}` });
  const type = select(cat.types.map((t) => [t, t]), col.data_type);
  const rule = select(col.foreign_key ? [["foreign_key", "foreign key"]] : RULES, ruleOf(col));
  rule.disabled = Boolean(col.foreign_key);
  const fakerList = el("ul", { className: "faker-list", role: "listbox", "aria-label": "Faker methods" });
  const law = select(Object.keys(cat.distributions).map((d) => [d, d]), col.distribution?.type || "normal");
  const params = el("div", { className: "dist-params" });
  const parts = {
    type: field("Type", type, "data_type"),
    length: field("Length", text(col.varchar_length, { inputMode: "numeric" }), "varchar_length"),
    precision: field("Precision, scale", text(col.precision !== undefined && col.precision !== null
      ? `${col.precision},${col.scale ?? 0}` : "", { placeholder: "18,0" }), "precision"),
    rule: field("Rule", rule, "rule"),
    faker: field("Faker method", text(col.faker_rule, { type: "search", placeholder: "search: email, city…",
      "aria-controls": "faker-list" }), "faker_rule"),
    fakerList,
    choices: field("Choices (value or value = weight, one a line)",
      el("textarea", { rows: 4, spellcheck: false, value: choicesText(col) }), "choices"),
    min: field("Min", text(col.min_value, { inputMode: "decimal" }), "min_value"),
    max: field("Max", text(col.max_value, { inputMode: "decimal" }), "max_value"),
    law: field("Distribution", law, "distribution"),
    params,
    start: field("From", text(col.date_start, { placeholder: "YYYY-MM-DD" }), "date_start"),
    end: field("To", text(col.date_end, { placeholder: "YYYY-MM-DD" }), "date_end"),
    pattern: field("Pattern (# digit, ? letter, * either)", text(col.pattern, { placeholder: "ORD-{######}" }), "pattern"),
    seqStart: field("Start", text(col.sequence?.start ?? 1, { inputMode: "numeric" }), "sequence_start"),
    seqStep: field("Step", text(col.sequence?.step ?? 1, { inputMode: "numeric" }), "sequence_step"),
    nulls: field("Null %", text(String(Math.round(nullRate * 1000) / 10), { inputMode: "decimal" }), "null_rate"),
    unique: el("label", { className: "rule-check" },
      el("input", { type: "checkbox", checked: Boolean(col.is_unique), id: "rule-is_unique" }), " unique"),
    fk: col.foreign_key ? el("p", { className: "muted small-note" },
      `References ${col.foreign_key.references_table}.${col.foreign_key.references_column} `,
      `(one of ${tableNames.length} tables; edit keys in Settings)`) : null,
  };
  fakerList.id = "faker-list";
  const problems = el("div", { className: "error rule-problems", role: "alert", hidden: true });
  const status = el("span", { className: "muted rule-status", role: "status" });
  const save = el("button", { type: "button", className: "small rule-save", disabled: true }, "Save rule");
  const sample = el("button", { type: "button", className: "secondary small rule-sample" }, "Sample");
  const cancel = el("button", { type: "button", className: "secondary small rule-cancel" }, "Cancel");
  form.append(...[parts.type, parts.length, parts.precision, parts.rule, parts.fk, parts.faker,
    parts.fakerList, parts.choices, parts.law, parts.params, parts.min, parts.max, parts.start, parts.end,
    parts.pattern, parts.seqStart, parts.seqStep, parts.nulls, parts.unique, problems,
    el("div", { className: "actions" }, save, sample, cancel, status)].filter(Boolean));
  return { form, parts, type, rule, law, params, problems, status, save, sample, cancel };
}

// Which parts show for the chosen type and rule.
function arrange(view, col) {
  const { parts } = view;
  const kind = view.rule.value;
  const type = view.type.value;
  const show = (part, on) => { if (part) part.hidden = !on; };
  show(parts.length, type === "VARCHAR" || type === "CHAR");
  show(parts.precision, type === "DECIMAL");
  show(parts.faker, kind === "faker");
  show(parts.fakerList, kind === "faker");
  show(parts.choices, kind === "choices");
  show(parts.law, kind === "distribution");
  show(parts.params, kind === "distribution");
  show(parts.min, kind === "range" || kind === "distribution");
  show(parts.max, kind === "range" || kind === "distribution");
  show(parts.start, kind === "dates");
  show(parts.end, kind === "dates");
  show(parts.pattern, kind === "pattern");
  show(parts.seqStart, kind === "sequence");
  show(parts.seqStep, kind === "sequence");
}

function drawParams(view, cat, col) {
  const names = cat.distributions[view.law.value] || [];
  const given = col.distribution?.type === view.law.value ? col.distribution.parameters || {} : {};
  // Of the alternative spellings (rate/scale, lambda/lam, s/a) the first is shown.
  const shown = names.filter((n) => !["rate", "lam", "a"].includes(n) || given[n] !== undefined);
  view.params.replaceChildren(...shown.map((name) =>
    field(name, text(given[name], { placeholder: "default", inputMode: "decimal" }), `param_${name}`)));
}

function drawFaker(view, cat) {
  const query = view.parts.faker.querySelector("input").value.trim().toLowerCase();
  const hits = cat.faker.filter((f) => !query || f.name.includes(query) || f.provider.includes(query));
  const items = hits.slice(0, FAKER_SHOWN).map((f) => el("li", {},
    el("button", { type: "button", className: "link faker-pick", role: "option" }, f.name),
    el("span", { className: "muted" }, ` ${f.provider}`)));
  if (hits.length > FAKER_SHOWN) items.push(el("li", { className: "muted" }, `… ${count(hits.length - FAKER_SHOWN)} more: type to narrow`));
  if (!hits.length) items.push(el("li", { className: "muted" }, "no Faker method matches"));
  view.parts.fakerList.replaceChildren(...items);
}

// The column as the form describes it (everything else of the original column kept).
function columnFrom(view, col) {
  const value = (name) => view.form.querySelector(`[data-field="${name}"]`)?.value ?? "";
  const out = { ...col, data_type: view.type.value };
  for (const name of [...RULE_FIELDS, "inferred"]) delete out[name];
  delete out.varchar_length;
  delete out.precision;
  delete out.scale;
  if (out.data_type === "VARCHAR" || out.data_type === "CHAR") out.varchar_length = numberOf(value("varchar_length"));
  if (out.data_type === "DECIMAL" && value("precision").trim()) {
    const [precision, scale] = value("precision").split(",");
    out.precision = numberOf(precision);
    out.scale = numberOf(scale || "0");
  }
  if (out.data_type !== (col.data_type)) delete out.source_type; // the DDL's spelling no longer holds
  const kind = view.rule.value;
  if (kind === "faker") out.faker_rule = value("faker_rule").trim() || undefined;
  if (kind === "choices") Object.assign(out, choicesOf(value("choices"), out.data_type));
  if (kind === "range" || kind === "distribution") {
    out.min_value = numberOf(value("min_value"));
    out.max_value = numberOf(value("max_value"));
  }
  if (kind === "distribution") {
    const parameters = {};
    for (const input of view.params.querySelectorAll("[data-field^='param_']")) {
      const number = numberOf(input.value);
      if (number !== undefined) parameters[input.dataset.field.slice(6)] = number;
    }
    out.distribution = { type: view.law.value, parameters };
  }
  if (kind === "dates") {
    out.date_start = value("date_start").trim() || undefined;
    out.date_end = value("date_end").trim() || undefined;
  }
  if (kind === "pattern") out.pattern = value("pattern");
  if (kind === "sequence") out.sequence = { start: numberOf(value("sequence_start")) ?? 1, step: numberOf(value("sequence_step")) ?? 1 };
  if (kind === "foreign_key") out.foreign_key = col.foreign_key;
  const nulls = numberOf(value("null_rate"));
  if (typeof nulls === "number" && nulls > 0) {
    out.required = false;
    out.null_rate = nulls / 100;
  } else if (nulls === 0 || nulls === undefined) {
    if (out.required === false) out.null_rate = 0;
    else delete out.null_rate;
  } else {
    out.null_rate = nulls; // not a number: the API names it
  }
  out.is_unique = view.form.querySelector("#rule-is_unique").checked;
  for (const [key, item] of Object.entries(out)) if (item === undefined) delete out[key];
  return out;
}

function draftDocument(doc, tableIndex, columnIndex, column) {
  const copy = structuredClone(doc);
  copy.tables[tableIndex].columns[columnIndex] = column;
  return copy;
}

// Problems from the API beside the fields they name (`tables[i].columns[j].<field>...`).
function showProblems(view, answer, prefix) {
  for (const node of view.form.querySelectorAll(".field-problem")) node.textContent = "";
  for (const node of view.form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  if (answer.valid) {
    view.problems.hidden = true;
    view.problems.replaceChildren();
    return;
  }
  const mapped = { weights: "choices", sequence: "sequence_start", distribution: "distribution",
    scale: "precision", required: "null_rate" };
  const items = [];
  for (const problem of answer.problems || []) {
    const own = problem.path.startsWith(`${prefix}.`) ? problem.path.slice(prefix.length + 1) : null;
    items.push(el("li", {}, el("code", {}, own ?? problem.path), `: ${problem.message}`));
    if (own === null) continue;
    const head = own.split(/[.[]/)[0];
    const name = head.startsWith("parameters") ? "distribution" : (mapped[head] || head);
    const input = view.form.querySelector(`[data-field="${name}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const note = view.form.querySelector(`#${input.id}-problem`);
      // The field's own name is its label; anything deeper (weights[1]) is said.
      if (note) note.textContent = own === name ? problem.message : `${own}: ${problem.message}`;
    }
  }
  view.problems.replaceChildren(el("p", {}, el("strong", {}, "Not valid yet: "), answer.message || ""),
    el("ul", {}, ...items));
  view.problems.hidden = false;
}

async function check(view, ctx) {
  const seq = ++ctx.seq;
  const column = columnFrom(view, ctx.column);
  const draft = draftDocument(hooks.doc(), ctx.tableIndex, ctx.columnIndex, column);
  view.status.textContent = "checking…";
  try {
    const answer = await api("POST", "/api/experiments/validate?report=true", draft);
    if (seq !== ctx.seq || open !== ctx) return;
    ctx.draft = answer.valid ? draft : null;
    view.save.disabled = !answer.valid;
    view.status.textContent = answer.valid ? "valid" : "";
    showProblems(view, answer, `tables[${ctx.tableIndex}].columns[${ctx.columnIndex}]`);
  } catch (error) {
    if (seq !== ctx.seq) return;
    view.save.disabled = true;
    view.status.textContent = "";
    showError(view.problems, error);
  }
}

export function closeEditor() {
  if (!open) return;
  open.row.remove();
  open.button.setAttribute("aria-expanded", "false");
  open = null;
}

async function openEditor(button) {
  $("rules-ok").hidden = true;
  const tableName = button.dataset.table;
  const columnName = button.dataset.column;
  const reopen = open && open.table === tableName && open.columnName === columnName;
  closeEditor();
  if (reopen) return;
  const doc = hooks.doc();
  if (!doc) return;
  const tableIndex = doc.tables.findIndex((t) => t.name === tableName);
  const columnIndex = doc.tables[tableIndex]?.columns.findIndex((c) => c.name === columnName);
  if (tableIndex < 0 || columnIndex < 0) return;
  const column = doc.tables[tableIndex].columns[columnIndex];
  const line = button.closest("li");
  const row = el("li", { className: "rule-editor-row" }, "loading the rule catalogue…");
  line.after(row);
  button.setAttribute("aria-expanded", "true");
  const ctx = { table: tableName, columnName, tableIndex, columnIndex, column, row, button, seq: 0, draft: null };
  open = ctx;
  let cat;
  try {
    cat = await catalogue(doc.locale || "en_US");
  } catch (error) {
    if (open !== ctx) return;
    row.replaceChildren(el("div", { className: "error" }, error.message));
    return;
  }
  if (open !== ctx) return;
  const view = editorForm(column, cat, doc.tables.map((t) => t.name));
  row.replaceChildren(view.form);
  drawParams(view, cat, column);
  drawFaker(view, cat);
  arrange(view, column);
  let timer = null;
  const later = () => {
    ctx.dirty = true; // the user changed something: Sample shows the draft, not the saved rule
    clearTimeout(timer);
    view.save.disabled = true;
    timer = setTimeout(() => check(view, ctx), CHECK_MS);
  };
  view.form.addEventListener("input", (event) => {
    if (event.target === view.parts.faker.querySelector("input")) drawFaker(view, cat);
    later();
  });
  view.form.addEventListener("change", (event) => {
    if (event.target === view.rule || event.target === view.type) arrange(view, column);
    if (event.target === view.law) drawParams(view, cat, column);
    later();
  });
  view.parts.fakerList.addEventListener("click", (event) => {
    const pick = event.target.closest(".faker-pick");
    if (!pick) return;
    view.parts.faker.querySelector("input").value = pick.textContent;
    drawFaker(view, cat);
    later();
  });
  view.cancel.addEventListener("click", () => { closeEditor(); button.focus(); });
  view.save.addEventListener("click", () => saveRule(view, ctx));
  view.sample.addEventListener("click", () => runSample(ctx.dirty ? ctx.draft : null));
  view.form.querySelector("select, input")?.focus();
  check(view, ctx);
}

async function saveRule(view, ctx) {
  if (!ctx.draft) return;
  view.save.disabled = true;
  view.status.textContent = "saving…";
  try {
    const saved = await api("PUT", `/api/experiments/${enc(hooks.name())}`, ctx.draft);
    closeEditor();
    hooks.saved(saved, `Saved the rule of ${ctx.table}.${ctx.columnName}.`);
  } catch (error) {
    view.status.textContent = "";
    showError(view.problems, error);
    view.save.disabled = false;
  }
}

// ---- the sample ----

function sampleTable(table) {
  const head = el("tr", {}, ...table.columns.map((c) => el("th", { scope: "col", title: c.type }, c.name)));
  const body = table.rows.map((row) => el("tr", {}, ...row.map((value) =>
    value === null ? el("td", { className: "null" }, "NULL") : el("td", {}, typeof value === "object" ? JSON.stringify(value) : String(value)))));
  return el("section", { className: "sample-table", "aria-label": `Sample of ${table.name}` },
    el("h4", {}, table.name, el("span", { className: "muted" }, ` · first ${table.rows.length} of ${count(table.target_rows)} rows`)),
    el("div", { className: "scroll-x sample-scroll" },
      el("table", { className: "grid result-grid" }, el("thead", {}, head), el("tbody", {}, ...body))));
}

// Show about 10 rows per table: of `draft` (an unsaved, valid edit) or of the saved document,
// with the Generate form's seed, rows and shard size.
export async function runSample(draft = null) {
  const name = hooks.name();
  $("sample").hidden = false;
  showError($("sample-error"), null);
  let seed;
  const body = {};
  try {
    const inputs = hooks.gridInputs();
    seed = inputs.seed;
    body.rows = inputs.rows;
    if (seed) body.seed = seed;
    if (inputs.shardSize) body.shard_size = inputs.shardSize;
  } catch (error) {
    showError($("sample-error"), error);
    return;
  }
  if (draft) body.experiment = draft;
  $("sample-status").textContent = "computing…";
  try {
    const answer = await api("POST", `/api/experiments/${enc(name)}/sample`, body);
    if (name !== hooks.name()) return;
    const usedSeed = !seed;
    if (usedSeed) $("gen-seed").value = answer.seed; // Generate then makes these very rows
    $("sample-status").textContent = `Seed ${answer.seed}${usedSeed ? " (now in the Seed field)" : ""}, `
      + `shard size ${count(answer.shard_size)}${draft ? ", with the unsaved rule" : ""}: a run with these starts with these rows.`;
    $("sample-tables").replaceChildren(...answer.tables.map(sampleTable));
  } catch (error) {
    $("sample-status").textContent = "";
    showError($("sample-error"), error);
  }
}

export function clearSample() {
  closeEditor();
  $("rules-ok").hidden = true;
  $("sample").hidden = true;
  $("sample-tables").replaceChildren();
  $("sample-status").textContent = "";
  showError($("sample-error"), null);
}

// `options`: name() the open experiment, doc() its document, saved(doc, message) after a save,
// gridInputs() -> {seed, rows, shardSize} of the Generate form (throws on a bad value).
export function setupRules(options) {
  hooks = options;
  $("gen-tables").addEventListener("click", (event) => {
    const button = event.target.closest("button.col-edit");
    if (button) openEditor(button);
  });
  $("sample-run").addEventListener("click", () => runSample(open?.dirty ? open.draft : null));
}
