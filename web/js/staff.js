// The staff page: the queue of requests to approve or deny, the scheduling switches, the
// clinicians' weekly hours and time off, and the clients with their portal accounts. Everything
// a client typed is inserted as text (el()).

import { api, versioned } from "./api.js";
import { account } from "./auth.js";
import { el } from "./dom.js";
import { markFields, refuse, required, say, showError, wholeNumber as wholeNumberOf } from "./forms.js";
import { mount as mountSecondFactor } from "./staff/second-factor.js";
import { addDays, formatDateTime, instant, localDate, today, wallTime } from "./zone.js";

const $ = (id) => document.getElementById(id);
// Staff sign in to the staff user pool, which requires an authenticator app.
const auth = account("staff");
const signOut = () => auth.signOut();
let secondFactor = null;
const KINDS = { new: "New", reschedule: "Reschedule", cancel: "Cancellation" };
const NOTIFICATION = { sent: "Sent", failed: "Not sent", skipped: "Not sent", queued: "Sending again" };
const NOTICES = {
  received: "Front desk notice",
  confirmed: "Confirmation",
  moved: "Reschedule confirmation",
  cancelled: "Cancellation confirmation",
};
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SWITCHES = {
  enabled: "set-enabled",
  anonymousRequests: "set-anonymous",
  reschedule: "set-reschedule",
  cancel: "set-cancel",
};

const state = {
  settings: null,
  types: [],
  clinicians: [],
  requests: [],
  status: "pending",
  cursor: null,
  newPassword: null,
  deciding: null, // {request, action, opener}
  clinician: null, // the clinician being edited
  timeOff: [], // its time off as edited: [{id?, start, end}]
  clinicianDirty: false, // the clinician form has changes not saved yet
  clients: [],
  duplicateEmail: null, // an email already on the list that staff were asked about
  clientKey: null, // the Idempotency-Key of the client being added, kept until it is added
};

// ---- time in the practice's zone -------------------------------------------------------------

function zone() {
  return state.settings ? state.settings.practice.timeZone : "UTC";
}

const pad = (n) => String(n).padStart(2, "0");

// An instant as a datetime-local value (YYYY-MM-DDTHH:MM) on the practice's clock.
function toLocalInput(iso) {
  return wallTime(iso, zone());
}

// A datetime-local value read on the practice's clock, as an ISO instant (null when the value is
// empty or a time the clocks skipped).
function toInstant(value) {
  return instant(value, zone());
}

function when(iso) {
  return formatDateTime(iso, zone());
}

// ---- small helpers ---------------------------------------------------------------------------

function user() {
  return auth.currentUser();
}

function token() {
  const signedIn = user();
  return signedIn ? signedIn.token : undefined;
}

function typeName(id) {
  const type = state.types.find((t) => t.id === id);
  return type ? type.name : id;
}

function clinicianName(id) {
  const clinician = state.clinicians.find((c) => c.id === id);
  return clinician ? clinician.name : id;
}

// Runs a click's work with its button disabled; errors go to the given container. A session that
// ended (401) sends staff back to sign in.
async function busy(button, container, work) {
  const hadFocus = Boolean(button) && document.activeElement === button;
  if (button) button.disabled = true;
  container.replaceChildren();
  markFields(button && button.form, container, {}); // clears the marks of an earlier answer
  try {
    await work();
  } catch (error) {
    if (error.status === 401) {
      signOut();
      showSignIn();
      say($("messages"), "Your session ended. Please sign in again.");
    } else {
      showError(container, error);
      markFields(button && button.form, container, error);
      if (error.status === 412) {
        // Someone else saved this meanwhile: reading it again shows their change (and drops
        // this page's unsaved edits of it, which the person then makes again).
        container.append(el("button", { type: "button", class: "secondary", onclick: reloadRecords }, "Reload"));
      }
    }
  } finally {
    if (button) {
      button.disabled = false;
      // Disabling dropped the keyboard's focus to the page: give it back unless it moved on.
      const dropped = !document.activeElement || document.activeElement === document.body;
      if (hadFocus && button.isConnected && dropped) button.focus();
    }
  }
}

// The version a record was read at, for If-Match: a save on an older one is refused (412).
function ifMatch(version) {
  return version ? { "If-Match": version } : {};
}

// Read the settings, types and clinicians again, as another staff member saved them.
async function reloadRecords(event) {
  const button = event.currentTarget;
  await busy(button, button.parentElement, async () => {
    const [settings, types, clinicians] = await Promise.all([
      versioned("/staff/settings", { token: token() }),
      api("/staff/appointment-types", { token: token() }),
      api("/staff/clinicians", { token: token() }),
    ]);
    state.settings = settings.data;
    state.settingsVersion = settings.version;
    state.types = types.appointmentTypes;
    state.clinicians = clinicians.clinicians;
    renderSettings();
    renderTypes();
    renderClinicianChoice(state.clinician && state.clinician.id);
    say($("messages"), "Reloaded: the settings, appointment types and clinicians are as saved now.");
    $("messages").querySelector("p").tabIndex = -1;
    $("messages").querySelector("p").focus();
  });
}

