// The client portal: request an appointment (with or without an account), see appointments,
// ask to reschedule or cancel. Follows the steps and labels of the practice's help article.

import { api } from "./api.js";
import { currentUser, setNewPassword, signIn, signOut } from "./auth.js";
import { el } from "./dom.js";
import { dateOfBirth, markFields, showError } from "./forms.js";
import { showOffer } from "./offer.js";
import { readablePhone, telHref } from "./phone.js";
import { mount as mountWaitlist } from "./waitlist.js";
import { addDays, formatDateRange, formatDateTime, formatDay, formatTime, localDate, today } from "./zone.js";

const $ = (id) => document.getElementById(id);
const VIEWS = [
  "home", "choose", "times-panel", "review", "details-form", "done", "sign-in", "appointments", "appointment",
  "offer", "waitlist", "waitlist-done", "waitlist-time",
];
const STATUS_WORDS = {
  requested: "Requested, awaiting the practice",
  confirmed: "Confirmed",
  reschedule_requested: "Confirmed, reschedule requested",
  cancel_requested: "Confirmed, cancellation requested",
  cancelled: "Cancellation approved",
  declined: "Not approved: the practice will contact you",
};

const state = {
  portal: null,
  clinicians: [],
  clientType: "new",
  clinicianId: "",
  weekStart: null,
  slot: null,
  mode: "new", // or "reschedule"
  appointment: null,
  afterSignIn: null,
  newPassword: null,
  waitlistTime: null, // the time an email's waitlist link shows
};
let waitlist = null;

function show(name) {
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  $("messages").replaceChildren();
  const heading = document.querySelector(`#view-${name} h2`);
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

function message(error) {
  showError($("messages"), error);
}

function zone() {
  return state.portal.practice.timeZone;
}

function typeName(id) {
  const type = state.portal.appointmentTypes.find((t) => t.id === id);
  return type ? type.name : "Appointment";
}

function refreshNav() {
  const user = currentUser();
  $("nav-sign-in").hidden = Boolean(user);
  $("nav-sign-out").hidden = !user;
  $("nav-appointments").hidden = !user;
}

async function busy(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    message(error);
  } finally {
    button.disabled = false;
  }
}

// ---- home ------------------------------------------------------------------------------------

async function home() {
  show("home");
  refreshNav();
  const scheduling = state.portal.scheduling;
  $("scheduling-off").hidden = scheduling.enabled;
  for (const button of document.querySelectorAll(".request-appointment")) button.hidden = !scheduling.enabled;
  const box = $("next-appointment");
  box.replaceChildren();
  const user = currentUser();
  if (!user) return;
  try {
    const mine = await api("/me/appointments", { token: user.token });
    box.append(
      mine.next
        ? el("p", {}, "Your next appointment: ", el("strong", {}, formatDateTime(mine.next.start, zone())),
            ` with ${mine.next.clinicianName} (${typeName(mine.next.appointmentTypeId)}).`)
        : el("p", { class: "note" }, "You have no upcoming confirmed appointment."),
    );
  } catch (error) {
    message(error);
  }
}

// ---- requesting --------------------------------------------------------------------------------

async function startRequest() {
  state.mode = "new";
  state.appointment = null;
  state.slot = null;
  show("choose");
  if (currentUser()) document.querySelector('input[name="client-type"][value="existing"]').checked = true;
  await loadClinicians();
}

async function loadClinicians() {
  state.clientType = document.querySelector('input[name="client-type"]:checked').value;
  const types = state.portal.appointmentTypes.filter((t) => t.clientType === state.clientType).map((t) => t.name);
  $("type-note").textContent = types.length
    ? `${state.clientType === "new" ? "New" : "Existing"} clients may request: ${types.join(", ")}.`
    : "No appointment types are offered to this kind of client.";
  const found = await api(`/clinicians?clientType=${state.clientType}`);
  state.clinicians = found.clinicians;
  const select = $("clinician");
  select.replaceChildren(
    el("option", { value: "" }, "Any available clinician"),
    ...found.clinicians.map((c) => el("option", { value: c.id }, c.name)),
  );
  select.value = state.clinicians.some((c) => c.id === state.clinicianId) ? state.clinicianId : "";
}

