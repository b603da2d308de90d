// HTTP helpers for the control panel: same-origin calls to the gateway's REST API (docs/api.md),
// with the optional bearer token kept in localStorage. No DOM access here.

const TOKEN_KEY = "dwsim.apiToken";

export const enc = encodeURIComponent;

export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

// A non-2xx answer: `{"error", "message", "details"}` from the gateway, or a bare status.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || null;
    this.details = body?.details || {};
  }
}

// Any answer, successful or not: `{status, ok, data}` (`data` parsed from JSON when it is JSON).
export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 500) };
  }
  return { status: response.status, ok: response.ok, data };
}

// The parsed body of a successful answer; an `ApiError` otherwise.
export async function api(method, path, body) {
  const { status, ok, data } = await request(method, path, body);
  if (!ok) throw new ApiError(status, data);
  return data;
}
