// The pieces of CodeMirror 6 the SQL editor uses, re-exported from one module so esbuild makes
// one self-contained ES module (web-ui/vendor/codemirror.js) that the page imports without a build.
export { EditorView, keymap, placeholder } from "@codemirror/view";
export { EditorState, Compartment, Prec } from "@codemirror/state";
export { basicSetup } from "codemirror";
export { sql, StandardSQL, PostgreSQL, SQLite, keywordCompletionSource, schemaCompletionSource } from "@codemirror/lang-sql";
export { autocompletion, startCompletion, completionStatus, currentCompletions, acceptCompletion } from "@codemirror/autocomplete";
export { defaultKeymap } from "@codemirror/commands";
