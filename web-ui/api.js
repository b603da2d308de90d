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

// The fetch options for a call: the bearer token if one is set, and a JSON body if one is given.
function init(method, body, accept) {
  const headers = { Accept: accept };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const options = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  return options;
}

// A response body parsed from JSON when it is JSON (an error's text otherwise, cut short).
async function parsed(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { message: text.slice(0, 500) };
  }
}

// Any answer, successful or not: `{status, ok, data}` (`data` parsed from JSON when it is JSON).
export async function request(method, path, body) {
  const response = await fetch(path, init(method, body, "application/json"));
  return { status: response.status, ok: response.ok, data: await parsed(response) };
}

// The parsed body of a successful answer; an `ApiError` otherwise.
export async function api(method, path, body) {
  const { status, ok, data } = await request(method, path, body);
  if (!ok) throw new ApiError(status, data);
  return data;
}

// A file answer (e.g. a query with `"format": "csv"`): the body of a successful answer as a Blob;
// an `ApiError` built from the JSON error body otherwise.
export async function download(method, path, body) {
  const response = await fetch(path, init(method, body, "text/csv, application/json"));
  if (!response.ok) throw new ApiError(response.status, await parsed(response));
  return response.blob();
}
