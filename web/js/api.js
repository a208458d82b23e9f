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

const CHECKED = new Set(["POST /requests", "POST /waitlist"]);

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
