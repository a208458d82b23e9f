// The API of docs/openapi.json, and the portal's configuration (config.json beside the pages).

let configured;

export function config() {
  configured ??= fetch(new URL("config.json", document.baseURI), { cache: "no-store" }).then((r) => {
    if (!r.ok) throw new Error("The portal is not configured.");
    return r.json();
  });
  return configured;
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || "Something went wrong. Please try again.");
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || [];
  }
}

// The request form's bot check: AWS WAF's JavaScript integration gets a token in the background
// (people never see it), which the request carries. The deployed config.json names the
// integration; the local stack has none and sends requests without one.
let integration;

async function botCheckToken() {
  const { wafIntegrationUrl } = await config();
  if (!wafIntegrationUrl) return null;
  integration ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `${wafIntegrationUrl.replace(/\/?$/, "/")}challenge.js`;
    script.defer = true;
    script.onload = () => resolve(window.AwsWafIntegration);
    script.onerror = () => {
      integration = undefined;
      reject(new Error("The page could not finish loading. Please reload it and try again."));
    };
    document.head.append(script);
  });
  return (await integration).getToken();
}

const CHECKED = new Set(["POST /requests"]);

// POSTs carry an Idempotency-Key, so that a retried click never makes a second request.
export async function api(path, options = {}) {
  return (await versioned(path, options)).data;
}

// The answer and the version (ETag) of the record it is, to send back in If-Match.
export async function versioned(path, { method = "GET", body, token, key, headers: extra = {} } = {}) {
  const { apiBaseUrl } = await config();
  const headers = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method === "POST") headers["Idempotency-Key"] = key || crypto.randomUUID();
  if (CHECKED.has(`${method} ${path}`)) {
    const proof = await botCheckToken();
    if (proof) headers["X-Aws-Waf-Token"] = proof;
  }
  const response = await fetch(apiBaseUrl.replace(/\/$/, "") + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, version: response.headers.get("ETag") };
}

// Times are shown in the practice's time zone, whatever the browser's.
export function formatDateTime(iso, timeZone) {
  return new Intl.DateTimeFormat("en-US", {
    timeZone, weekday: "long", month: "long", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit",
  }).format(new Date(iso));
}

export function formatTime(iso, timeZone) {
  return new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

export function localDate(iso, timeZone) {
  // YYYY-MM-DD of an instant in the practice's time zone
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(iso));
}

export function addDays(yyyyMmDd, days) {
  const d = new Date(`${yyyyMmDd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// Builds elements with text content only: whatever a user typed is shown as text, never markup.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function showError(container, error) {
  container.replaceChildren();
  container.append(el("p", { class: "error", role: "alert" }, error.message));
  for (const field of error.fields || []) {
    container.append(el("p", { class: "error" }, `${field.field}: ${field.message}`));
  }
}
