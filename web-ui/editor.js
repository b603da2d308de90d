// The SQL editor: CodeMirror 6 with its SQL language (vendor/codemirror.js, one prebuilt module;
// see vendor/codemirror-src/README.md). Completion knows the experiment's tables and columns
// and SQL keywords; Ctrl+Enter (Cmd+Enter) runs, Ctrl+Space completes.

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
    return { from: word.from, options, validFor: /^[\w$]*$/ };
  };
}

function language(dialect, tables) {
  const support = sql({ dialect: DIALECTS[dialect] || StandardSQL, schema: tables, upperCaseKeywords: true });
  return [support, support.language.data.of({ autocomplete: columnCompletions(tables) })];
}

// `onRun()` is called by Ctrl+Enter. Returns the small API the page uses.
export function createEditor(parent, { onRun, doc = "" }) {
  const lang = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([
          { key: "Mod-Enter", run: () => { onRun(); return true; } },
          { key: "Ctrl-Space", run: startCompletion },
        ])),
        basicSetup,
        lang.of(language("redshift", {})),
        EditorView.lineWrapping,
        placeholder("SELECT … (Ctrl+Enter runs)"),
        EditorView.contentAttributes.of({ "aria-labelledby": "query-label", "aria-multiline": "true" }),
      ],
    }),
  });
  return {
    view,
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
      view.dispatch({ effects: lang.reconfigure(language(dialect, tables)) });
    },
    focus: () => view.focus(),
  };
}
