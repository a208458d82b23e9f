// The clinicians: a new one by name; each one's name, portal listing, appointment types, weekly
// hours (practice time) and time off (saved an entry at a time).

import { el } from "../dom.js";
import { required, say } from "../forms.js";
import { instant } from "../zone.js";
import { createNamed, ifMatch } from "./records.js";

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SPAN = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/;
const pad = (n) => String(n).padStart(2, "0");

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);
  const when = context.when;
  let clinician = null; // the clinician being edited
  let timeOff = []; // its time off as edited: [{id?, start, end}]
  let dirty = false; // the clinician form has changes not saved yet
  let shownZone = null; // the time zone the time off is shown in

  // A clinician written by this panel, in its place in the list (a new one last): other panels
  // are told, this one shows it already.
  function keep(saved) {
    const clinicians = context.data.clinicians;
    context.data.clinicians = clinicians.some((c) => c.id === saved.id)
      ? clinicians.map((c) => (c.id === saved.id ? saved : c))
      : [...clinicians, saved];
    context.changed("clinicians", { saved });
  }

  async function add(event) {
    event.preventDefault();
    const input = $("new-clinician-name");
    await context.run($("new-clinician-add"), $("new-clinician-messages"), async () => {
      const name = required(input, "Enter the new clinician's name.");
      const saved = await createNamed(context, "clinicians", name, {
        name, shownInPortal: true, appointmentTypeIds: [], hours: {},
      });
      keep(saved.clinician);
      input.value = "";
      if (dirty && clinician) {
        // Keep the changes being made to another clinician: the new one waits in the list.
        renderOptions(clinician.id);
        say($("new-clinician-messages"), `Added ${name}. Save ${clinician.name} first, then choose ${name} under Clinician.`);
        return;
      }
      renderChoice(saved.clinician.id);
      say($("clinician-messages"), `Added ${name}. Choose their appointment types and weekly hours, then Save Clinician.`);
      $("clinician-name").focus();
    });
  }

  function renderOptions(selected) {
    const clinicians = context.data.clinicians;
    const choice = $("clinician-choice");
    const keepChoice = selected || choice.value || (clinicians[0] && clinicians[0].id);
    choice.replaceChildren(
      ...clinicians.map((c) => el("option", { value: c.id }, c.shownInPortal === false ? `${c.name} (not shown in portal)` : c.name)),
    );
    if (keepChoice) choice.value = keepChoice;
    $("clinician-form").hidden = !clinicians.length;
  }

  function renderChoice(selected) {
    renderOptions(selected);
    edit();
  }

  function edit() {
    const chosen = context.data.clinicians.find((c) => c.id === $("clinician-choice").value);
    clinician = chosen || null;
    dirty = false;
    $("clinician-messages").replaceChildren();
    $("clinician-saved").textContent = "";
    if (!chosen) return;
    $("clinician-name").value = chosen.name;
    $("clinician-shown").checked = chosen.shownInPortal !== false;
    renderTypes(new Set(chosen.appointmentTypeIds || []));
    const hours = chosen.hours || {};
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
    timeOff = (chosen.timeOff || []).map((t) => ({ id: t.id, start: t.start, end: t.end }));
    renderTimeOff();
  }

  // The appointment types a clinician may offer, as checkboxes: `offered` checked.
  function renderTypes(offered) {
    const legend = $("clinician-types").querySelector("legend");
    $("clinician-types").replaceChildren(
      legend,
      ...context.data.types.map((t) => el(
        "label",
        {},
        el("input", { type: "checkbox", value: t.id, checked: offered.has(t.id), dataset: { typeId: t.id } }),
        ` ${t.name}${t.active ? "" : " (not offered)"}`,
      )),
    );
  }

  function ticked() {
    return new Set([...$("clinician-types").querySelectorAll("input[data-type-id]:checked")].map((i) => i.value));
  }

  function renderTimeOff() {
    shownZone = context.zone();
    const entries = [...timeOff].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    $("time-off-list").replaceChildren(
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
    clinician.timeOff = saved.timeOff;
    clinician.etag = saved.etag;
    const stored = context.data.clinicians.find((c) => c.id === saved.id);
    keep(stored ? { ...stored, timeOff: saved.timeOff, etag: saved.etag } : saved);
    timeOff = saved.timeOff.map((t) => ({ id: t.id, start: t.start, end: t.end }));
    renderTimeOff();
  }

  async function addTimeOff() {
    if (!clinician) return;
    const editing = clinician;
    await context.run($("time-off-add"), $("clinician-messages"), async () => {
      const start = instant($("time-off-start").value, context.zone());
      const end = instant($("time-off-end").value, context.zone());
      if (!start || !end) throw new Error("Enter when the time off starts and ends.");
      if (Date.parse(end) <= Date.parse(start)) throw new Error("Time off must end after it starts.");
      const saved = await context.api(`/staff/clinicians/${encodeURIComponent(editing.id)}/time-off`, {
        method: "POST", body: { start, end },
      });
      keepTimeOff(saved.clinician);
      $("time-off-start").value = "";
      $("time-off-end").value = "";
      say($("clinician-messages"), `Time off saved: ${when(start)} to ${when(end)}.`);
    });
  }

  async function removeTimeOff(entry, words, button) {
    const editing = clinician;
    await context.run(button, $("clinician-messages"), async () => {
      const path = `/staff/clinicians/${encodeURIComponent(editing.id)}/time-off/${encodeURIComponent(entry.id)}`;
      const saved = await context.api(path, { method: "DELETE" });
      keepTimeOff(saved.clinician);
      say($("clinician-messages"), `Time off removed: ${words}.`);
      $("time-off-start").focus();
    });
  }

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

  async function save(event) {
    event.preventDefault();
    const editing = clinician;
    if (!editing) return;
    $("clinician-saved").textContent = "";
    await context.run($("clinician-save"), $("clinician-messages"), async () => {
      const body = {
        name: required($("clinician-name"), "Enter the clinician's name."),
        shownInPortal: $("clinician-shown").checked,
        appointmentTypeIds: [...ticked()],
        hours: readHours(),
      };
      // Time off is saved as it is added or removed; this save leaves it as it is.
      const saved = await context.api(`/staff/clinicians/${encodeURIComponent(editing.id)}`, {
        method: "PUT", body, headers: ifMatch(editing.etag),
      });
      keep(saved.clinician);
      renderChoice(editing.id);
      $("clinician-saved").textContent = "Saved";
    });
  }

  context.on("clinicians", (detail) => {
    if (!detail || !detail.saved) renderChoice(clinician && clinician.id);
  });
  // The types offered follow the list; what is ticked stays ticked, saved or not.
  context.on("types", () => renderTypes(ticked()));
  context.on("settings", () => {
    if (shownZone !== null && shownZone !== context.zone()) renderTimeOff();
  });
  $("clinician-choice").addEventListener("change", edit);
  $("clinician-form").addEventListener("submit", save);
  $("clinician-form").addEventListener("input", () => { dirty = true; });
  $("time-off-add").addEventListener("click", addTimeOff);
  $("new-clinician-form").addEventListener("submit", add);
}
