// Forms and their errors: what a page says about a field before sending, and the server's field
// errors tied to the fields they are about.

import { el } from "./dom.js";

// An error's message, then one line per field error ("field: message"), in the container.
export function showError(container, error) {
  container.replaceChildren();
  container.append(el("p", { class: "error", role: "alert" }, error.message));
  for (const field of error.fields || []) {
    container.append(el("p", { class: "error" }, `${field.field}: ${field.message}`));
  }
}

// A short status line in the container, in place of what it said.
export function say(container, text) {
  container.replaceChildren(el("p", { class: "note", role: "status" }, text));
}

// Marks a field as wrong, puts the cursor in it and stops the work with the message.
export function refuse(input, message) {
  input.setAttribute("aria-invalid", "true");
  input.focus();
  throw new Error(message);
}

// A field's trimmed value, refused with the message when empty.
export function required(input, message) {
  input.removeAttribute("aria-invalid");
  const value = input.value.trim();
  if (!value) refuse(input, message);
  return value;
}

// A field's whole number from min to max, refused otherwise.
export function wholeNumber(input, label, min, max) {
  const value = Number(input.value);
  const ok = input.value.trim() !== "" && Number.isInteger(value) && value >= min && value <= max;
  input.removeAttribute("aria-invalid");
  if (!ok) refuse(input, `${label} must be a whole number from ${min} to ${max}.`);
  return value;
}

// Ties the server's field errors (as showError put them in the container) to the form's fields
// (by their name): each line says the field's label and describes the field, which is marked
// invalid; the first one gets the cursor. What an earlier answer marked is cleared first.
export function markFields(form, container, error) {
  if (!form) return;
  for (const input of form.querySelectorAll("[data-server-error]")) {
    input.removeAttribute("aria-invalid");
    const before = input.dataset.serverError;
    if (before) input.setAttribute("aria-describedby", before);
    else input.removeAttribute("aria-describedby");
    delete input.dataset.serverError;
  }
  if (!error.fields || !error.fields.length) return;
  const lines = container.querySelectorAll("p.error");
  let first = null;
  error.fields.forEach((problem, i) => {
    const name = String(problem.field).split(".").pop();
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const line = lines[i + 1];
    if (!input || !line) return;
    const label = input.labels && input.labels.length ? input.labels[0].textContent.trim() : name;
    line.textContent = `${label}: ${problem.message}`;
    line.id = `${input.id}-server-error`;
    const before = input.getAttribute("aria-describedby") || "";
    input.dataset.serverError = before;
    input.setAttribute("aria-describedby", `${before} ${line.id}`.trim());
    input.setAttribute("aria-invalid", "true");
    first ||= input;
  });
  if (first) first.focus();
}
