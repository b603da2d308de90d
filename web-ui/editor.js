// The SQL editor: CodeMirror 6 with its SQL language (vendor/codemirror.js, one prebuilt module;
// see vendor/codemirror-src/README.md). Completion knows the experiment's tables and columns,
// SQL keywords and the function catalogue (signature, runs here or refused); hovering a
// function call, or the cursor on one, tells its help. Ctrl+Enter (Cmd+Enter) runs, Ctrl+Space
// completes.

import {
  Compartment, EditorState, EditorView, PostgreSQL, Prec, SQLite, StandardSQL, basicSetup, keymap,
  placeholder, sql, startCompletion,
} from "./vendor/codemirror.js";

const DIALECTS = { redshift: PostgreSQL, postgres: PostgreSQL, snowflake: StandardSQL, sqlite: SQLite };

// Unqualified column names of every table (the table as detail): lang-sql alone offers columns
// only after `table.`, and an analyst types `WHERE em` before thinking of the table.
function columnCompletions(tables) {
  const options = [];
  for (const [table, columns] of Object.entries(tables)) {
    for (const column of columns) options.push({ label: column, type: "property", detail: table, boost: -1 });
  }
  return (context) => {
    const word = context.matchBefore(/[\w$]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    if (context.state.sliceDoc(word.from - 1, word.from) === ".") return null;
    // Right after FROM / JOIN a table comes, not a column (lang-sql offers the tables there).
    const before = context.state.sliceDoc(Math.max(0, word.from - 40), word.from);
    if (/\b(from|join|into|update|table)\s+$/i.test(before)) return null;
    return { from: word.from, options, validFor: /^[\w$]*$/ };
  };
}

// The SQL function catalogue's functions of the experiment's dialect (GET .../functions), with
// their signature and whether this engine runs them; refused ones sink to the end of the list.
function functionCompletions(functions) {
  const options = functions.filter((f) => f.in_dialect).map((f) => ({
    label: f.name, type: "function", detail: f.signature, boost: f.supported ? 0 : -2,
    info: `${f.status}. Returns ${f.result}.`,
  }));
  return (context) => {
    const word = context.matchBefore(/[\w$]*/);
    if (!options.length || !word || (word.from === word.to && !context.explicit)) return null;
    if (context.state.sliceDoc(word.from - 1, word.from) === ".") return null;
    const before = context.state.sliceDoc(Math.max(0, word.from - 40), word.from);
    if (/\b(from|join|into|update|table)\s+$/i.test(before)) return null;
    return { from: word.from, options, validFor: /^[\w$]*$/ };
  };
}

function language(dialect, tables, functions = []) {
  const support = sql({ dialect: DIALECTS[dialect] || StandardSQL, schema: tables, upperCaseKeywords: true });
  return [support, support.language.data.of({ autocomplete: columnCompletions(tables) }),
    support.language.data.of({ autocomplete: functionCompletions(functions) })];
}

// The catalogued function whose name is at `pos` and is called there (a `(` follows it).
function functionAt(state, pos, byName) {
  const word = state.wordAt(pos);
  if (!word) return null;
  const found = byName.get(state.sliceDoc(word.from, word.to).toUpperCase());
  if (!found) return null;
  const after = state.sliceDoc(word.to, Math.min(word.to + 20, state.doc.length));
  return /^\s*\(/.test(after) ? { fn: found, from: word.from } : null;
}

// `onRun()` is called by Ctrl+Enter, `onRunAll()` by Ctrl+Shift+Enter, `onChange()` after an
// edit. Returns the small API the page uses.
export function createEditor(parent, { onRun, onRunAll = onRun, onChange = () => {}, onFunction = () => {}, onHover = () => {}, doc = "" }) {
  const lang = new Compartment();
  let byName = new Map();
  let schema = { dialect: "redshift", tables: {}, functions: [] };
  // The function at the cursor (help for the keyboard), told when it changes.
  let atCursor = null;
  function tellCursor(state) {
    const head = state.selection.main.head;
    const found = functionAt(state, head, byName) || functionAt(state, Math.max(0, head - 1), byName);
    if ((found?.fn || null) !== atCursor) {
      atCursor = found?.fn || null;
      onFunction(atCursor);
    }
  }
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([
          { key: "Mod-Enter", run: () => { onRun(); return true; } },
          { key: "Mod-Shift-Enter", run: () => { onRunAll(); return true; } },
          { key: "Ctrl-Space", run: startCompletion },
        ])),
        basicSetup,
        lang.of(language("redshift", {})),
        EditorView.lineWrapping,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange();
          if (update.docChanged || update.selectionSet) tellCursor(update.state);
        }),
        placeholder("SELECT … (Ctrl+Enter runs)"),
        EditorView.contentAttributes.of({ "aria-labelledby": "query-label", "aria-multiline": "true" }),
      ],
    }),
  });
  // Hover help: the function under the mouse, with where to draw its card.
  let pending = false;
  view.contentDOM.addEventListener("mousemove", (event) => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
      const found = pos === null ? null : functionAt(view.state, pos, byName);
      const box = found ? view.coordsAtPos(found.from) : null;
      onHover(found && box ? found.fn : null, box);
    });
  });
  view.contentDOM.addEventListener("mouseleave", () => onHover(null, null));
  return {
    view,
    // The experiment's functions (GET .../functions): completion and hover help read them.
    setFunctions(functions) {
      byName = new Map(functions.map((f) => [f.name, f]));
      schema = { ...schema, functions };
      view.dispatch({ effects: lang.reconfigure(language(schema.dialect, schema.tables, functions)) });
      tellCursor(view.state);
    },
    get: () => view.state.doc.toString(),
    set(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    insert(text) {
      view.dispatch(view.state.replaceSelection(text));
      view.focus();
    },
    // `tables` is `{table: [column, ...]}` of the experiment; `dialect` its source dialect.
    setSchema(dialect, tables) {
      schema = { ...schema, dialect, tables };
      view.dispatch({ effects: lang.reconfigure(language(dialect, tables, schema.functions)) });
    },
    focus: () => view.focus(),
    // The selection as offsets ({from, to}; equal when nothing is selected).
    selection: () => ({ from: view.state.selection.main.from, to: view.state.selection.main.to }),
    // The offset of a 1-based line and column (clamped to the text).
    offsetOf(line, column) {
      const doc = view.state.doc;
      const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
      return Math.min(at.from + Math.max(column - 1, 0), at.to);
    },
    // Select [from, to), scroll it into view, focus.
    select(from, to = from) {
      view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
      view.focus();
    },
    // Where an offset is drawn, relative to the editor's scrolling box (null when not drawn).
    boxAt(offset) {
      const at = view.coordsAtPos(offset);
      if (!at) return null;
      const box = view.scrollDOM.getBoundingClientRect();
      return { left: at.left - box.left + view.scrollDOM.scrollLeft, top: at.top - box.top + view.scrollDOM.scrollTop,
        height: at.bottom - at.top };
    },
    scrollBox: view.scrollDOM,
  };
}
