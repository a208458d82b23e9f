// The calendar's appointment dialog: who, with whom, what, when, its status and who made it;
// for a confirmed appointment Move (a new day, quarter hour and perhaps clinician) and Cancel
// Appointment (a note, then a confirming step); for one awaiting review, Review in Requests.

import { el } from "../dom.js";
import { refuse, showError } from "../forms.js";
import { formatDateTime, formatTime, localDate } from "../zone.js";
import { fillStarts, STATUS_WORDS } from "./calendar-layout.js";

const STATUS_DETAIL = {
  requested: "Request pending: the client asked for this time and it awaits review in Requests.",
  confirmed: "Confirmed.",
  reschedule_requested: "Confirmed; the client asked to move it, which awaits review in Requests.",
  cancel_requested: "Confirmed; the client asked to cancel it, which awaits review in Requests.",
};
const PENDING = new Set(["requested", "reschedule_requested", "cancel_requested"]);
// Answers that mean the appointment is no longer as the calendar showed it.
const STALE = new Set(["change_pending", "not_confirmed", "appointment_not_found", "appointment_ended"]);

export function mount(container, context, calendar) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data } = context;
  let shown = null; // { appointment, opener }
  let moveKey = null; // each Idempotency-Key is kept until its change is made, or the form is edited
  let cancelKey = null;

  const typeName = (id) => (data.types.find((t) => t.id === id) || { name: id }).name;
  const nameOf = (a) => `${a.client.firstName} ${a.client.lastName}`;

  function details(a) {
    const zone = context.zone();
    const rows = [
      ["Client", nameOf(a)],
      ["Clinician", a.clinicianName],
      ["Appointment type", typeName(a.appointmentTypeId)],
      ["Time", `${formatDateTime(a.start, zone)} to ${formatTime(a.end, zone)}`],
      ["Status", STATUS_DETAIL[a.status] || STATUS_WORDS[a.status] || a.status],
    ];
    if (a.requestedStart) rows.push(["Asked to move to", formatDateTime(a.requestedStart, zone)]);
    rows.push(["Made by", a.madeBy === "staff" ? "Staff" : "The client, in the Client Portal"]);
    $("appointment-details").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  }

  // The details and the actions this appointment allows; the steps folded away.
  function overview(a) {
    details(a);
    const confirmed = a.status === "confirmed";
    $("appointment-move").hidden = !confirmed;
    $("appointment-cancel").hidden = !confirmed;
    $("appointment-review").hidden = !PENDING.has(a.status);
    $("appointment-actions").hidden = false;
    $("move-form").hidden = true;
    $("cancel-form").hidden = true;
  }

  function open(appointment, opener) {
    shown = { appointment, opener };
    moveKey = null;
    cancelKey = null;
    $("appointment-title").textContent = `Appointment: ${nameOf(appointment)}`;
    $("appointment-messages").replaceChildren();
    overview(appointment);
    const dialog = $("appointment-dialog");
    if (!dialog.open) dialog.showModal();
    const first = [$("appointment-move"), $("appointment-review"), $("appointment-close")].find((b) => !b.hidden);
    first.focus();
  }

  function close() {
    if ($("appointment-dialog").open) $("appointment-dialog").close();
  }

  function afterClose() {
    const closed = shown;
    shown = null;
    if (closed && closed.opener && closed.opener.isConnected) closed.opener.focus();
  }

  function startMove() {
    const a = shown.appointment;
    const zone = context.zone();
    $("appointment-actions").hidden = true;
    $("move-form").hidden = false;
    $("move-messages").replaceChildren();
    $("move-note").value = "";
    $("move-date").value = localDate(a.start, zone);
    fillStarts($("move-time"), $("move-date").value, zone, a.start);
    const offering = data.clinicians.filter((c) => (c.appointmentTypeIds || []).includes(a.appointmentTypeId));
    if (!offering.some((c) => c.id === a.clinicianId)) offering.unshift({ id: a.clinicianId, name: a.clinicianName });
    $("move-clinician").replaceChildren(...offering.map((c) => el("option", { value: c.id }, c.name)));
    $("move-clinician").value = a.clinicianId;
    $("move-zone").textContent = `Times are in the practice's time zone, ${zone}.`;
    $("move-title").focus();
  }

  function startCancel() {
    $("appointment-actions").hidden = true;
    $("cancel-form").hidden = false;
    $("cancel-messages").replaceChildren();
    $("cancel-note").value = "";
    $("cancel-title").focus();
  }

  function back(from) {
    overview(shown.appointment);
    (from === "move" ? $("appointment-move") : $("appointment-cancel")).focus();
  }

  // A refusal that says the appointment changed meanwhile (the client asked to change it, say):
  // the calendar is read again, the dialog shows the appointment as it is now, and the answer
  // above it. False for any other refusal.
  async function stale(error) {
    if (error.status !== 404 && !STALE.has(error.code)) return false;
    const id = shown.appointment.id;
    await calendar.reload();
    if (!shown) return true;
    const fresh = calendar.appointment(id);
    if (fresh) shown.appointment = fresh;
    overview(shown.appointment);
    if (!fresh) $("appointment-move").hidden = $("appointment-cancel").hidden = true;
    const message = error.code === "change_pending"
      ? "The client asked to change this appointment: decide their request in Requests first."
      : error.message;
    showError($("appointment-messages"), { message });
    const alert = $("appointment-messages").querySelector("p");
    alert.tabIndex = -1;
    alert.focus();
    return true;
  }

  async function move(event) {
    event.preventDefault();
    const a = shown.appointment;
    await context.run($("move-confirm"), $("move-messages"), async () => {
      const zone = context.zone();
      const start = $("move-time").value;
      if (!start) refuse($("move-date"), "Choose the new date.");
      const clinicianId = $("move-clinician").value;
      if (start === a.start && clinicianId === a.clinicianId) refuse($("move-time"), "Choose a new time or another clinician.");
      $("move-time").removeAttribute("aria-invalid");
      const body = { start };
      if (clinicianId !== a.clinicianId) body.clinicianId = clinicianId;
      const note = $("move-note").value.trim();
      if (note) body.note = note;
      moveKey ||= crypto.randomUUID();
      let moved;
      try {
        moved = (await context.api(`/staff/appointments/${encodeURIComponent(a.id)}/reschedule`, {
          method: "POST", body, key: moveKey,
        })).appointment;
      } catch (error) {
        if (await stale(error)) return;
        throw error;
      }
      moveKey = null;
      shown.opener = null; // the block is drawn again where it went
      close();
      await calendar.reload({
        date: localDate(moved.start, zone),
        focus: { id: moved.id },
        message: `Moved: ${nameOf(a)} to ${formatDateTime(moved.start, zone)} with ${moved.clinicianName}. The client is emailed the new time.`,
      });
    });
  }

  async function cancel(event) {
    event.preventDefault();
    const a = shown.appointment;
    await context.run($("cancel-confirm"), $("cancel-messages"), async () => {
      const zone = context.zone();
      const note = $("cancel-note").value.trim();
      cancelKey ||= crypto.randomUUID();
      try {
        await context.api(`/staff/appointments/${encodeURIComponent(a.id)}/cancel`, {
          method: "POST", body: note ? { note } : {}, key: cancelKey,
        });
      } catch (error) {
        if (await stale(error)) return;
        throw error;
      }
      cancelKey = null;
      const where = calendar.placeOf(a.id);
      shown.opener = null;
      close();
      await calendar.reload({
        focus: where || undefined,
        message: `Cancelled: ${nameOf(a)}, ${formatDateTime(a.start, zone)}. The client is emailed, and the time is free.`,
      });
    });
  }

  // To the queue, where the client's request is decided.
  function review() {
    const requestId = shown.appointment.pendingRequestId;
    shown.opener = null;
    close();
    context.changed("show-request", { requestId });
  }

  $("appointment-move").addEventListener("click", startMove);
  $("appointment-cancel").addEventListener("click", startCancel);
  $("appointment-review").addEventListener("click", review);
  $("appointment-close").addEventListener("click", close);
  $("appointment-dialog").addEventListener("close", afterClose);
  $("move-form").addEventListener("submit", move);
  $("move-form").addEventListener("input", () => { moveKey = null; });
  $("move-form").addEventListener("change", () => { moveKey = null; });
  $("move-back").addEventListener("click", () => back("move"));
  $("move-date").addEventListener("change", () => {
    fillStarts($("move-time"), $("move-date").value, context.zone(), $("move-time").value);
  });
  $("cancel-form").addEventListener("submit", cancel);
  $("cancel-form").addEventListener("input", () => { cancelKey = null; });
  $("cancel-back").addEventListener("click", () => back("cancel"));

  return { open, close };
}
