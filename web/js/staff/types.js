// The appointment types: each one's name, length, clients and whether it is offered, saved a row
// at a time; and a new type.

import { el } from "../dom.js";
import { required, say, wholeNumber } from "../forms.js";
import { createNamed, ifMatch } from "./records.js";

const CLIENT_TYPES = { new: "New clients", existing: "Existing clients" };

function readType(nameInput, minutesInput, clientType, active) {
  const name = required(nameInput, "Enter the appointment type's name.");
  const minutes = wholeNumber(minutesInput, "The length in minutes", 15, 240);
  return { name, durationMinutes: minutes, clientType, active };
}

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);

  function render() {
    const types = [...context.data.types].sort((a, b) => a.name.localeCompare(b.name));
    $("types-rows").replaceChildren(...types.map(typeRow));
  }

  function typeRow(type) {
    const label = (what) => `${what} of ${type.name}`;
    const forWhom = el(
      "select",
      { "aria-label": label("Clients"), dataset: { field: "clientType" } },
      ...Object.entries(CLIENT_TYPES).map(([value, words]) => el("option", { value }, words)),
    );
    forWhom.value = type.clientType;
    return el(
      "tr",
      { dataset: { typeId: type.id } },
      el("td", { dataset: { label: "Name" } },
        el("input", { value: type.name, maxlength: "100", "aria-label": label("Name"), dataset: { field: "name" } })),
      el("td", { dataset: { label: "Minutes" } },
        el("input", {
          type: "number", min: "15", max: "240", step: "5", inputmode: "numeric", value: String(type.durationMinutes),
          "aria-label": label("Length in minutes"), dataset: { field: "durationMinutes" },
        })),
      el("td", { dataset: { label: "For" } }, forWhom),
      el("td", { dataset: { label: "Offered" } },
        el("label", {}, el("input", {
          type: "checkbox", checked: type.active, "aria-label": `Offered: ${type.name}`, dataset: { field: "active" },
        }), " Offered")),
      el("td", {},
        el("button", { type: "button", class: "secondary", onclick: (e) => save(type, e.currentTarget) }, `Save ${type.name}`)),
    );
  }

  // Puts one type's row in place (replacing its old row, or in name order), leaving the others
  // and whatever is typed in them alone; returns the row.
  function placeRow(type) {
    const rows = $("types-rows");
    const row = typeRow(type);
    const old = rows.querySelector(`tr[data-type-id="${CSS.escape(type.id)}"]`);
    if (old) old.replaceWith(row);
    else {
      const after = [...rows.children].find((r) => {
        const other = context.data.types.find((t) => t.id === r.dataset.typeId);
        return other && other.name.localeCompare(type.name) > 0;
      });
      rows.insertBefore(row, after || null);
    }
    return row;
  }

  function keep(saved) {
    context.data.types = [...context.data.types.filter((t) => t.id !== saved.id), saved];
    const row = placeRow(saved);
    context.changed("types", { saved }); // the clinician form lists the types
    return row;
  }

  async function save(type, button) {
    const row = button.closest("tr");
    const field = (name) => row.querySelector(`[data-field="${name}"]`);
    await context.run(button, $("types-messages"), async () => {
      const body = readType(field("name"), field("durationMinutes"), field("clientType").value, field("active").checked);
      const saved = await context.api(`/staff/appointment-types/${encodeURIComponent(type.id)}`, {
        method: "PUT", body, headers: ifMatch(type.etag),
      });
      const row = keep(saved.appointmentType);
      say($("types-messages"), `Saved ${saved.appointmentType.name}.`);
      row.querySelector("button").focus();
    });
  }

  async function add(event) {
    event.preventDefault();
    $("type-added").textContent = "";
    await context.run($("type-add"), $("type-form-messages"), async () => {
      const body = readType($("type-name"), $("type-minutes"), $("type-for").value, true);
      const saved = await createNamed(context, "types", body.name, body);
      keep(saved.appointmentType);
      $("type-form").reset();
      $("type-added").textContent = `Added ${saved.appointmentType.name}. Offer it under each clinician who provides it.`;
    });
  }

  context.on("types", (detail) => {
    if (!detail || !detail.saved) render();
  });
  $("type-form").addEventListener("submit", add);
}