async function viewTimes() {
  state.clinicianId = $("clinician").value;
  state.weekStart = state.weekStart || today(zone());
  show("times-panel");
  await loadWeek();
}

async function loadWeek() {
  const from = state.weekStart;
  const to = addDays(from, 6);
  $("week-label").textContent = formatDateRange(from, to);
  const params = new URLSearchParams({ clientType: state.clientType, from, to });
  if (state.clinicianId) params.set("clinicianId", state.clinicianId);
  if (state.mode === "reschedule") params.set("appointmentTypeId", state.appointment.appointmentTypeId);
  const week = $("week");
  week.replaceChildren();
  week.classList.toggle("named", !state.clinicianId);
  let found;
  try {
    found = await api(`/availability?${params}`);
  } catch (error) {
    message(error);
    return;
  }
  const byDay = new Map();
  for (let i = 0; i < 7; i += 1) byDay.set(addDays(from, i), []);
  for (const slot of found.slots) byDay.get(localDate(slot.start, zone()))?.push(slot);
  // One day after another: a column each on a wide screen, a heading and its times on a phone
  // (portal.css); a day with none says so in one short line. A week with none at all says so once.
  if (found.slots.length) for (const [day, slots] of byDay) week.append(dayOfTimes(day, slots));
  $("no-times").hidden = found.slots.length > 0;
  waitlist.offer();
}

function dayOfTimes(day, slots) {
  const title = formatDay(day);
  if (!slots.length) return el("div", { class: "day empty" }, el("h3", {}, title), el("p", { class: "none" }, "No times"));
  return el("div", { class: "day" }, el("h3", {}, title),
    el("div", { class: "times" }, ...slots.map((slot) => {
      const time = formatTime(slot.start, zone());
      return el("button", {
        type: "button",
        class: "slot",
        dataset: { slotStart: slot.start, clinicianId: slot.clinicianId },
        "aria-label": `${title} at ${time} with ${slot.clinicianName}`,
        onclick: () => pick(slot),
      }, time, state.clinicianId ? null : el("small", {}, slot.clinicianName));
    })));
}

function pick(slot) {
  state.slot = slot;
  review();
}

function review() {
  show("review");
  const slot = state.slot;
  const rows = [
    ["Clinician", slot.clinicianName],
    ["Appointment type", typeName(slot.appointmentTypeId)],
    ["Date and time", formatDateTime(slot.start, zone())],
  ];
  if (state.mode === "reschedule") rows.unshift(["Current time", formatDateTime(state.appointment.start, zone())]);
  $("review-details").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  const user = currentUser();
  $("review-signed-in").hidden = !user;
  $("review-signed-out").hidden = Boolean(user);
  $("change-details").hidden = state.mode === "reschedule";
  $("continue-anonymous").hidden = !state.portal.scheduling.anonymousRequests;
}

async function submitSignedIn() {
  const user = currentUser();
  const comments = $("signed-in-comments").value.trim() || undefined;
  const slot = state.slot;
  let made;
  if (state.mode === "reschedule") {
    made = await api(`/me/appointments/${encodeURIComponent(state.appointment.id)}/reschedule`, {
      method: "POST", token: user.token, body: { start: slot.start, clinicianId: slot.clinicianId, comments },
    });
  } else {
    made = await api("/me/requests", {
      method: "POST", token: user.token,
      body: { clinicianId: slot.clinicianId, appointmentTypeId: slot.appointmentTypeId, start: slot.start, comments },
    });
  }
  done(made.request);
}

async function submitAnonymous(event) {
  event.preventDefault();
  const form = $("request-form");
  for (const input of form.querySelectorAll("input, textarea")) input.removeAttribute("aria-invalid");
  markFields(form, $("messages"), {}); // clears what an earlier answer marked
  const data = Object.fromEntries(new FormData(form));
  const button = $("submit-anonymous");
  button.disabled = true;
  try {
    const body = {
      clientType: state.clientType,
      clinicianId: state.slot.clinicianId,
      appointmentTypeId: state.slot.appointmentTypeId,
      start: state.slot.start,
      firstName: data.firstName,
      lastName: data.lastName,
      dateOfBirth: dateOfBirth($("date-of-birth")),
      email: data.email,
      mobilePhone: data.mobilePhone,
    };
    if (data.comments.trim()) body.comments = data.comments;
    const made = await api("/requests", { method: "POST", body });
    form.reset();
    done(made.request);
  } catch (error) {
    // The message on top, and what is wrong with a field beside it (the date of birth's beside
    // its three fields).
    message(error);
    markFields(form, $("messages"), error);
  } finally {
    button.disabled = false;
  }
}