// ---- signing in ------------------------------------------------------------------------------

function showOnly(view) {
  for (const id of ["view-sign-in", "view-not-staff", "view-staff"]) $(id).hidden = id !== view;
  const signedIn = view !== "view-sign-in";
  $("nav-sign-out").hidden = !signedIn;
  for (const id of ["nav-queue", "nav-settings", "nav-types", "nav-clinicians", "nav-clients"]) {
    $(id).hidden = view !== "view-staff";
  }
}

function showSignIn(message) {
  showOnly("view-sign-in");
  $("sign-in-form").hidden = false;
  $("new-password-form").hidden = true;
  secondFactor.hide();
  state.newPassword = null;
  $("sign-in-password").value = "";
  $("sign-in-email").focus();
  $("messages").replaceChildren();
  if (message) say($("messages"), message);
}

// After the password (or a new one): the pool's next step, or the staff page.
async function next(result) {
  if (result.newPasswordRequired) {
    state.newPassword = result;
    $("sign-in-form").hidden = true;
    $("new-password-form").hidden = false;
    $("new-password").focus();
    return;
  }
  $("sign-in-form").hidden = true;
  $("new-password-form").hidden = true;
  if (await secondFactor.show(result)) return;
  await enter();
}

async function submitSignIn(event) {
  event.preventDefault();
  const button = event.submitter || event.currentTarget.querySelector("button");
  await busy(button, $("messages"), async () => {
    const email = $("sign-in-email").value.trim();
    const password = $("sign-in-password").value;
    if (!email || !password) throw new Error("Enter your email and password.");
    const result = await auth.signIn(email, password);
    $("sign-in-password").value = "";
    await next(result);
  });
}

async function submitNewPassword(event) {
  event.preventDefault();
  const button = event.submitter || event.currentTarget.querySelector("button");
  await busy(button, $("messages"), async () => {
    const result = await auth.setNewPassword(state.newPassword, $("new-password").value);
    $("new-password").value = "";
    state.newPassword = null;
    await next(result);
  });
}

function leave() {
  signOut();
  closeDialog();
  state.settings = null;
  state.clients = [];
  state.requests = [];
  $("queue-rows").replaceChildren();
  $("clients-rows").replaceChildren();
  $("client-form").reset();
  $("messages").replaceChildren();
  showSignIn();
}

// After signing in: the settings answer 403 to anybody who is not staff.
async function enter() {
  $("messages").replaceChildren();
  try {
    const read = await versioned("/staff/settings", { token: token() });
    state.settings = read.data;
    state.settingsVersion = read.version;
  } catch (error) {
    if (error.status === 403) {
      showOnly("view-not-staff");
      $("not-staff-title").tabIndex = -1;
      $("not-staff-title").focus();
      return;
    }
    if (error.status === 401) {
      signOut();
      showSignIn();
      say($("messages"), "Your session ended. Please sign in again.");
      return;
    }
    showOnly("view-sign-in");
    showError($("messages"), error);
    return;
  }
  showOnly("view-staff");
  renderSettings();
  await busy(null, $("messages"), async () => {
    // Each panel shows what arrived; the first failure is reported.
    const [types, clinicians, clients] = await Promise.allSettled([
      api("/staff/appointment-types", { token: token() }),
      api("/staff/clinicians", { token: token() }),
      api("/staff/clients", { token: token() }),
    ]);
    if (types.status === "fulfilled") state.types = types.value.appointmentTypes;
    if (clinicians.status === "fulfilled") state.clinicians = clinicians.value.clinicians;
    if (clients.status === "fulfilled") state.clients = clients.value.clients;
    renderTypes();
    renderClinicianChoice();
    renderClients();
    if (clients.status === "rejected") $("clients-summary").textContent = "The client list could not be loaded.";
    const failed = [types, clinicians, clients].find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  });
  await loadQueue();
  $("queue-title").tabIndex = -1;
  $("queue-title").focus();
}

// ---- the queue -------------------------------------------------------------------------------

async function loadQueue(more = false) {
  const table = $("queue-table");
  table.dataset.state = "loading";
  await busy($("queue-refresh"), $("queue-messages"), async () => {
    state.status = $("queue-status").value;
    let path = `/staff/requests?status=${encodeURIComponent(state.status)}`;
    if (more && state.cursor) path += `&cursor=${encodeURIComponent(state.cursor)}`;
    const found = await api(path, { token: token() });
    state.requests = more ? [...state.requests, ...found.requests] : found.requests;
    state.cursor = found.cursor || null;
    renderQueue();
  });
  table.dataset.state = "loaded";
}

