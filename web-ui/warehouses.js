// The import form's warehouse menu: every warehouse the gateway knows (GET /api/warehouses),
// one not configured shown disabled with the setting it needs.

import { api } from "./api.js";
import { $, el } from "./dom.js";

export async function fillWarehouses() {
  try {
    const { warehouses, default: fallback } = await api("GET", "/api/warehouses");
    const menu = $("import-warehouse");
    const options = warehouses.map((w) => el("option", { value: w.name, disabled: !w.configured },
      w.configured ? w.name : `${w.name} (not configured: set ${w.needs})`));
    menu.replaceChildren(el("option", { value: "" }, `default (${fallback})`), ...options);
  } catch {
    // The static menu stays: the list is a convenience, the import still checks the name.
  }
}
