// ARIA tabs (click, or arrows / Home / End on the focused tab), and the open experiment's tabs:
// Worksheet · Data · Runs · Schema · Settings, plus any a module adds with `addExperimentTab`
// (e.g. a Lineage view: `addExperimentTab("lineage", "Lineage", (panel, name) => ...)`).

const listeners = new Map(); // tablist element -> [fn(tabId)]
const shown = new Map(); // experiment tab id -> fn(panel, experimentName) called when it is shown
let currentExperiment = () => null;

function tabsOf(tablist) {
  return [...tablist.querySelectorAll('[role="tab"]')];
}

// Show `chosen` (a tab button) and hide its siblings' panels.
export function chooseTab(chosen) {
  const tablist = chosen.closest('[role="tablist"]');
  for (const tab of tabsOf(tablist)) {
    const on = tab === chosen;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    const panel = document.getElementById(tab.getAttribute("aria-controls"));
    if (panel) panel.hidden = !on;
  }
  for (const fn of listeners.get(tablist) || []) fn(chosen.id);
}

export function setupTabs(tablist, onChange) {
  if (onChange) listeners.set(tablist, [...(listeners.get(tablist) || []), onChange]);
  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab && tablist.contains(tab)) chooseTab(tab);
  });
  tablist.addEventListener("keydown", (event) => {
    const tabs = tabsOf(tablist);
    const index = tabs.indexOf(event.target.closest('[role="tab"]'));
    if (index < 0) return;
    const last = tabs.length - 1;
    const next = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1,
      Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    chooseTab(tabs[next]);
    tabs[next].focus();
  });
}

// ---- the open experiment's tabs ----

function experimentTabs() {
  return document.getElementById("experiment-tabs");
}

// Show an experiment tab by its short id ("worksheet", "data", "runs", "schema", "settings", ...).
export function showExperimentTab(id) {
  const tab = document.getElementById(`tab-${id}`);
  if (tab) chooseTab(tab);
}

export function selectedExperimentTab() {
  const tab = experimentTabs().querySelector('[aria-selected="true"]');
  return tab ? tab.id.replace(/^tab-/, "") : null;
}

// `fn(panel, experimentName)` runs each time tab `id` is shown (and when another experiment is
// opened while it is shown).
export function onExperimentTab(id, fn) {
  shown.set(id, fn);
}

// A new tab after the built-in ones, with an empty panel the caller fills in `render`.
export function addExperimentTab(id, label, render) {
  if (document.getElementById(`tab-${id}`)) return document.getElementById(`panel-${id}`);
  const tab = document.createElement("button");
  Object.assign(tab, { type: "button", id: `tab-${id}`, textContent: label, tabIndex: -1 });
  tab.setAttribute("role", "tab");
  tab.setAttribute("aria-selected", "false");
  tab.setAttribute("aria-controls", `panel-${id}`);
  experimentTabs().append(tab);
  const panel = document.createElement("div");
  Object.assign(panel, { id: `panel-${id}`, className: "panel", hidden: true });
  panel.setAttribute("role", "tabpanel");
  panel.setAttribute("aria-labelledby", `tab-${id}`);
  const panels = document.querySelectorAll("#detail > .panel");
  panels[panels.length - 1].after(panel);
  if (render) onExperimentTab(id, render);
  return panel;
}

// Called by app.js: who is open, and a tab shown is told.
export function setupExperimentTabs(selected) {
  currentExperiment = selected;
  setupTabs(experimentTabs(), (tabId) => notify(tabId.replace(/^tab-/, "")));
}

export function notify(id = selectedExperimentTab()) {
  const fn = shown.get(id);
  const name = currentExperiment();
  if (fn && name) fn(document.getElementById(`panel-${id}`), name);
}
