// (v2) The portal's waitlist: "Join the Waitlist" where a client finds no time that suits them
// (with the same personal details as a request, none when signed in), and the page behind the
// email's link (`#waitlist/{token}`): the time, and "Request This Time", which goes on through
// the ordinary request flow (review, then the request form or, signed in, Submit Request).

import { api } from "./api.js";
import { currentUser } from "./auth.js";
import { el } from "./dom.js";
import { dateOfBirth, markFields, showError } from "./forms.js";
import { addDays, formatDateTime, localDate, today } from "./zone.js";

const $ = (id) => document.getElementById(id);
const PERSONAL = ["firstName", "lastName", "email", "mobilePhone"]; // and the date of birth, in three fields
const MAX_SPAN_DAYS = 60;

// portal: { state, show, review, loadWeek, home, message, zone, typeName }
export function mount(portal) {
  const { state } = portal;
  let joinKey = null; // the Idempotency-Key of the entry being sent, kept until it is answered

  // Under the week's times: offered while asking for a new appointment, if the practice keeps one.
  function offer() {
    $("waitlist-offer").hidden = !(state.portal.scheduling.waitlist && state.mode === "new");
  }

  function types() {
    return state.portal.appointmentTypes.filter((t) => t.clientType === state.clientType);
  }

  function fillClinicians() {
    const type = $("waitlist-type").value;
    const select = $("waitlist-clinician");
    const offering = state.clinicians.filter((c) => c.appointmentTypeIds.includes(type));
    select.replaceChildren(
      el("option", { value: "" }, "Any clinician"),
      ...offering.map((c) => el("option", { value: c.id }, c.name)),
    );
    select.value = offering.some((c) => c.id === state.clinicianId) ? state.clinicianId : "";
  }

  function open() {
    portal.show("waitlist");
    const form = $("waitlist-form");
    $("waitlist-type").replaceChildren(...types().map((t) => el("option", { value: t.id }, t.name)));
    fillClinicians();
    const first = today(portal.zone());
    const from = state.weekStart && state.weekStart > first ? state.weekStart : first;
    $("waitlist-from").min = first;
    $("waitlist-from").value = from;
    $("waitlist-to").min = first;
    $("waitlist-to").value = addDays(from, 30);
    const signedIn = Boolean(currentUser());
    $("waitlist-personal").hidden = signedIn;
    for (const input of $("waitlist-personal").querySelectorAll("input")) input.required = !signedIn;
    markFields(form, $("messages"), {}); // clears what an earlier attempt marked
    joinKey = null;
  }

  async function join(event) {
    event.preventDefault();
    const form = $("waitlist-form");
    for (const input of form.querySelectorAll("input, select, textarea")) input.removeAttribute("aria-invalid");
    markFields(form, $("messages"), {}); // clears what an earlier answer marked
    const data = Object.fromEntries(new FormData(form));
    const user = currentUser();
    const body = { appointmentTypeId: data.appointmentTypeId, from: data.from, to: data.to };
    if (data.clinicianId) body.clinicianId = data.clinicianId;
    if (data.comments.trim()) body.comments = data.comments;
    const button = $("submit-waitlist");
    button.disabled = true;
    try {
      if (!user) {
        body.clientType = state.clientType;
        for (const name of PERSONAL) body[name] = data[name];
        body.dateOfBirth = dateOfBirth($("waitlist-date-of-birth"));
      }
      joinKey ||= crypto.randomUUID();
      const made = user
        ? await api("/me/waitlist", { method: "POST", token: user.token, body, key: joinKey })
        : await api("/waitlist", { method: "POST", body, key: joinKey });
      joinKey = null;
      form.reset();
      joined(made.entry);
    } catch (error) {
      // The message on top, and what is wrong with a field beside it (the date of birth's beside
      // its three fields).
      showError($("messages"), error);
      markFields(form, $("messages"), error);
    } finally {
      button.disabled = false;
    }
  }

  function joined(entry) {
    portal.show("waitlist-done");
    const clinician = state.clinicians.find((c) => c.id === entry.clinicianId);
    $("waitlist-done-summary").textContent = `You are waiting for ${portal.typeName(entry.appointmentTypeId)}`
      + `${clinician ? ` with ${clinician.name}` : " with any clinician"} from ${entry.from} to ${entry.to}.`;
  }

  // The page behind an email's link. The token is the only key to it: it leaves the address bar
  // at once (history, screen sharing), and the page shows no personal data.
  async function openLink(token) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    portal.show("waitlist-time");
    $("waitlist-time-details").replaceChildren();
    $("waitlist-time-gone").hidden = true;
    $("request-this-time").hidden = true;
    let found;
    try {
      found = await api(`/waitlist/${encodeURIComponent(token)}`);
    } catch (error) {
      if (error.status === 404) error.message = "This link is not valid any more, or the time it offered has passed.";
      portal.message(error);
      return;
    }
    const time = found.time;
    $("waitlist-time-details").replaceChildren(
      ...[
        ["Date and time", formatDateTime(time.start, portal.zone())],
        ["Clinician", time.clinicianName],
        ["Appointment type", portal.typeName(time.appointmentTypeId)],
        ["Practice", found.practice.name],
      ].flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
    );
    $("waitlist-time-gone").hidden = found.available;
    $("request-this-time").hidden = !found.available;
    state.waitlistTime = time;
  }

  // From the link's time to the ordinary request flow, as if it had been picked from the week.
  function requestThisTime() {
    const time = state.waitlistTime;
    const type = state.portal.appointmentTypes.find((t) => t.id === time.appointmentTypeId);
    state.mode = "new";
    state.appointment = null;
    state.clientType = type ? type.clientType : "existing";
    state.clinicianId = time.clinicianId;
    state.slot = { ...time };
    portal.review();
  }

  async function otherTimes() {
    const time = state.waitlistTime;
    const type = state.portal.appointmentTypes.find((t) => t.id === time.appointmentTypeId);
    state.mode = "new";
    state.clientType = type ? type.clientType : "existing";
    state.clinicianId = "";
    state.weekStart = localDate(time.start, portal.zone());
    state.clinicians = (await api(`/clinicians?clientType=${state.clientType}`)).clinicians;
    portal.show("times-panel");
    await portal.loadWeek();
  }

  function route() {
    const found = /^#waitlist\/([A-Za-z0-9_-]{1,128})$/.exec(window.location.hash);
    if (!found) return false;
    openLink(found[1]);
    return true;
  }

  $("join-waitlist").addEventListener("click", open);
  $("waitlist-type").addEventListener("change", fillClinicians);
  $("waitlist-form").addEventListener("submit", join);
  $("waitlist-form").addEventListener("input", () => { joinKey = null; });
  $("waitlist-back").addEventListener("click", () => { portal.show("times-panel"); portal.loadWeek(); });
  $("waitlist-done-home").addEventListener("click", portal.home);
  $("request-this-time").addEventListener("click", requestThisTime);
  $("waitlist-time-other").addEventListener("click", () => otherTimes().catch(portal.message));
  window.addEventListener("hashchange", route);
  return { offer, route, max: MAX_SPAN_DAYS };
}
