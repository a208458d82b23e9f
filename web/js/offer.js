// The page a client reaches from the email of times offered instead of a plain denial
// (#offer/{token}): the times as buttons; choosing one confirms the appointment at once. Clear
// words for an offer already accepted or expired. The token is the offer's only key; the page
// shows no personal data.

import { api } from "./api.js";
import { el } from "./dom.js";
import { showError } from "./forms.js";
import { readablePhone, telHref } from "./phone.js";
import { formatDateTime } from "./zone.js";

const $ = (id) => document.getElementById(id);

function contact(practice) {
  const words = [`Please contact ${practice.name}`];
  if (!practice.phone) return el("p", {}, `${words[0]} for another time.`);
  return el(
    "p",
    {},
    `${words[0]} at `,
    el("a", { href: telHref(practice.phone) }, readablePhone(practice.phone)),
    " for another time.",
  );
}

function closed(status, practice) {
  const text = status === "accepted"
    ? "You have already chosen one of these times: your appointment is confirmed, and the confirmation email has the details."
    : "These times are no longer held for you.";
  $("offer-intro").replaceChildren(el("p", {}, text));
  $("offer-times").replaceChildren();
  if (status !== "accepted") $("offer-times").append(contact(practice));
}

// `show` is the portal's view switcher; times are shown in the practice's time zone.
export async function showOffer(token, show, timeZone) {
  show("offer");
  const messages = $("offer-messages");
  messages.replaceChildren();
  $("offer-times").replaceChildren();
  $("offer-intro").replaceChildren(el("p", { role: "status" }, "Loading the times offered to you…"));
  let offer;
  try {
    ({ offer } = await api(`/offers/${encodeURIComponent(token)}`));
  } catch (error) {
    if (error.status === 404) {
      $("offer-intro").replaceChildren(
        el("p", {}, "This link does not lead to an offer. Please check the link in your email, or contact the practice."),
      );
    } else {
      $("offer-intro").replaceChildren();
      showError(messages, error);
    }
    return;
  }
  if (offer.status !== "open") {
    closed(offer.status, offer.practice);
    return;
  }
  $("offer-intro").replaceChildren(
    el("p", {}, `${offer.practice.name} could not confirm the time you asked for and is holding these times for you instead, until ${formatDateTime(offer.expiresAt, timeZone)}.`),
    el("p", {}, "Choose a time to confirm your appointment at once. The other times are then released."),
  );
  // One Idempotency-Key per time, kept while that choice is retried (an answer lost on the way
  // is then the first answer again, not a second appointment).
  const buttons = offer.times.map((time) => el(
    "button",
    {
      type: "button",
      class: "slot",
      onclick: (event) => accept(token, time, time.key || (time.key = crypto.randomUUID()), buttons, event.currentTarget, offer.practice, timeZone),
    },
    `${formatDateTime(time.start, timeZone)} with ${time.clinicianName}`,
  ));
  $("offer-times").replaceChildren(el("div", { class: "offer-times", role: "group", "aria-label": "Times offered" }, ...buttons));
}

async function accept(token, time, key, buttons, chosen, practice, timeZone) {
  const messages = $("offer-messages");
  messages.replaceChildren();
  for (const button of buttons) button.disabled = true;
  try {
    await api(`/offers/${encodeURIComponent(token)}/accept`, { method: "POST", body: { start: time.start }, key });
  } catch (error) {
    if (error.code === "offer_accepted" || error.code === "offer_expired") {
      closed(error.code === "offer_accepted" ? "accepted" : "expired", practice);
      $("offer-title").focus();
      return;
    }
    // A time that began while the page was open is gone; the others can still be chosen.
    if (error.code === "time_passed") chosen.remove();
    for (const button of buttons) button.disabled = false;
    showError(messages, error);
    return;
  }
  $("offer-title").textContent = "Your appointment is confirmed";
  $("offer-intro").replaceChildren(
    el("p", { role: "status" }, `${formatDateTime(time.start, timeZone)} with ${time.clinicianName}.`),
    el("p", {}, "A confirmation email with a calendar invitation is on its way."),
  );
  $("offer-times").replaceChildren();
  $("offer-title").tabIndex = -1;
  $("offer-title").focus();
}