function renderQueue() {
  const rows = $("queue-rows");
  rows.replaceChildren(...state.requests.map(row));
  $("queue-more").hidden = !state.cursor;
  summarize();
}

function summarize() {
  const count = state.requests.length;
  const words = { pending: "awaiting review", approved: "approved", denied: "denied" }[state.status];
  $("queue-summary").textContent = count
    ? `${count} ${count === 1 ? "request" : "requests"} ${words}${state.cursor ? " (more below)" : ""}.`
    : `No requests ${words}.`;
}

function row(request) {
  const client = request.client;
  const clientId = `client-${request.id}`;
  const timeLabel = request.kind === "cancel" ? "Appointment time" : "Requested time";
  const notification = request.notification;
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
      knownClient(client)
        ? null
        : el("button", {
            type: "button", class: "secondary add-client", "aria-describedby": clientId,
            onclick: () => prefillClient(client),
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

function notificationCell(request, describedBy) {
  const notification = request.notification;
  if (!notification) return el("span", { class: "note" }, "—");
  const status = el(
    "strong",
    { class: `notification-status ${notification.status}`, tabindex: "-1" },
    NOTIFICATION[notification.status] || notification.status,
  );
  const reason = notification.status === "sent" && !notification.detail ? "" : notificationReason(notification);
  return el(
    "div",
    {},
    status,
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
  await busy(button, $("queue-messages"), async () => {
    let answer;
    try {
      answer = await api(`/staff/requests/${encodeURIComponent(request.id)}/resend`, {
        method: "POST", token: token(), key: request.resendKey,
      });
    } catch (error) {
      // Someone else sent it again meanwhile: show the email's status as it is now.
      if (error.status === 409) loadQueue();
      throw error;
    }
    delete request.resendKey;
    request.notification = answer.notification;
    const tr = [...$("queue-rows").children].find((r) => r.dataset.requestId === request.id);
    const cell = tr && tr.querySelector("td.notification");
    if (cell) cell.replaceChildren(notificationCell(request, `client-${request.id}`));
    say($("queue-messages"), `${NOTICES[answer.notification.notice] || "The email"} will be sent again.`);
    const status = cell && cell.querySelector(".notification-status");
    if (status) status.focus();
  });
}

// ---- approve and deny ------------------------------------------------------------------------

function openDecision(request, action, opener) {
  const approving = action === "approve";
  state.deciding = { request, action, opener };
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
  const changeable = approving && request.kind !== "cancel";
  $("approve-fields").hidden = !changeable;
  if (changeable) {
    $("approve-clinician").replaceChildren(
      ...state.clinicians.map((c) => el("option", { value: c.id }, c.shownInPortal === false ? `${c.name} (not shown in portal)` : c.name)),
    );
    if (!state.clinicians.some((c) => c.id === request.clinicianId)) {
      $("approve-clinician").prepend(el("option", { value: request.clinicianId }, request.clinicianName));
    }
    $("approve-clinician").value = request.clinicianId;
    $("approve-type").replaceChildren(
      ...state.types.filter((t) => t.active !== false || t.id === request.appointmentTypeId)
        .map((t) => el("option", { value: t.id }, `${t.name} (${t.durationMinutes} min)`)),
    );
    $("approve-type").value = request.appointmentTypeId;
    $("approve-start").value = toLocalInput(request.start);
    $("approve-zone").textContent = `Times are in the practice's time zone, ${zone()}. Requested: ${when(request.start)}.`;
    loadSlots();
  }
  const dialog = $("decide-dialog");
  if (!dialog.open) dialog.showModal();
  (changeable ? $("approve-clinician") : $("decide-note")).focus();
}

// The open times of the chosen clinician and type for a week from the requested day, to pick from.
async function loadSlots() {
  const deciding = state.deciding;
  const select = $("approve-slot");
  select.replaceChildren(el("option", { value: "" }, "Loading open times…"));
  select.disabled = true;
  try {
    const typeId = $("approve-type").value;
    const type = state.types.find((t) => t.id === typeId);
    const now = today(zone());
    const requested = localDate(deciding.request.start, zone());
    const from = requested > now ? requested : now;
    const query = new URLSearchParams({
      clientType: type ? type.clientType : "new", from, to: addDays(from, 6), clinicianId: $("approve-clinician").value,
    });
    const found = await api(`/availability?${query}`);
    if (state.deciding !== deciding) return;
    const slots = found.slots.filter((s) => s.appointmentTypeId === typeId);
    select.replaceChildren(
      el("option", { value: "" }, slots.length ? "Keep the start below" : "No open times this week: type a start below"),
      ...slots.map((s) => el("option", { value: toLocalInput(s.start) }, when(s.start))),
    );
  } catch {
    select.replaceChildren(el("option", { value: "" }, "Open times could not be loaded: type a start below"));
  } finally {
    select.disabled = false;
  }
}

function closeDialog() {
  const dialog = $("decide-dialog");
  if (dialog.open) dialog.close();
}

function afterClose() {
  const deciding = state.deciding;
  state.deciding = null;
  if (deciding && deciding.opener && deciding.opener.isConnected) deciding.opener.focus();
  else if (!$("view-staff").hidden) {
    $("queue-title").tabIndex = -1;
    $("queue-title").focus();
  }
}

async function confirmDecision(event) {
  event.preventDefault();
  const deciding = state.deciding;
  if (!deciding) return;
  const { request, action } = deciding;
  await busy($("decide-confirm"), $("decide-messages"), async () => {
    const body = {};
    const note = $("decide-note").value.trim();
    if (note) body.note = note;
    if (action === "approve" && request.kind !== "cancel") {
      const clinicianId = $("approve-clinician").value;
      const typeId = $("approve-type").value;
      const startValue = $("approve-start").value;
      if (clinicianId && clinicianId !== request.clinicianId) body.clinicianId = clinicianId;
      if (typeId && typeId !== request.appointmentTypeId) body.appointmentTypeId = typeId;
      if (startValue !== toLocalInput(request.start)) {
        const start = toInstant(startValue);
        if (!start) {
          $("approve-start").setAttribute("aria-invalid", "true");
          throw new Error("Enter a start date and time that exists in the practice's time zone.");
        }
        body.start = start;
      }
    }
    $("approve-start").removeAttribute("aria-invalid");
    const decided = await api(`/staff/requests/${encodeURIComponent(request.id)}/${action}`, {
      method: "POST", token: token(), body,
    });
    state.requests = state.requests.filter((r) => r.id !== request.id);
    const tr = [...$("queue-rows").children].find((r) => r.dataset.requestId === request.id);
    if (tr) tr.remove();
    summarize();
    closeDialog();
    const name = `${request.client.firstName} ${request.client.lastName}`;
    say($("queue-messages"), action === "approve"
      ? `Approved: ${name}, ${when(decided.request.start)} with ${decided.request.clinicianName}.`
      : `Denied: ${name}. The client gets no automatic email; contact them directly.`);
  });
}

// ---- settings --------------------------------------------------------------------------------

function renderSettings() {
  const practice = state.settings.practice;
  $("set-name").value = practice.name;
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const choices = zones.includes(practice.timeZone) ? zones : [practice.timeZone, ...zones];
  $("set-zone").replaceChildren(...choices.map((z) => el("option", { value: z }, z.replaceAll("_", " "))));
  $("set-zone").value = practice.timeZone;
  $("set-notify").value = practice.notificationEmail || "";
  $("set-reply").value = practice.replyToEmail || "";
  $("practice-name").textContent = `${practice.name}: Staff`;
  document.title = `${practice.name}: Staff`;
  const scheduling = state.settings.scheduling;
  for (const [field, id] of Object.entries(SWITCHES)) $(id).checked = Boolean(scheduling[field]);
  $("set-notice").value = String(scheduling.minimumNoticeHours);
  $("set-horizon").value = String(scheduling.horizonDays);
  const interval = String(scheduling.slotIntervalMinutes);
  if (![...$("set-interval").options].some((o) => o.value === interval)) {
    $("set-interval").append(el("option", { value: interval }, `${interval} minutes`));
  }
  $("set-interval").value = interval;
}

function wholeNumber(field, label, min, max) {
  return wholeNumberOf(typeof field === "string" ? $(field) : field, label, min, max);
}

async function saveSettings(event) {
  event.preventDefault();
  $("settings-saved").textContent = "";
  await busy($("settings-save"), $("settings-messages"), async () => {
    const scheduling = {};
    for (const [field, id] of Object.entries(SWITCHES)) scheduling[field] = $(id).checked;
    scheduling.minimumNoticeHours = wholeNumber("set-notice", "Minimum notice", 0, 720);
    scheduling.horizonDays = wholeNumber("set-horizon", "How far ahead clients may book", 1, 730);
    scheduling.slotIntervalMinutes = Number($("set-interval").value);
    const name = required($("set-name"), "Enter the practice's name.");
    const practice = {
      name,
      timeZone: $("set-zone").value,
      notificationEmail: $("set-notify").value.trim() || null,
      replyToEmail: $("set-reply").value.trim() || null,
    };
    // Only what changed since the page read the settings: another staff member's change to
    // another field in the meantime is kept, not overwritten with what this page showed.
    const changed = (mine, theirs) => Object.fromEntries(
      Object.entries(mine).filter(([field, value]) => (theirs[field] ?? null) !== value),
    );
    const body = {
      practice: changed(practice, state.settings.practice),
      scheduling: changed(scheduling, state.settings.scheduling),
    };
    const zoneBefore = zone();
    const saved = await versioned("/staff/settings", {
      method: "PATCH", token: token(), body, headers: ifMatch(state.settingsVersion),
    });
    state.settings = saved.data;
    state.settingsVersion = saved.version;
    renderSettings();
    if (zone() !== zoneBefore) {
      // Every time on the page is shown in the practice's zone.
      renderQueue();
      renderTimeOff();
    }
    $("settings-saved").textContent = "Saved";
  });
}

// ---- appointment types ----------------------------------------------------------------------

const CLIENT_TYPES = { new: "New clients", existing: "Existing clients" };

// An id for a new type or clinician from its name: lower-case words joined by "-", unique among `taken`.
function newId(name, taken) {
  const base = name.normalize("NFKD").replace(/[^\w\s-]/g, "").trim().toLowerCase()
    .replace(/[\s_]+/g, "-").replace(/-+/g, "-").slice(0, 48) || "item";
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base}-${n}`;
  return id;
}

function renderTypes() {
  const types = [...state.types].sort((a, b) => a.name.localeCompare(b.name));
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
      el("button", { type: "button", class: "secondary", onclick: (e) => saveType(type, e.currentTarget) }, `Save ${type.name}`)),
  );
}

function readType(nameInput, minutesInput, clientType, active) {
  const name = required(nameInput, "Enter the appointment type's name.");
  const minutes = wholeNumber(minutesInput, "The length in minutes", 15, 240);
  return { name, durationMinutes: minutes, clientType, active };
}

// Puts one type's row in place (replacing its old row, or in name order), leaving the others and
// whatever is typed in them alone; returns the row.
function placeTypeRow(type) {
  const rows = $("types-rows");
  const row = typeRow(type);
  const old = rows.querySelector(`tr[data-type-id="${CSS.escape(type.id)}"]`);
  if (old) old.replaceWith(row);
  else {
    const after = [...rows.children].find((r) => {
      const other = state.types.find((t) => t.id === r.dataset.typeId);
      return other && other.name.localeCompare(type.name) > 0;
    });
    rows.insertBefore(row, after || null);
  }
  return row;
}

function keepType(saved) {
  state.types = [...state.types.filter((t) => t.id !== saved.id), saved];
  const row = placeTypeRow(saved);
  // The clinician form lists the types: keep what is ticked there, saved or not.
  const ticked = $("clinician-types").querySelectorAll("input[data-type-id]:checked");
  renderClinicianTypes(new Set([...ticked].map((i) => i.value)));
  return row;
}

// Creates a type or a clinician under a fresh id made from its name, never replacing one: a 409
// means another session took that id meanwhile, so the list is read again and the next id tried.
const COLLECTIONS = {
  types: { path: "/staff/appointment-types", field: "appointmentTypes" },
  clinicians: { path: "/staff/clinicians", field: "clinicians" },
};

async function createNamed(collection, name, body) {
  const { path, field } = COLLECTIONS[collection];
  for (let attempt = 1; ; attempt += 1) {
    const id = newId(name, new Set(state[collection].map((x) => x.id)));
    try {
      return await api(`${path}/${encodeURIComponent(id)}`, {
        method: "PUT", token: token(), body, headers: { "If-None-Match": "*" },
      });
    } catch (error) {
      if (error.status !== 409 || error.code !== "already_exists" || attempt >= 3) throw error;
      state[collection] = (await api(path, { token: token() }))[field];
      if (collection === "types") renderTypes();
    }
  }
}

async function saveType(type, button) {
  const row = button.closest("tr");
  const field = (name) => row.querySelector(`[data-field="${name}"]`);
  await busy(button, $("types-messages"), async () => {
    const body = readType(field("name"), field("durationMinutes"), field("clientType").value, field("active").checked);
    const saved = await api(`/staff/appointment-types/${encodeURIComponent(type.id)}`, {
      method: "PUT", token: token(), body, headers: ifMatch(type.etag),
    });
    const row = keepType(saved.appointmentType);
    say($("types-messages"), `Saved ${saved.appointmentType.name}.`);
    row.querySelector("button").focus();
  });
}

async function addType(event) {
  event.preventDefault();
  $("type-added").textContent = "";
  await busy($("type-add"), $("type-form-messages"), async () => {
    const body = readType($("type-name"), $("type-minutes"), $("type-for").value, true);
    const saved = await createNamed("types", body.name, body);
    keepType(saved.appointmentType);
    $("type-form").reset();
    $("type-added").textContent = `Added ${saved.appointmentType.name}. Offer it under each clinician who provides it.`;
  });
}

// ---- clinicians ------------------------------------------------------------------------------

async function addClinician(event) {
  event.preventDefault();
  const input = $("new-clinician-name");
  await busy($("new-clinician-add"), $("new-clinician-messages"), async () => {
    const name = required(input, "Enter the new clinician's name.");
    const saved = await createNamed("clinicians", name, {
      name, shownInPortal: true, appointmentTypeIds: [], hours: {},
    });
    state.clinicians = [...state.clinicians.filter((c) => c.id !== saved.clinician.id), saved.clinician];
    input.value = "";
    if (state.clinicianDirty && state.clinician) {
      // Keep the changes being made to another clinician: the new one waits in the list.
      renderClinicianOptions(state.clinician.id);
      say($("new-clinician-messages"), `Added ${name}. Save ${state.clinician.name} first, then choose ${name} under Clinician.`);
      return;
    }
    renderClinicianChoice(saved.clinician.id);
    say($("clinician-messages"), `Added ${name}. Choose their appointment types and weekly hours, then Save Clinician.`);
    $("clinician-name").focus();
  });
}

function renderClinicianOptions(selected) {
  const choice = $("clinician-choice");
  const keep = selected || choice.value || (state.clinicians[0] && state.clinicians[0].id);
  choice.replaceChildren(
    ...state.clinicians.map((c) => el("option", { value: c.id }, c.shownInPortal === false ? `${c.name} (not shown in portal)` : c.name)),
  );
  if (keep) choice.value = keep;
  $("clinician-form").hidden = !state.clinicians.length;
}

function renderClinicianChoice(selected) {
  renderClinicianOptions(selected);
  editClinician();
}

function editClinician() {
  const clinician = state.clinicians.find((c) => c.id === $("clinician-choice").value);
  state.clinician = clinician || null;
  state.clinicianDirty = false;
  $("clinician-messages").replaceChildren();
  $("clinician-saved").textContent = "";
  if (!clinician) return;
  $("clinician-name").value = clinician.name;
  $("clinician-shown").checked = clinician.shownInPortal !== false;
  renderClinicianTypes(new Set(clinician.appointmentTypeIds || []));
  const hours = clinician.hours || {};
  $("clinician-hours").replaceChildren(
    ...WEEKDAYS.flatMap((day) => {
      const id = `hours-${day}`;
      const text = (hours[day] || []).map((i) => `${i.start}-${i.end}`).join(", ");
      return [
        el("label", { for: id }, day[0].toUpperCase() + day.slice(1)),
        el("input", { id, value: text, autocomplete: "off", placeholder: "day off", dataset: { weekday: day } }),
      ];
    }),
  );
  state.timeOff = (clinician.timeOff || []).map((t) => ({ id: t.id, start: t.start, end: t.end }));
  renderTimeOff();
}

// The appointment types a clinician may offer, as checkboxes: `offered` checked.
function renderClinicianTypes(offered) {
  const legend = $("clinician-types").querySelector("legend");
  $("clinician-types").replaceChildren(
    legend,
    ...state.types.map((t) => el(
      "label",
      {},
      el("input", { type: "checkbox", value: t.id, checked: offered.has(t.id), dataset: { typeId: t.id } }),
      ` ${t.name}${t.active ? "" : " (not offered)"}`,
    )),
  );
}

function renderTimeOff() {
  const list = $("time-off-list");
  const entries = [...state.timeOff].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  list.replaceChildren(
    ...entries.map((entry) => {
      const words = `${when(entry.start)} to ${when(entry.end)}`;
      return el(
        "li",
        { dataset: { timeOffId: entry.id } },
        el("span", {}, words),
        el("button", {
          type: "button", class: "secondary", "aria-label": `Remove time off ${words}`,
          onclick: (e) => removeTimeOff(entry, words, e.currentTarget),
        }, "Remove"),
      );
    }),
  );
  $("time-off-none").hidden = entries.length > 0;
}

// Time off is saved an entry at a time, whatever else is being edited: the clinician's other
// fields keep their unsaved changes, and the clinician's version follows the save.
function keepTimeOff(saved) {
  const clinician = state.clinician;
  clinician.timeOff = saved.timeOff;
  clinician.etag = saved.etag;
  state.clinicians = state.clinicians.map((c) => (c.id === saved.id ? { ...c, timeOff: saved.timeOff, etag: saved.etag } : c));
  state.timeOff = saved.timeOff.map((t) => ({ id: t.id, start: t.start, end: t.end }));
  renderTimeOff();
}

async function addTimeOff() {
  const clinician = state.clinician;
  if (!clinician) return;
  await busy($("time-off-add"), $("clinician-messages"), async () => {
    const start = toInstant($("time-off-start").value);
    const end = toInstant($("time-off-end").value);
    if (!start || !end) throw new Error("Enter when the time off starts and ends.");
    if (Date.parse(end) <= Date.parse(start)) throw new Error("Time off must end after it starts.");
    const saved = await api(`/staff/clinicians/${encodeURIComponent(clinician.id)}/time-off`, {
      method: "POST", token: token(), body: { start, end },
    });
    keepTimeOff(saved.clinician);
    $("time-off-start").value = "";
    $("time-off-end").value = "";
    say($("clinician-messages"), `Time off saved: ${when(start)} to ${when(end)}.`);
  });
}

async function removeTimeOff(entry, words, button) {
  const clinician = state.clinician;
  await busy(button, $("clinician-messages"), async () => {
    const path = `/staff/clinicians/${encodeURIComponent(clinician.id)}/time-off/${encodeURIComponent(entry.id)}`;
    const saved = await api(path, { method: "DELETE", token: token() });
    keepTimeOff(saved.clinician);
    say($("clinician-messages"), `Time off removed: ${words}.`);
    $("time-off-start").focus();
  });
}

const SPAN = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/;

function readHours() {
  const hours = {};
  for (const input of $("clinician-hours").querySelectorAll("input[data-weekday]")) {
    const day = input.dataset.weekday;
    input.removeAttribute("aria-invalid");
    const spans = input.value.split(",").map((s) => s.trim()).filter(Boolean);
    const intervals = [];
    for (const span of spans) {
      const m = SPAN.exec(span);
      if (!m) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
        throw new Error(`${day[0].toUpperCase() + day.slice(1)}: write hours like 09:00-12:00, 13:00-17:00.`);
      }
      intervals.push({ start: `${pad(m[1])}:${m[2]}`, end: `${pad(m[3])}:${m[4]}` });
    }
    if (intervals.length) hours[day] = intervals;
  }
  return hours;
}

async function saveClinician(event) {
  event.preventDefault();
  const clinician = state.clinician;
  if (!clinician) return;
  $("clinician-saved").textContent = "";
  await busy($("clinician-save"), $("clinician-messages"), async () => {
    const body = {
      name: required($("clinician-name"), "Enter the clinician's name."),
      shownInPortal: $("clinician-shown").checked,
      appointmentTypeIds: [...$("clinician-types").querySelectorAll("input[data-type-id]:checked")].map((i) => i.value),
      hours: readHours(),
    };
    // Time off is saved as it is added or removed; this save leaves it as it is.
    const saved = await api(`/staff/clinicians/${encodeURIComponent(clinician.id)}`, {
      method: "PUT", token: token(), body, headers: ifMatch(clinician.etag),
    });
    state.clinicians = state.clinicians.map((c) => (c.id === clinician.id ? saved.clinician : c));
    renderClinicianChoice(clinician.id);
    $("clinician-saved").textContent = "Saved";
  });
}

// ---- clients and their portal accounts --------------------------------------------------------

function sameEmail(a, b) {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

// A request's client who is already on the client list (by account or by email).
function knownClient(client) {
  return Boolean(client.clientId) || state.clients.some((c) => sameEmail(c.email, client.email));
}

function byName(a, b) {
  return a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName) || a.id.localeCompare(b.id);
}

function renderClients() {
  const clients = [...state.clients].sort(byName);
  $("clients-rows").replaceChildren(...clients.map(clientRow));
  const accounts = clients.filter((c) => c.hasAccount).length;
  $("clients-summary").textContent = clients.length
    ? `${clients.length} ${clients.length === 1 ? "client" : "clients"}, ${accounts} with a Client Portal account.`
    : "No clients yet. Add one below.";
  if (state.requests.length) renderQueue(); // "Add to Clients" buttons follow the list
}

function clientRow(client) {
  const nameId = `client-name-${client.id}`;
  const name = `${client.firstName} ${client.lastName}`;
  return el(
    "tr",
    { dataset: { clientId: client.id } },
    el("td", { dataset: { label: "Client" } }, el("strong", { id: nameId, tabindex: "-1" }, name)),
    el("td", { dataset: { label: "Date of birth" } }, client.dateOfBirth),
    el(
      "td",
      { dataset: { label: "Contact" } },
      el("div", {}, el("a", { href: `mailto:${client.email}` }, client.email)),
      el("div", {}, client.mobilePhone),
    ),
    el(
      "td",
      { dataset: { label: "Client Portal" }, class: "portal-account" },
      client.hasAccount
        ? el("span", { class: "badge has-account" }, "Has an account")
        : el("button", {
            type: "button", class: "primary", "aria-describedby": nameId,
            onclick: (e) => inviteClient(client, e.currentTarget),
          }, "Invite to Portal"),
    ),
  );
}

function keepClient(saved) {
  state.clients = [...state.clients.filter((c) => c.id !== saved.id), saved];
}

async function inviteClient(client, button) {
  await busy(button, $("clients-messages"), async () => {
    const answer = await api(`/staff/clients/${encodeURIComponent(client.id)}/invite`, {
      method: "POST", token: token(),
    });
    keepClient(answer.client);
    renderClients();
    say($("clients-messages"), `${client.firstName} ${client.lastName} is invited: the sign-in email is on its way to ${answer.client.email}.`);
    const named = document.getElementById(`client-name-${client.id}`);
    if (named) named.focus();
  });
}

const CLIENT_FIELDS = {
  firstName: ["client-first", "First name"],
  lastName: ["client-last", "Last name"],
  dateOfBirth: ["client-dob", "Date of birth"],
  email: ["client-email", "Email"],
  mobilePhone: ["client-phone", "Mobile phone"],
};

function prefillClient(client) {
  for (const [field, [id]] of Object.entries(CLIENT_FIELDS)) $(id).value = client[field] || "";
  state.clientKey = null;
  $("client-added").textContent = "";
  $("client-form-messages").replaceChildren();
  say($("client-form-messages"), "Check the details, then Add Client.");
  $("client-form-title").scrollIntoView({ block: "start" });
  $("client-first").focus();
}

async function addClient(event) {
  event.preventDefault();
  $("client-added").textContent = "";
  await busy($("client-add"), $("client-form-messages"), async () => {
    const body = {};
    for (const [field, [id, label]] of Object.entries(CLIENT_FIELDS)) {
      body[field] = required($(id), `Enter the client's ${label.toLowerCase()}.`);
    }
    // Another client with this email is most often this one, added before (a lost answer, a
    // second visit); sometimes a family sharing an address. Ask once.
    const same = state.clients.find((c) => sameEmail(c.email, body.email));
    if (same && state.duplicateEmail !== body.email.toLowerCase()) {
      state.duplicateEmail = body.email.toLowerCase();
      refuse(
        $("client-email"),
        `${same.firstName} ${same.lastName} is already on the client list with this email. `
          + "Select Add Client again to add another client with the same email.",
      );
    }
    state.duplicateEmail = null;
    const invite = $("client-invite").checked;
    state.clientKey ||= crypto.randomUUID();
    let added;
    try {
      added = await api("/staff/clients", { method: "POST", token: token(), body, key: state.clientKey });
    } catch (error) {
      // No answer, or the server failed: the client may have been added all the same. Read the
      // list again, so that trying again with changed details is told, not duplicated.
      if (!error.status || error.status >= 500) {
        state.clients = (await api("/staff/clients", { token: token() }).catch(() => ({ clients: state.clients }))).clients;
        renderClients();
      }
      throw error;
    }
    state.clientKey = null;
    keepClient(added.client);
    $("client-form").reset();
    renderClients();
    const name = `${added.client.firstName} ${added.client.lastName}`;
    $("client-added").textContent = `Added ${name}`;
    if (!invite || added.client.hasAccount) return;
    try {
      const invited = await api(`/staff/clients/${encodeURIComponent(added.client.id)}/invite`, {
        method: "POST", token: token(),
      });
      keepClient(invited.client);
      renderClients();
      $("client-added").textContent = `Added ${name} and emailed the Client Portal invitation to ${invited.client.email}`;
    } catch (error) {
      if (error.status === 401) throw error;
      $("client-added").textContent = `Added ${name}`;
      showError($("clients-messages"), new Error(`${name} is added, but the invitation failed: ${error.message}`));
      const retry = document.querySelector(`#clients-rows tr[data-client-id="${CSS.escape(added.client.id)}"] button`);
      if (retry) retry.focus();
    }
  });
}

