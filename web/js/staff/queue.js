// The queue: requests pending review (or approved, or denied), each with its client, its email's
// status (Send Again when it failed), and Approve and Deny, which open the decision dialog.
// Everything a client typed is inserted as text (el()).

import { api } from "../api.js";
import { el } from "../dom.js";
import { say } from "../forms.js";
import { addDays, instant, localDate, today, wallTime } from "../zone.js";
import { knownClient } from "./clients.js";

const KINDS = { new: "New", reschedule: "Reschedule", cancel: "Cancellation" };
const NOTIFICATION = { sent: "Sent", failed: "Not sent", skipped: "Not sent", queued: "Sending again" };
const NOTICES = {
  received: "Front desk notice",
  confirmed: "Confirmation",
  moved: "Reschedule confirmation",
  cancelled: "Cancellation confirmation",
  offered: "Times offered instead",
};

// Why an email did not go out, in words staff can act on.
function notificationReason(notification) {
  const detail = notification.detail || "";
  if (notification.status === "skipped") {
    return detail === "no_address" ? "There is no address to send it to." : "The request no longer exists.";
  }
  if (detail === "unconfirmed") return "The email service did not confirm it.";
  if (detail === "MessageRejected") return "The email service refused this address. Check it with the client.";
  if (detail.startsWith("render:")) return "The email could not be written. Check the practice's name in Settings.";
  if (detail === "delivery_unknown") {
    return "It is not known whether it went out: sending was interrupted. Ask the client, or send it again.";
  }
  return detail ? `The email service did not accept it (${detail}).` : "";
}

