// The practice and scheduling settings: the practice's name, time zone, addresses and phone, what
// clients may do in the portal (and until how close to an appointment), and the reminder emails.

import { el } from "../dom.js";
import { refuse, required, wholeNumber } from "../forms.js";
import { readablePhone } from "../phone.js";
import { ifMatch } from "./records.js";

const SWITCHES = {
  enabled: "set-enabled",
  anonymousRequests: "set-anonymous",
  reschedule: "set-reschedule",
  cancel: "set-cancel",
  waitlist: "set-waitlist",
};
const REMINDERS = ["set-reminder-first", "set-reminder-second"];

// Only the fields whose value differs from what the page read: another staff member's change to
// another field in the meantime is kept, not overwritten with what this page showed.
function changed(mine, theirs) {
  return Object.fromEntries(
    Object.entries(mine).filter(([field, value]) => JSON.stringify(theirs[field] ?? null) !== JSON.stringify(value)),
  );
}

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);

  function render() {
    const { practice, scheduling, reminders } = context.data.settings;
    $("set-name").value = practice.name;
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const choices = zones.includes(practice.timeZone) ? zones : [practice.timeZone, ...zones];
    $("set-zone").replaceChildren(...choices.map((z) => el("option", { value: z }, z.replaceAll("_", " "))));
    $("set-zone").value = practice.timeZone;
    $("set-notify").value = practice.notificationEmail || "";
    $("set-reply").value = practice.replyToEmail || "";
    // Shown as people read it; saved again only when edited (the API keeps it as E.164).
    $("set-phone").value = practice.phone ? readablePhone(practice.phone) : "";
    $("set-phone").dataset.shown = $("set-phone").value;
    for (const [field, id] of Object.entries(SWITCHES)) $(id).checked = Boolean(scheduling[field]);
    $("set-notice").value = String(scheduling.minimumNoticeHours);
    $("set-horizon").value = String(scheduling.horizonDays);
    const interval = String(scheduling.slotIntervalMinutes);
    if (![...$("set-interval").options].some((o) => o.value === interval)) {
      $("set-interval").append(el("option", { value: interval }, `${interval} minutes`));
    }
    $("set-interval").value = interval;
    $("set-cutoff").value = String(scheduling.changeCutoffHours);
    $("set-offer-hold").value = String(scheduling.offerHoldHours);
    REMINDERS.forEach((id, i) => {
      const hours = reminders.hoursBefore[i];
      $(id).value = hours === undefined ? "" : String(hours);
    });
  }

  // The reminder hours the fields hold, in order; an empty field is no reminder.
  function reminderHours() {
    const hours = [];
    for (const id of REMINDERS) {
      const input = $(id);
      if (input.value.trim() === "") {
        input.removeAttribute("aria-invalid");
        continue;
      }
      const value = wholeNumber(input, "A reminder", 1, 168);
      if (hours.includes(value)) refuse(input, "The two reminders must be at different hours.");
      hours.push(value);
    }
    return hours;
  }

  async function save(event) {
    event.preventDefault();
    $("settings-saved").textContent = "";
    await context.run($("settings-save"), $("settings-messages"), async () => {
      const stored = context.data.settings;
      const name = required($("set-name"), "Enter the practice's name.");
      const typedPhone = $("set-phone").value.trim();
      const practice = {
        name,
        timeZone: $("set-zone").value,
        notificationEmail: $("set-notify").value.trim() || null,
        replyToEmail: $("set-reply").value.trim() || null,
        phone: typedPhone === $("set-phone").dataset.shown ? (stored.practice.phone ?? null) : (typedPhone || null),
      };
      const scheduling = {};
      for (const [field, id] of Object.entries(SWITCHES)) scheduling[field] = $(id).checked;
      scheduling.minimumNoticeHours = wholeNumber($("set-notice"), "Minimum notice", 0, 720);
      scheduling.horizonDays = wholeNumber($("set-horizon"), "How far ahead clients may book", 1, 730);
      scheduling.slotIntervalMinutes = Number($("set-interval").value);
      scheduling.changeCutoffHours = wholeNumber($("set-cutoff"), "The late-change window", 0, 720);
      scheduling.offerHoldHours = wholeNumber($("set-offer-hold"), "How long offered times stay held", 1, 168);
      const reminders = { hoursBefore: reminderHours() };
      const body = {
        practice: changed(practice, stored.practice),
        scheduling: changed(scheduling, stored.scheduling),
        reminders: changed(reminders, stored.reminders),
      };
      const saved = await context.versioned("/staff/settings", {
        method: "PATCH", body, headers: ifMatch(context.data.settingsVersion),
      });
      context.data.settings = saved.data;
      context.data.settingsVersion = saved.version;
      // Shown here, and every time on the page follows the practice's time zone.
      context.changed("settings");
      $("settings-saved").textContent = "Saved";
    });
  }

  context.on("settings", () => {
    if (context.data.settings) render();
  });
  $("settings-form").addEventListener("submit", save);
}
