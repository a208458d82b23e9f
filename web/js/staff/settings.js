// The practice and scheduling settings: the practice's name, time zone and addresses, and what
// clients may do in the portal.

import { el } from "../dom.js";
import { required, wholeNumber } from "../forms.js";
import { ifMatch } from "./records.js";

const SWITCHES = {
  enabled: "set-enabled",
  anonymousRequests: "set-anonymous",
  reschedule: "set-reschedule",
  cancel: "set-cancel",
};

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);

  function render() {
    const { practice, scheduling } = context.data.settings;
    $("set-name").value = practice.name;
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const choices = zones.includes(practice.timeZone) ? zones : [practice.timeZone, ...zones];
    $("set-zone").replaceChildren(...choices.map((z) => el("option", { value: z }, z.replaceAll("_", " "))));
    $("set-zone").value = practice.timeZone;
    $("set-notify").value = practice.notificationEmail || "";
    $("set-reply").value = practice.replyToEmail || "";
    for (const [field, id] of Object.entries(SWITCHES)) $(id).checked = Boolean(scheduling[field]);
    $("set-notice").value = String(scheduling.minimumNoticeHours);
    $("set-horizon").value = String(scheduling.horizonDays);
    const interval = String(scheduling.slotIntervalMinutes);
    if (![...$("set-interval").options].some((o) => o.value === interval)) {
      $("set-interval").append(el("option", { value: interval }, `${interval} minutes`));
    }
    $("set-interval").value = interval;
  }

  async function save(event) {
    event.preventDefault();
    $("settings-saved").textContent = "";
    await context.run($("settings-save"), $("settings-messages"), async () => {
      const scheduling = {};
      for (const [field, id] of Object.entries(SWITCHES)) scheduling[field] = $(id).checked;
      scheduling.minimumNoticeHours = wholeNumber($("set-notice"), "Minimum notice", 0, 720);
      scheduling.horizonDays = wholeNumber($("set-horizon"), "How far ahead clients may book", 1, 730);
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
        practice: changed(practice, context.data.settings.practice),
        scheduling: changed(scheduling, context.data.settings.scheduling),
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
