// (v2) The waitlist: clients waiting for a time to open up, oldest first (the order in which they
// are emailed a freed time), how many emails each has had, and Remove.

import { el } from "../dom.js";
import { say } from "../forms.js";

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data } = context;
  let entries = [];

  function typeName(id) {
    const type = data.types.find((t) => t.id === id);
    return type ? type.name : id;
  }

  function clinicianName(id) {
    if (!id) return "Any clinician";
    const clinician = data.clinicians.find((c) => c.id === id);
    return clinician ? clinician.name : id;
  }

  function render() {
    $("waitlist-rows").replaceChildren(...entries.map(row));
    const off = data.settings && !data.settings.scheduling.waitlist;
    $("waitlist-summary").textContent = `${entries.length ? `${entries.length} waiting.` : "Nobody is waiting."}${
      off ? " The waitlist is turned off in Settings: clients cannot join it, and nobody is emailed." : ""}`;
  }

  function row(entry) {
    const nameId = `waitlist-name-${entry.id}`;
    const client = entry.client;
    return el(
      "tr",
      { dataset: { entryId: entry.id } },
      el(
        "td",
        { dataset: { label: "Client" } },
        el("strong", { id: nameId }, `${client.firstName} ${client.lastName}`),
        el("div", {}, `Born ${client.dateOfBirth}`),
        el("div", {}, el("a", { href: `mailto:${client.email}` }, client.email)),
        el("div", {}, client.mobilePhone),
      ),
      el(
        "td",
        { dataset: { label: "Waiting for" } },
        el("div", {}, typeName(entry.appointmentTypeId)),
        el("div", {}, clinicianName(entry.clinicianId)),
        entry.comments ? el("div", { class: "note" }, `“${entry.comments}”`) : null,
      ),
      el("td", { dataset: { label: "Days" } }, `${entry.from} to ${entry.to}`),
      el(
        "td",
        { dataset: { label: "Joined" } },
        context.when(entry.createdAt),
      ),
      el("td", { dataset: { label: "Emails" } }, String(entry.notified)),
      el(
        "td",
        { dataset: { label: "Remove" } },
        el("button", {
          type: "button",
          class: "danger",
          "aria-describedby": nameId,
          onclick: (e) => remove(entry, e.currentTarget),
        }, "Remove"),
      ),
    );
  }

  async function load(button = null) {
    await context.run(button, $("waitlist-messages"), async () => {
      entries = (await context.api("/staff/waitlist")).entries;
      render();
    });
  }

  async function remove(entry, button) {
    await context.run(button, $("waitlist-messages"), async () => {
      await context.api(`/staff/waitlist/${encodeURIComponent(entry.id)}`, { method: "DELETE" });
      entries = entries.filter((e) => e.id !== entry.id);
      render();
      say($("waitlist-messages"), `${entry.client.firstName} ${entry.client.lastName} is off the waitlist.`);
      $("waitlist-title").tabIndex = -1;
      $("waitlist-title").focus();
    });
  }

  context.on("signed-in", () => load());
  context.on("settings", render);
  context.on("signed-out", () => {
    entries = [];
    $("waitlist-rows").replaceChildren();
  });
  $("waitlist-refresh").addEventListener("click", (e) => load(e.currentTarget));
}