// ---- wiring ----------------------------------------------------------------------------------

function start() {
  secondFactor = mountSecondFactor($("view-sign-in"), {
    auth,
    run: (button, work) => busy(button, $("messages"), work),
    signedIn: enter,
    restart: showSignIn,
  });
  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("new-password-form").addEventListener("submit", submitNewPassword);
  $("nav-sign-out").addEventListener("click", leave);
  $("not-staff-sign-out").addEventListener("click", leave);
  $("queue-status").addEventListener("change", () => loadQueue());
  $("queue-refresh").addEventListener("click", () => loadQueue());
  $("queue-more").addEventListener("click", () => loadQueue(true));
  $("decide-form").addEventListener("submit", confirmDecision);
  $("decide-cancel").addEventListener("click", closeDialog);
  $("decide-dialog").addEventListener("close", afterClose);
  $("approve-clinician").addEventListener("change", loadSlots);
  $("approve-type").addEventListener("change", loadSlots);
  $("approve-slot").addEventListener("change", (e) => {
    if (e.currentTarget.value) $("approve-start").value = e.currentTarget.value;
  });
  $("settings-form").addEventListener("submit", saveSettings);
  $("clinician-choice").addEventListener("change", editClinician);
  $("clinician-form").addEventListener("submit", saveClinician);
  $("clinician-form").addEventListener("input", () => { state.clinicianDirty = true; });
  $("time-off-add").addEventListener("click", addTimeOff);
  $("client-form").addEventListener("submit", addClient);
  $("type-form").addEventListener("submit", addType);
  $("new-clinician-form").addEventListener("submit", addClinician);
  $("client-form").addEventListener("input", () => { state.clientKey = null; });
  const ready = () => { document.body.dataset.ready = "true"; };
  if (user()) enter().finally(ready);
  else {
    showSignIn();
    ready();
  }
}

start();