function done(request) {
  show("done");
  const kind = request.kind === "reschedule" ? "reschedule your appointment to" : "an appointment on";
  $("done-summary").textContent =
    `You asked for ${kind} ${formatDateTime(request.start, zone())} with ${request.clinicianName}.`;
}

// ---- signing in --------------------------------------------------------------------------------

function showSignIn(after) {
  state.afterSignIn = after || null;
  show("sign-in");
  $("sign-in-form").hidden = false;
  $("new-password-form").hidden = true;
}

async function submitSignIn(event) {
  event.preventDefault();
  const email = $("sign-in-email").value.trim();
  try {
    const result = await signIn(email, $("sign-in-password").value);
    $("sign-in-password").value = "";
    if (result.newPasswordRequired) {
      state.newPassword = result;
      $("sign-in-form").hidden = true;
      $("new-password-form").hidden = false;
      $("new-password").focus();
      return;
    }
    signedIn();
  } catch (error) {
    message(error);
  }
}

async function submitNewPassword(event) {
  event.preventDefault();
  try {
    await setNewPassword(state.newPassword.email, $("new-password").value, state.newPassword.session);
    $("new-password").value = "";
    signedIn();
  } catch (error) {
    message(error);
  }
}

function signedIn() {
  refreshNav();
  const after = state.afterSignIn;
  state.afterSignIn = null;
  if (after) after();
  else appointments();
}

// ---- appointments ----------------------------------------------------------------------------

async function appointments() {
  const user = currentUser();
  if (!user) {
    showSignIn(appointments);
    return;
  }
  show("appointments");
  const list = $("appointment-list");
  list.replaceChildren();
  let mine;
  try {
    mine = await api("/me/appointments", { token: user.token });
  } catch (error) {
    message(error);
    return;
  }
  $("no-appointments").hidden = mine.appointments.length > 0;
  for (const appointment of mine.appointments) {
    list.append(el("li", {},
      el("button", {
        type: "button",
        class: `appointment status-${appointment.status}`,
        dataset: { status: appointment.status, appointmentId: appointment.id },
        onclick: () => details(appointment),
      },
      el("strong", {}, formatDateTime(appointment.start, zone())),
      el("br"),
      `${typeName(appointment.appointmentTypeId)} with ${appointment.clinicianName}`,
      el("br"),
      el("span", { class: "status-words" }, STATUS_WORDS[appointment.status] || appointment.status),
      appointment.requestedStart
        ? el("span", {}, ` (new time requested: ${formatDateTime(appointment.requestedStart, zone())})`)
        : null)));
  }
}

function details(appointment) {
  state.appointment = appointment;
  show("appointment");
  $("appointment-details").replaceChildren(
    el("dt", {}, "Date and time"), el("dd", {}, formatDateTime(appointment.start, zone())),
    el("dt", {}, "Clinician"), el("dd", {}, appointment.clinicianName),
    el("dt", {}, "Appointment type"), el("dd", {}, typeName(appointment.appointmentTypeId)),
    el("dt", {}, "Status"), el("dd", {}, STATUS_WORDS[appointment.status] || appointment.status),
  );
  // The API says what the client may ask for now: nothing inside the practice's late-change
  // window, when the practice turned it off, or while a change awaits review.
  $("reschedule").hidden = !appointment.canReschedule;
  $("cancel").hidden = !appointment.canCancel;
  $("cancel-confirm").hidden = true;
  contactInstead(appointment);
}

