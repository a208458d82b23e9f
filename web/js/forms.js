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

// Marks a field as wrong, puts the cursor in it and stops the work with the message (which
// names the field, for markFields to show beside it in a form that shows errors there).
export function refuse(input, message) {
  input.setAttribute("aria-invalid", "true");
  input.focus();
  const error = new Error(message);
  error.input = input;
  throw error;
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

// A date of birth from its fieldset's three fields (month, day, year, known by their autocomplete
// tokens) as the API takes it, YYYY-MM-DD; refused here, on the field to correct, when the three
// do not make a date.
export function dateOfBirth(fieldset) {
  const [month, day, year] = ["bday-month", "bday-day", "bday-year"].map((token) => {
    const input = fieldset.querySelector(`input[autocomplete="${token}"]`);
    input.removeAttribute("aria-invalid");
    return { input, value: input.value.trim() };
  });
  const example = "Enter your date of birth as month, day and year, for example 4 27 1990.";
  for (const part of [month, day, year]) if (!/^\d+$/.test(part.value)) refuse(part.input, example);
  if (year.value.length !== 4) refuse(year.input, "Enter the year of your birth with 4 digits, for example 1990.");
  const [y, m, d] = [year, month, day].map((part) => Number(part.value));
  if (m < 1 || m > 12) refuse(month.input, "Enter the month of your birth as a number from 1 to 12.");
  const real = new Date(Date.UTC(y, m - 1, d));
  if (d < 1 || real.getUTCMonth() !== m - 1) refuse(day.input, `That month has no day ${d}: check the day of your birth.`);
  return `${year.value}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

// Where a form with data-errors="inline" shows a field's error: after the element the field
// names in data-error-after (a fieldset's note, for fields that share one error), else after the
// field's own note, else after the field.
function besideField(input) {
  const named = input.dataset.errorAfter && input.form.querySelector(`#${CSS.escape(input.dataset.errorAfter)}`);
  if (named) return named;
  const next = input.nextElementSibling;
  return next && next.classList.contains("note") ? next : input;
}

// Describes the field by the line (and marks it invalid); what described it before is kept, for
// the next answer to put back.
function describe(input, line) {
  const before = input.getAttribute("aria-describedby") || "";
  if (input.dataset.serverError === undefined) input.dataset.serverError = before;
  input.setAttribute("aria-describedby", `${before} ${line.id}`.trim());
  input.setAttribute("aria-invalid", "true");
}

// Ties field errors to the form's fields (by their name; a fieldset named for a value that takes
// several fields stands for them all): the server's (as showError put them in the container), each
// line saying the field's label and describing the field, which is marked invalid; the first one
// gets the cursor. A form with data-errors="inline" shows each line beside its field instead, and
// also the page's own refusal (refuse) beside the field it is about. What an earlier answer marked
// is cleared first.
export function markFields(form, container, error) {
  if (!form) return;
  for (const line of form.querySelectorAll("[data-field-error]")) line.remove();
  for (const input of form.querySelectorAll("[data-server-error]")) {
    input.removeAttribute("aria-invalid");
    const before = input.dataset.serverError;
    if (before) input.setAttribute("aria-describedby", before);
    else input.removeAttribute("aria-describedby");
    delete input.dataset.serverError;
  }
  const inline = form.dataset.errors === "inline";
  if (inline && error.input && error.input.form === form) {
    const line = el("p", { class: "error", id: `${error.input.id}-error`, dataset: { fieldError: "" } }, error.message);
    besideField(error.input).after(line);
    describe(error.input, line);
  }
  if (!error.fields || !error.fields.length) return;
  const lines = container.querySelectorAll("p.error");
  let first = null;
  error.fields.forEach((problem, i) => {
    const name = String(problem.field).split(".").pop();
    const named = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const line = lines[i + 1];
    if (!named || !line) return;
    // A field, or a fieldset of the fields that make one value (a date as month, day and year).
    const fieldset = named.tagName === "FIELDSET";
    const inputs = fieldset ? [...named.querySelectorAll("input, select, textarea")] : [named];
    const label = fieldset ? named.querySelector("legend")?.textContent.trim() || name
      : named.labels && named.labels.length ? named.labels[0].textContent.trim() : name;
    line.textContent = `${label}: ${problem.message}`;
    line.id = `${named.id || inputs[0].id}-server-error`;
    if (inline) {
      line.dataset.fieldError = "";
      besideField(inputs[0]).after(line);
    }
    for (const input of inputs) describe(input, line);
    first ||= inputs[0];
  });
  if (first) first.focus();
}