// container: the queue's section, with its decision dialog.
export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data, when } = context;
  let requests = [];
  let status = "pending";
  let cursor = null;
  let deciding = null; // {request, action, opener}
  let shownZone = null; // the time zone the rows are shown in

  function typeName(id) {
    const type = data.types.find((t) => t.id === id);
    return type ? type.name : id;
  }

  async function load(more = false) {
    const table = $("queue-table");
    table.dataset.state = "loading";
    await context.run($("queue-refresh"), $("queue-messages"), async () => {
      status = $("queue-status").value;
      let path = `/staff/requests?status=${encodeURIComponent(status)}`;
      if (more && cursor) path += `&cursor=${encodeURIComponent(cursor)}`;
      const found = await context.api(path);
      requests = more ? [...requests, ...found.requests] : found.requests;
      cursor = found.cursor || null;
      render();
    });
    table.dataset.state = "loaded";
  }

  function render() {
    shownZone = context.zone();
    $("queue-rows").replaceChildren(...requests.map(row));
    $("queue-more").hidden = !cursor;
    summarize();
  }

  function summarize() {
    const count = requests.length;
    const words = { pending: "awaiting review", approved: "approved", denied: "denied" }[status];
    $("queue-summary").textContent = count
      ? `${count} ${count === 1 ? "request" : "requests"} ${words}${cursor ? " (more below)" : ""}.`
      : `No requests ${words}.`;
  }

  function row(request) {
    const client = request.client;
    const clientId = `client-${request.id}`;
    const timeLabel = request.kind === "cancel" ? "Appointment time" : "Requested time";
    const pending = request.status === "pending";
    return el(
      "tr",
      { dataset: { requestId: request.id, kind: request.kind, status: request.status } },
      el(
        "td",
        { dataset: { label: "Request" } },
        el("strong", { class: "kind" }, KINDS[request.kind] || request.kind),
        pending ? null : el("span", { class: `badge decided-${request.status}` }, request.status === "approved" ? "Approved" : "Denied"),
        el("div", {}, request.clinicianName),
        el("div", { class: "note" }, typeName(request.appointmentTypeId)),
        el("div", { class: "note" }, `Received ${when(request.createdAt)}`),
      ),
      el(
        "td",
        { dataset: { label: "Time" } },
        el("div", { class: "requested-time" }, el("span", { class: "small-label" }, `${timeLabel}: `), when(request.start)),
        request.originalStart
          ? el("div", { class: "original-time" }, el("span", { class: "small-label" }, "Original time: "), when(request.originalStart))
          : null,
        request.changes && request.changes.length
          ? el("div", { class: "note" }, `Changed by the practice: ${request.changes.join(", ")}`)
          : null,
      ),
      el(
        "td",
        { dataset: { label: "Client" }, id: clientId },
        el("strong", { class: "client-name" }, `${client.firstName} ${client.lastName}`),
        request.newClient ? el("span", { class: "badge new-client" }, "New client") : null,
        el("div", {}, `Date of birth: ${client.dateOfBirth}`),
        el("div", {}, el("a", { href: `mailto:${client.email}` }, client.email)),
        el("div", {}, client.mobilePhone),
        knownClient(data.clients, client)
          ? null
          : el("button", {
              type: "button", class: "secondary add-client", "aria-describedby": clientId,
              onclick: () => context.changed("client-draft", client),
            }, "Add to Clients"),
      ),
      el(
        "td",
        { dataset: { label: "Comments" }, class: "comments" },
        request.comments ? request.comments : el("span", { class: "note" }, "—"),
      ),
      el(
        "td",
        { dataset: { label: "Notification" }, class: "notification" },
        notificationCell(request, clientId),
      ),
      el(
        "td",
        { dataset: { label: "Decision" } },
        pending
          ? el(
              "div",
              { class: "row-actions" },
              el("button", {
                type: "button", class: "primary", "aria-describedby": clientId,
                onclick: (e) => openDecision(request, "approve", e.currentTarget),
              }, "Approve"),
              el("button", {
                type: "button", class: "danger", "aria-describedby": clientId,
                onclick: (e) => openDecision(request, "deny", e.currentTarget),
              }, "Deny"),
            )
          : el(
              "div",
              {},
              request.decidedAt ? el("div", {}, `Decided ${when(request.decidedAt)}`) : null,
              request.note ? el("div", { class: "note" }, `Note: ${request.note}`) : null,
            ),
      ),
    );
  }

  function notificationCell(request, describedBy) {
    const notification = request.notification;
    if (!notification) return el("span", { class: "note" }, "—");
    const shown = el(
      "strong",
      { class: `notification-status ${notification.status}`, tabindex: "-1" },
      NOTIFICATION[notification.status] || notification.status,
    );
    const reason = notification.status === "sent" && !notification.detail ? "" : notificationReason(notification);
    return el(
      "div",
      {},
      shown,
      notification.notice ? el("div", { class: "note" }, NOTICES[notification.notice] || notification.notice) : null,
      reason ? el("div", { class: "note notification-reason" }, reason) : null,
      notification.status === "failed"
        ? el("button", {
            type: "button", class: "secondary send-again", "aria-describedby": describedBy,
            onclick: (e) => sendAgain(request, e.currentTarget),
          }, "Send Again")
        : null,
    );
  }

  // Staff ask for a failed email once more; the notify function sends it (once per press).
  async function sendAgain(request, button) {
    // One key per intent: pressing again after a lost answer is the same request, sent once.
    request.resendKey ||= crypto.randomUUID();
    await context.run(button, $("queue-messages"), async () => {
      let answer;
      try {
        answer = await context.api(`/staff/requests/${encodeURIComponent(request.id)}/resend`, {
          method: "POST", key: request.resendKey,
        });
      } catch (error) {
        // Someone else sent it again meanwhile: show the email's status as it is now.
        if (error.status === 409) load();
        throw error;
      }
      delete request.resendKey;
      request.notification = answer.notification;
      const tr = [...$("queue-rows").children].find((r) => r.dataset.requestId === request.id);
      const cell = tr && tr.querySelector("td.notification");
      if (cell) cell.replaceChildren(notificationCell(request, `client-${request.id}`));
      say($("queue-messages"), `${NOTICES[answer.notification.notice] || "The email"} will be sent again.`);
      const shown = cell && cell.querySelector(".notification-status");
      if (shown) shown.focus();
      context.changed("requests", { action: "resend", request });
    });
  }

  // ---- approve and deny ----------------------------------------------------------------------

  function openDecision(request, action, opener) {
    const approving = action === "approve";
    const zone = context.zone();
    deciding = { request, action, opener };
    const name = `${request.client.firstName} ${request.client.lastName}`;
    $("decide-title").textContent = `${approving ? "Approve" : "Deny"} ${KINDS[request.kind].toLowerCase()} request`;
    $("decide-summary").textContent =
      `${name}: ${typeName(request.appointmentTypeId)} with ${request.clinicianName}, ${when(request.start)}.`;
    $("decide-messages").replaceChildren();
    $("decide-note").value = "";
    $("decide-confirm").textContent = approving ? "Confirm Approval" : "Confirm Deny";
    $("decide-confirm").className = approving ? "primary" : "danger";
    $("decide-note-label").textContent = approving
      ? "Note to the client (optional, included in the confirmation email)"
      : "Note (optional, kept with the request; the client gets no automatic email)";
    const offering = !approving && request.kind === "new";
    $("offer-fields").hidden = !offering;
    $("offer-choices").replaceChildren();
    if (offering) loadOfferTimes();
    const changeable = approving && request.kind !== "cancel";
    $("approve-fields").hidden = !changeable;
    if (changeable) {
      $("approve-clinician").replaceChildren(
        ...data.clinicians.map((c) => el("option", { value: c.id }, c.shownInPortal === false ? `${c.name} (not shown in portal)` : c.name)),
      );
      if (!data.clinicians.some((c) => c.id === request.clinicianId)) {
        $("approve-clinician").prepend(el("option", { value: request.clinicianId }, request.clinicianName));
      }
      $("approve-clinician").value = request.clinicianId;
      $("approve-type").replaceChildren(
        ...data.types.filter((t) => t.active !== false || t.id === request.appointmentTypeId)
          .map((t) => el("option", { value: t.id }, `${t.name} (${t.durationMinutes} min)`)),
      );
      $("approve-type").value = request.appointmentTypeId;
      $("approve-start").value = wallTime(request.start, zone);
      $("approve-zone").textContent = `Times are in the practice's time zone, ${zone}. Requested: ${when(request.start)}.`;
      loadSlots();
    }
    const dialog = $("decide-dialog");
    if (!dialog.open) dialog.showModal();
    (changeable ? $("approve-clinician") : $("decide-note")).focus();
  }

  // The open times of the chosen clinician and type for a week from the requested day, to pick
  // from.
  async function loadSlots() {
    const asked = deciding;
    const select = $("approve-slot");
    select.replaceChildren(el("option", { value: "" }, "Loading open times…"));
    select.disabled = true;
    try {
      const zone = context.zone();
      const typeId = $("approve-type").value;
      const type = data.types.find((t) => t.id === typeId);
      const now = today(zone);
      const requested = localDate(asked.request.start, zone);
      const from = requested > now ? requested : now;
      const query = new URLSearchParams({
        clientType: type ? type.clientType : "new", from, to: addDays(from, 6), clinicianId: $("approve-clinician").value,
      });
      const found = await api(`/availability?${query}`);
      if (deciding !== asked) return;
      const slots = found.slots.filter((s) => s.appointmentTypeId === typeId);
      select.replaceChildren(
        el("option", { value: "" }, slots.length ? "Keep the start below" : "No open times this week: type a start below"),
        ...slots.map((s) => el("option", { value: wallTime(s.start, context.zone()) }, when(s.start))),
      );
    } catch {
      select.replaceChildren(el("option", { value: "" }, "Open times could not be loaded: type a start below"));
    } finally {
      select.disabled = false;
    }
  }

  // Deny and offer other times: the open times of the request's clinician and type for the week
  // from the requested day, as check boxes; at most 3 may be ticked.
  async function loadOfferTimes() {
    const asked = deciding;
    const box = $("offer-choices");
    box.replaceChildren(el("p", { class: "note", role: "status" }, "Loading open times…"));
    try {
      const zone = context.zone();
      const request = asked.request;
      const type = data.types.find((t) => t.id === request.appointmentTypeId);
      const now = today(zone);
      const requested = localDate(request.start, zone);
      const from = requested > now ? requested : now;
      const query = new URLSearchParams({
        clientType: type ? type.clientType : "new", from, to: addDays(from, 6), clinicianId: request.clinicianId,
      });
      const found = await api(`/availability?${query}`);
      if (deciding !== asked) return;
      const slots = found.slots.filter((s) => s.appointmentTypeId === request.appointmentTypeId && s.start !== request.start);
      if (!slots.length) {
        box.replaceChildren(el("p", { class: "note" }, "No open times that week to offer."));
        return;
      }
      box.replaceChildren(...slots.map((slot, n) => el(
        "div",
        { class: "check" },
        el("input", { type: "checkbox", id: `offer-${n}`, value: slot.start, onchange: offerChosen }),
        el("label", { for: `offer-${n}` }, when(slot.start)),
      )));
    } catch {
      box.replaceChildren(el("p", { class: "note" }, "Open times could not be loaded."));
    }
  }

  function offerChosen() {
    const boxes = [...$("offer-choices").querySelectorAll("input[type=checkbox]")];
    const ticked = boxes.filter((b) => b.checked).length;
    for (const b of boxes) b.disabled = !b.checked && ticked >= 3;
    $("decide-confirm").textContent = ticked ? "Deny and Offer Times" : "Confirm Deny";
    $("decide-note-label").textContent = ticked
      ? "Note to the client (optional, included in the email with the times)"
      : "Note (optional, kept with the request; the client gets no automatic email)";
  }

  function closeDialog() {
    const dialog = $("decide-dialog");
    if (dialog.open) dialog.close();
  }

  function afterClose() {
    const closed = deciding;
    deciding = null;
    if (closed && closed.opener && closed.opener.isConnected) closed.opener.focus();
    else if (!container.closest("[hidden]")) {
      $("queue-title").tabIndex = -1;
      $("queue-title").focus();
    }
  }

  async function confirmDecision(event) {
    event.preventDefault();
    if (!deciding) return;
    const { request, action } = deciding;
    await context.run($("decide-confirm"), $("decide-messages"), async () => {
      const zone = context.zone();
      const body = {};
      const note = $("decide-note").value.trim();
      if (note) body.note = note;
      if (action === "approve" && request.kind !== "cancel") {
        const clinicianId = $("approve-clinician").value;
        const typeId = $("approve-type").value;
        const startValue = $("approve-start").value;
        if (clinicianId && clinicianId !== request.clinicianId) body.clinicianId = clinicianId;
        if (typeId && typeId !== request.appointmentTypeId) body.appointmentTypeId = typeId;
        if (startValue !== wallTime(request.start, zone)) {
          const start = instant(startValue, zone);
          if (!start) {
            $("approve-start").setAttribute("aria-invalid", "true");
            throw new Error("Enter a start date and time that exists in the practice's time zone.");
          }
          body.start = start;
        }
      }
      if (action === "deny") {
        const offers = [...$("offer-choices").querySelectorAll("input[type=checkbox]:checked")]
          .map((b) => ({ start: b.value }));
        if (offers.length) body.offers = offers;
      }
      $("approve-start").removeAttribute("aria-invalid");
      // One Idempotency-Key per decision, kept while it is retried as it is (a click again after
      // an answer was lost replays the first answer); a changed decision is another request.
      const sent = JSON.stringify(body);
      if (deciding.sent !== sent) Object.assign(deciding, { sent, key: crypto.randomUUID() });
      const decided = await context.api(`/staff/requests/${encodeURIComponent(request.id)}/${action}`, {
        method: "POST", body, key: deciding.key,
      });
      requests = requests.filter((r) => r.id !== request.id);
      const tr = [...$("queue-rows").children].find((r) => r.dataset.requestId === request.id);
      if (tr) tr.remove();
      summarize();
      closeDialog();
      const name = `${request.client.firstName} ${request.client.lastName}`;
      say($("queue-messages"), action === "approve"
        ? `Approved: ${name}, ${when(decided.request.start)} with ${decided.request.clinicianName}.`
        : `Denied: ${name}. The client gets no automatic email; contact them directly.`);
      context.changed("requests", { action, request: decided.request });
    });
  }

  context.on("signed-in", () => load());
  context.on("signed-out", () => {
    closeDialog();
    requests = [];
    shownZone = null;
    $("queue-rows").replaceChildren();
  });
  // "Add to Clients" follows the client list.
  context.on("clients", () => {
    if (requests.length) render();
  });
  // Every time is shown on the practice's clock.
  context.on("settings", () => {
    if (shownZone !== null && shownZone !== context.zone()) render();
  });
  // The calendar's "Review in Requests": the pending requests, with the keyboard on this one's
  // Approve.
  context.on("show-request", async ({ requestId }) => {
    if (status !== "pending" || !requests.some((r) => r.id === requestId)) {
      $("queue-status").value = "pending";
      await load();
    }
    const tr = [...$("queue-rows").children].find((r) => r.dataset.requestId === requestId);
    const approve = tr && tr.querySelector("button.primary");
    if (approve) {
      tr.scrollIntoView({ block: "center" });
      approve.focus();
      return;
    }
    say($("queue-messages"), "That request is not among those listed: it may be decided already, or further down (Show More).");
    $("queue-title").tabIndex = -1;
    $("queue-title").focus();
  });
  $("queue-status").addEventListener("change", () => load());
  $("queue-refresh").addEventListener("click", () => load());
  $("queue-more").addEventListener("click", () => load(true));
  $("decide-form").addEventListener("submit", confirmDecision);
  $("decide-cancel").addEventListener("click", closeDialog);
  $("decide-dialog").addEventListener("close", afterClose);
  $("approve-clinician").addEventListener("change", loadSlots);
  $("approve-type").addEventListener("change", loadSlots);
  $("approve-slot").addEventListener("change", (e) => {
    if (e.currentTarget.value) $("approve-start").value = e.currentTarget.value;
  });
}
