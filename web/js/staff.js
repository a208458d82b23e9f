// The staff page: signing in to the staff user pool (password, then the authenticator app's
// code), then the panels, one module each under staff/, mounted on their sections with a shared
// context (staff/context.js): the queue, the calendar, the settings, the appointment types, the
// clinicians and the clients.

import { account } from "./auth.js";
import { say, showError } from "./forms.js";
import { mount as mountCalendar } from "./staff/calendar.js";
import { mount as mountClients } from "./staff/clients.js";
import { mount as mountClinicians } from "./staff/clinicians.js";
import { createContext } from "./staff/context.js";
import { mount as mountQueue } from "./staff/queue.js";
import { mount as mountSecondFactor } from "./staff/second-factor.js";
import { mount as mountSettings } from "./staff/settings.js";
import { mount as mountTypes } from "./staff/types.js";
import { mount as mountWaitlist } from "./staff/waitlist.js";

// Each panel: its section's id (its link in the header is nav-<id>) and its module's mount.
const PANELS = [
  ["queue", mountQueue],
  ["calendar", mountCalendar],
  ["settings", mountSettings],
  ["types", mountTypes],
  ["clinicians", mountClinicians],
  ["clients", mountClients],
  ["waitlist", mountWaitlist],
];

const $ = (id) => document.getElementById(id);
// Staff sign in to the staff user pool, which requires an authenticator app.
const auth = account("staff");
const context = createContext({ auth, messages: $("messages"), sessionEnded });
let secondFactor = null;
let newPassword = null; // the sign-in step that asks for a new password

function showOnly(view) {
  for (const id of ["view-sign-in", "view-not-staff", "view-staff"]) $(id).hidden = id !== view;
  const signedIn = view !== "view-sign-in";
  $("nav-sign-out").hidden = !signedIn;
  for (const [id] of PANELS) $(`nav-${id}`).hidden = view !== "view-staff";
}

function showSignIn(message) {
  showOnly("view-sign-in");
  $("sign-in-form").hidden = false;
  $("new-password-form").hidden = true;
  secondFactor.hide();
  newPassword = null;
  $("sign-in-password").value = "";
  $("sign-in-email").focus();
  $("messages").replaceChildren();
  if (message) say($("messages"), message);
}

// The API said the session ended (401): back to signing in.
function sessionEnded() {
  auth.signOut();
  showSignIn();
  say($("messages"), "Your session ended. Please sign in again.");
}

// After the password (or a new one): the pool's next step, or the staff page.
async function next(result) {
  if (result.newPasswordRequired) {
    newPassword = result;
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
  await context.run(button, $("messages"), async () => {
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
  await context.run(button, $("messages"), async () => {
    const result = await auth.setNewPassword(newPassword, $("new-password").value);
    $("new-password").value = "";
    newPassword = null;
    await next(result);
  });
}

function leave() {
  auth.signOut();
  context.changed("signed-out");
  context.data.settings = null;
  context.data.clients = [];
  $("messages").replaceChildren();
  showSignIn();
}

// After signing in: the settings answer 403 to anybody who is not staff.
async function enter() {
  $("messages").replaceChildren();
  try {
    const read = await context.versioned("/staff/settings");
    context.data.settings = read.data;
    context.data.settingsVersion = read.version;
  } catch (error) {
    if (error.status === 403) {
      showOnly("view-not-staff");
      $("not-staff-title").tabIndex = -1;
      $("not-staff-title").focus();
      return;
    }
    if (error.status === 401) {
      sessionEnded();
      return;
    }
    showOnly("view-sign-in");
    showError($("messages"), error);
    return;
  }
  showOnly("view-staff");
  context.changed("settings");
  await context.run(null, $("messages"), async () => {
    // Each panel shows what arrived; the first failure is reported.
    const [types, clinicians, clients] = await Promise.allSettled([
      context.api("/staff/appointment-types"),
      context.api("/staff/clinicians"),
      context.api("/staff/clients"),
    ]);
    if (types.status === "fulfilled") context.data.types = types.value.appointmentTypes;
    if (clinicians.status === "fulfilled") context.data.clinicians = clinicians.value.clinicians;
    if (clients.status === "fulfilled") context.data.clients = clients.value.clients;
    context.changed("types");
    context.changed("clinicians");
    context.changed("clients", { unavailable: clients.status === "rejected" });
    const failed = [types, clinicians, clients].find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  });
  await context.changed("signed-in");
  $("queue-title").tabIndex = -1;
  $("queue-title").focus();
}

// The practice's name heads the page.
function showPractice() {
  if (!context.data.settings) return;
  const name = context.data.settings.practice.name;
  $("practice-name").textContent = `${name}: Staff`;
  document.title = `${name}: Staff`;
}

function start() {
  secondFactor = mountSecondFactor($("view-sign-in"), {
    auth,
    run: (button, work) => context.run(button, $("messages"), work),
    signedIn: enter,
    restart: showSignIn,
  });
  for (const [id, mount] of PANELS) mount($(id), context);
  context.on("settings", showPractice);
  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("new-password-form").addEventListener("submit", submitNewPassword);
  $("nav-sign-out").addEventListener("click", leave);
  $("not-staff-sign-out").addEventListener("click", leave);
  const ready = () => { document.body.dataset.ready = "true"; };
  if (auth.currentUser()) enter().finally(ready);
  else {
    showSignIn();
    ready();
  }
}

start();