// For a confirmed appointment the client may not change here: whom to call instead.
function contactInstead(appointment) {
  const box = $("contact-practice");
  const ways = [!appointment.canReschedule && "reschedule", !appointment.canCancel && "cancel"].filter(Boolean);
  box.hidden = appointment.status !== "confirmed" || ways.length === 0;
  if (box.hidden) {
    box.replaceChildren();
    return;
  }
  const phone = state.portal.practice.phone;
  const saying = `Please contact the practice to ${ways.join(" or ")}`;
  box.replaceChildren(
    ...(phone ? [`${saying}: `, el("a", { href: telHref(phone) }, readablePhone(phone)), "."] : [`${saying}.`]),
  );
}

async function startReschedule() {
  const appointment = state.appointment;
  const type = state.portal.appointmentTypes.find((t) => t.id === appointment.appointmentTypeId);
  state.mode = "reschedule";
  state.clientType = type ? type.clientType : "existing";
  state.clinicianId = appointment.clinicianId;
  state.weekStart = today(zone());
  show("times-panel");
  await loadWeek();
}

async function confirmCancel() {
  const user = currentUser();
  const reason = $("cancel-reason").value.trim() || undefined;
  const made = await api(`/me/appointments/${encodeURIComponent(state.appointment.id)}/cancel`, {
    method: "POST", token: user.token, body: reason ? { reason } : {},
  });
  $("cancel-reason").value = "";
  show("done");
  $("done-summary").textContent =
    `You asked to cancel your appointment on ${formatDateTime(made.request.start, zone())}.`;
}

// ---- wiring ----------------------------------------------------------------------------------

async function start() {
  try {
    state.portal = await api("/portal");
  } catch (error) {
    message(error);
    return;
  }
  document.title = `${state.portal.practice.name}: Client Portal`;
  $("practice-name").textContent = state.portal.practice.name;
  $("nav-home").addEventListener("click", home);
  $("nav-appointments").addEventListener("click", appointments);
  $("nav-sign-in").addEventListener("click", () => showSignIn());
  $("nav-sign-out").addEventListener("click", () => { signOut(); home(); });
  for (const button of document.querySelectorAll(".request-appointment")) button.addEventListener("click", startRequest);
  for (const radio of document.querySelectorAll('input[name="client-type"]')) radio.addEventListener("change", loadClinicians);
  $("view-times").addEventListener("click", (e) => busy(e.currentTarget, viewTimes));
  $("week-back").addEventListener("click", () => { state.weekStart = addDays(state.weekStart, -7); loadWeek(); });
  $("week-next").addEventListener("click", () => { state.weekStart = addDays(state.weekStart, 7); loadWeek(); });
  $("change-details").addEventListener("click", () => show("choose"));
  $("change-time").addEventListener("click", () => { show("times-panel"); loadWeek(); });
  $("continue-anonymous").addEventListener("click", () => show("details-form"));
  $("review-sign-in").addEventListener("click", () => showSignIn(review));
  $("submit-signed-in").addEventListener("click", (e) => busy(e.currentTarget, submitSignedIn));
  $("request-form").addEventListener("submit", submitAnonymous);
  $("done-home").addEventListener("click", home);
  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("new-password-form").addEventListener("submit", submitNewPassword);
  $("reschedule").addEventListener("click", (e) => busy(e.currentTarget, startReschedule));
  $("cancel").addEventListener("click", () => { $("cancel-confirm").hidden = false; $("cancel-reason").focus(); });
  $("keep-appointment").addEventListener("click", () => { $("cancel-confirm").hidden = true; });
  $("confirm-cancel").addEventListener("click", (e) => busy(e.currentTarget, confirmCancel));
  $("back-to-list").addEventListener("click", appointments);
  waitlist = mountWaitlist({ state, show, review, loadWeek, home, message, zone, typeName });
  const offered = /^#offer\/([A-Za-z0-9_-]{1,128})$/.exec(window.location.hash);
  if (offered) {
    refreshNav();
    await showOffer(offered[1], show, state.portal.practice.timeZone);
  } else if (waitlist.route()) {
    refreshNav();
  } else if (window.location.hash === "#request" && state.portal.scheduling.enabled) {
    refreshNav();
    await startRequest();
  } else {
    await home();
  }
  document.body.dataset.ready = "true";
}

start();
