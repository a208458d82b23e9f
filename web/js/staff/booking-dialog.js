// The calendar's booking dialog: a client found by name (a radio list of the matches), the
// clinician, an appointment type the clinician offers, the start (the quarter hour chosen, or
// another) and a note to the client; booked at once, and the client emailed a confirmation with
// an invite.

import { el } from "../dom.js";
import { refuse } from "../forms.js";
import { formatDateTime, localDate } from "../zone.js";
import { fillStarts } from "./calendar-layout.js";

const SHOWN = 8; // matches listed at most: more means typing more of the name

// Lower case without accents, so "zoe" finds "Zoë".
const plain = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

function byName(a, b) {
  return a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName) || a.id.localeCompare(b.id);
}

export function mount(container, context, calendar) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data } = context;
  let opener = null;
  let key = null; // the Idempotency-Key, kept until booked or the form is edited

  // The clients whose name (or email) holds every word typed.
  function matches(query) {
    const words = plain(query).split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return data.clients
      .filter((c) => {
        const text = plain(`${c.firstName} ${c.lastName} ${c.email || ""}`);
        return words.every((w) => text.includes(w));
      })
      .sort(byName);
  }

  function listClients() {
    const chosen = container.querySelector('input[name="clientId"]:checked');
    const chosenId = chosen ? chosen.value : null;
    const query = $("book-search").value;
    const found = matches(query);
    const listed = found.slice(0, SHOWN);
    $("book-clients").hidden = !listed.length;
    $("book-client-list").replaceChildren(...listed.map((c) => {
      const id = `book-client-${c.id}`;
      return el(
        "div",
        { class: "choice" },
        el("input", { type: "radio", name: "clientId", id, value: c.id, checked: c.id === chosenId }),
        el("label", { for: id }, `${c.firstName} ${c.lastName}`, el("span", { class: "note" }, ` ${c.email || ""}`)),
      );
    }));
    let said;
    if (!query.trim()) said = "Type part of the client's name.";
    else if (!found.length) said = "No client matches. Add new clients in Clients first.";
    else if (found.length > SHOWN) said = `${found.length} clients match: the first ${SHOWN} are listed. Type more of the name.`;
    else said = `${found.length} ${found.length === 1 ? "client matches" : "clients match"}: choose below.`;
    $("book-matches").textContent = said;
  }

  function fillClinicians(chosen) {
    $("book-clinician").replaceChildren(
      el("option", { value: "" }, "Choose a clinician"),
      ...data.clinicians.map((c) => el("option", { value: c.id }, c.name)),
    );
    $("book-clinician").value = data.clinicians.some((c) => c.id === chosen) ? chosen : "";
  }

  // The types the clinician offers that are still offered at all.
  function fillTypes() {
    const clinician = data.clinicians.find((c) => c.id === $("book-clinician").value);
    const before = $("book-type").value;
    const offered = clinician
      ? data.types.filter((t) => t.active !== false && (clinician.appointmentTypeIds || []).includes(t.id))
      : [];
    $("book-type").replaceChildren(
      el("option", { value: "" }, clinician ? (offered.length ? "Choose a type" : "This clinician offers no type") : "Choose a clinician first"),
      ...offered.map((t) => el("option", { value: t.id }, `${t.name} (${t.durationMinutes} min)`)),
    );
    $("book-type").value = offered.some((t) => t.id === before) ? before : offered.length === 1 ? offered[0].id : "";
  }

  function open({ date, start, clinicianId }, from) {
    opener = from;
    key = null;
    const zone = context.zone();
    $("book-form").reset();
    $("book-messages").replaceChildren();
    for (const field of $("book-form").querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    listClients();
    fillClinicians(clinicianId);
    $("book-type").replaceChildren();
    fillTypes();
    $("book-date").value = date;
    fillStarts($("book-time"), date, zone, start);
    $("book-zone").textContent = `Times are in the practice's time zone, ${zone}. Staff may book outside the clinician's hours.`;
    const dialog = $("book-dialog");
    if (!dialog.open) dialog.showModal();
    $("book-search").focus();
  }

  function close() {
    if ($("book-dialog").open) $("book-dialog").close();
  }

  function afterClose() {
    const from = opener;
    opener = null;
    if (from && from.isConnected) from.focus();
  }

  async function submit(event) {
    event.preventDefault();
    await context.run($("book-confirm"), $("book-messages"), async () => {
      const zone = context.zone();
      const chosen = container.querySelector('input[name="clientId"]:checked');
      $("book-search").removeAttribute("aria-invalid");
      if (!chosen) refuse($("book-search"), "Choose the client: type part of their name, then pick them from the list.");
      for (const [id, message] of [
        ["book-clinician", "Choose the clinician."],
        ["book-type", "Choose the appointment type."],
        ["book-time", "Choose the date and start time."],
      ]) {
        $(id).removeAttribute("aria-invalid");
        if (!$(id).value) refuse($(id), message);
      }
      const body = {
        clientId: chosen.value,
        clinicianId: $("book-clinician").value,
        appointmentTypeId: $("book-type").value,
        start: $("book-time").value,
      };
      const note = $("book-note").value.trim();
      if (note) body.note = note;
      key ||= crypto.randomUUID();
      const made = (await context.api("/staff/appointments", { method: "POST", body, key })).appointment;
      key = null;
      const client = data.clients.find((c) => c.id === body.clientId);
      const name = client ? `${client.firstName} ${client.lastName}` : "The client";
      opener = null; // the new block gets the keyboard
      close();
      await calendar.reload({
        date: localDate(made.start, zone),
        focus: { id: made.id },
        message: `Booked: ${name}, ${formatDateTime(made.start, zone)} with ${made.clinicianName}. The confirmation email is on its way.`,
      });
    });
  }

  $("book-search").addEventListener("input", listClients);
  $("book-clinician").addEventListener("change", fillTypes);
  $("book-date").addEventListener("change", () => {
    fillStarts($("book-time"), $("book-date").value, context.zone(), $("book-time").value);
  });
  $("book-form").addEventListener("submit", submit);
  $("book-form").addEventListener("input", () => { key = null; });
  $("book-form").addEventListener("change", () => { key = null; });
  $("book-cancel").addEventListener("click", close);
  $("book-dialog").addEventListener("close", afterClose);

  return { open, close };
}
