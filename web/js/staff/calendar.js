// The calendar: a week (Monday to Sunday) or a day of appointments on the practice's clock, for
// every clinician or one. Each appointment is a block coloured as the portal colours it, its
// status also in words; a block opens the appointment (move, cancel, or review the client's
// request), an empty quarter hour books one.
//
// The grid is one stop for Tab (a roving tabindex): the arrow keys move through the quarter
// hours, and through the blocks that start in one; Home and End go to the first and last row,
// Page Up and Page Down by an hour; Enter opens a block or books the quarter hour.

import { el } from "../dom.js";
import { say } from "../forms.js";
import { addDays, formatDateRange, formatDay, offsetMinutes, today } from "../zone.js";
import { mount as mountAppointment } from "./appointment-dialog.js";
import { mount as mountBooking } from "./booking-dialog.js";
import { layout, rowLabel, STATUS_WORDS } from "./calendar-layout.js";

const QUARTER = 15 * 60_000;
const PAGE = 4; // rows in an hour, for Page Up and Page Down

// The Monday of a date's week.
function monday(date) {
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

function longDate(date, options = {}) {
  return new Intl.DateTimeFormat("en-US", {
    weekday: "long", month: "long", day: "numeric", year: "numeric", timeZone: "UTC", ...options,
  }).format(new Date(`${date}T12:00:00Z`));
}

const clientName = (a) => `${a.client.firstName} ${a.client.lastName}`;

// "9:00 – 9:50 AM" on the zone's clock; with the zone's names when the clocks change between.
function timeRange(start, end, zone) {
  if (offsetMinutes(start, zone) === offsetMinutes(end, zone)) {
    const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", minute: "2-digit" });
    return format.formatRange(new Date(start), new Date(end));
  }
  const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", minute: "2-digit", timeZoneName: "short" });
  return `${format.format(new Date(start))} – ${format.format(new Date(end))}`;
}

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data } = context;
  const state = {
    view: window.matchMedia("(max-width: 640px)").matches ? "day" : "week",
    date: null, // the day shown, or one of the week shown
    clinicianId: "",
    appointments: [],
    zone: null, // the zone the grid is drawn in
    active: null, // the grid's stop for Tab: { date, row, id (a block's appointment) }
  };
  let grid = { columns: [], where: new Map() }; // columns[day][row] = { cell, stops }
  let asked = 0; // the latest load: an older answer is dropped

  // What the dialogs ask of the calendar.
  const calendar = {
    reload,
    appointment: (id) => state.appointments.find((a) => a.id === id),
    // The quarter hour an appointment's block starts in, as { date, row }.
    placeOf(id) {
      const found = $("calendar-grid").querySelector(`.cal-block[data-appointment-id="${CSS.escape(id)}"]`);
      const cellNode = found && found.closest(".cal-cell");
      return cellNode ? { date: cellNode.dataset.date, row: cellNode.dataset.row } : null;
    },
  };
  const appointmentDialog = mountAppointment(container, context, calendar);
  const bookingDialog = mountBooking(container, context, calendar);

  function dates() {
    if (state.view === "day") return [state.date];
    const first = monday(state.date);
    return Array.from({ length: 7 }, (_, i) => addDays(first, i));
  }

  // Reads the appointments of the days shown and draws them. after: { date (to show), focus
  // ({ id } or { date, row }: what gets the keyboard), message (said once drawn) }.
  async function reload(after = {}) {
    if (after.date) state.date = after.date;
    if (!state.date) state.date = today(context.zone());
    const ticket = ++asked;
    const shown = dates();
    $("calendar-grid").dataset.state = "loading";
    await context.run(null, $("calendar-messages"), async () => {
      const query = new URLSearchParams({ from: shown[0], to: shown[shown.length - 1] });
      if (state.clinicianId) query.set("clinicianId", state.clinicianId);
      const found = await context.api(`/staff/appointments?${query}`);
      if (ticket !== asked) return;
      state.appointments = found.appointments;
      if (after.focus) state.active = after.focus.id ? { id: after.focus.id } : after.focus;
      render(Boolean(after.focus));
      if (after.message) say($("calendar-messages"), after.message);
    });
    if (ticket === asked) $("calendar-grid").dataset.state = "loaded";
  }

  // ---- drawing ---------------------------------------------------------------------------------

  function render(focus = false) {
    const zone = context.zone();
    state.zone = zone;
    const shown = dates();
    const { rows, days } = layout(shown, zone, state.appointments);
    const gridEl = $("calendar-grid");
    const hadFocus = gridEl.contains(document.activeElement);
    const todayDate = today(zone);
    const now = Date.now();
    grid = { columns: days.map(() => []), where: new Map() };

    const head = el(
      "div",
      { role: "row", class: "cal-row cal-head" },
      el("div", { role: "columnheader", class: "cal-corner" }, el("span", { class: "visually-hidden" }, "Time")),
      ...days.map((day) => el(
        "div",
        { role: "columnheader", class: day.date === todayDate ? "cal-day today" : "cal-day", dataset: { date: day.date } },
        formatDay(day.date),
        day.date === todayDate ? el("span", { class: "today-mark" }, " Today") : null,
      )),
    );
    const body = rows.map((key, r) => {
      const minute = key.slice(3, 5);
      const kind = { "00": " hour", "30": " half" }[minute] || "";
      return el(
        "div",
        { role: "row", class: `cal-row${kind}`, dataset: { row: key } },
        el("div", { role: "rowheader", class: "cal-time" },
          minute === "00" ? el("span", { "aria-hidden": "true" }, rowLabel(key, { short: true })) : null,
          el("span", { class: "visually-hidden" }, rowLabel(key))),
        ...days.map((day, d) => cell(day, d, key, r, { todayDate, now, zone })),
      );
    });
    gridEl.className = `cal-grid view-${state.view}`;
    gridEl.replaceChildren(head, ...body);
    describe(shown, days);
    restoreActive(hadFocus || focus);
  }

  function cell(day, d, key, r, { now, zone }) {
    const start = day.cells.get(key);
    const label = `${formatDay(day.date)}, ${rowLabel(key)}`;
    let node;
    if (!start) {
      // The clocks skip this time that day (or do not repeat it): nothing to book.
      node = el("div", {
        role: "gridcell", class: "cal-cell absent", tabindex: "-1", "aria-disabled": "true",
        "aria-label": `${label}: no such time that day, the clocks change`, dataset: { date: day.date, row: key },
      });
    } else {
      const past = Date.parse(start) + QUARTER <= now;
      node = el("div", {
        role: "gridcell", class: past ? "cal-cell past" : "cal-cell", tabindex: "-1", "aria-label": label,
        dataset: { date: day.date, row: key, start },
      });
    }
    const buttons = day.blocks
      .filter((b) => b.row === r)
      .sort((a, b) => a.lane - b.lane)
      .map((b) => block(b, zone));
    node.append(...buttons);
    const stops = [...buttons, node];
    grid.columns[d][r] = { cell: node, stops };
    stops.forEach((stop, i) => grid.where.set(stop, { d, r, i }));
    return node;
  }

  function block(placed, zone) {
    const a = placed.appointment;
    const comma = () => el("span", { class: "visually-hidden" }, ", ");
    const button = el(
      "button",
      {
        type: "button", class: `cal-block status-${a.status}`, tabindex: "-1",
        dataset: { appointmentId: a.id, status: a.status },
        onclick: (event) => appointmentDialog.open(a, event.currentTarget),
      },
      el("span", { class: "cal-block-name" }, clientName(a)), comma(),
      el("span", { class: "cal-block-status" }, STATUS_WORDS[a.status] || a.status), comma(),
      el("span", { class: "cal-block-time" }, timeRange(a.start, a.end, zone)),
      state.clinicianId ? null : [comma(), el("span", { class: "cal-block-clinician" }, a.clinicianName)],
    );
    // Geometry as numbers for staff.css to use (CSSOM custom properties, allowed by the CSP).
    button.style.setProperty("--offset", String(placed.offset));
    button.style.setProperty("--span", String(placed.span));
    button.style.setProperty("--lane", String(placed.lane));
    button.style.setProperty("--lanes", String(placed.lanes));
    if (placed.span < 3) button.classList.add("short");
    return button;
  }

  function describe(shown, days) {
    const first = shown[0];
    const last = shown[shown.length - 1];
    $("calendar-range").textContent = state.view === "week" ? `Week of ${formatDateRange(first, last, "long")}` : longDate(first);
    $("calendar-date").value = state.date;
    $("calendar-week").setAttribute("aria-pressed", String(state.view === "week"));
    $("calendar-day").setAttribute("aria-pressed", String(state.view === "day"));
    for (const id of ["calendar-previous-unit", "calendar-next-unit"]) $(id).textContent = ` ${state.view}`;
    const seen = new Set(days.flatMap((day) => day.blocks.map((b) => b.appointment.id)));
    const listed = state.appointments.filter((a) => seen.has(a.id));
    const pending = listed.filter((a) => a.status !== "confirmed").length;
    const count = listed.length;
    const span = state.view === "week" ? "this week" : "this day";
    $("calendar-summary").textContent = count
      ? `${count} ${count === 1 ? "appointment" : "appointments"} ${span}${pending ? `, ${pending} awaiting review` : ""}.`
      : `No appointments ${span}.`;
  }

  // ---- the keyboard ----------------------------------------------------------------------------

  function stopOf(active) {
    if (!active) return null;
    if (active.id) {
      const found = $("calendar-grid").querySelector(`.cal-block[data-appointment-id="${CSS.escape(active.id)}"]`);
      if (found) return found;
    }
    const column = dates().indexOf(active.date);
    const shownRows = [...$("calendar-grid").querySelectorAll(".cal-row[data-row]")].map((r) => r.dataset.row);
    const row = shownRows.indexOf(active.row);
    if (column < 0 || row < 0) return null;
    return grid.columns[column][row].stops[0];
  }

  // The stop for Tab: the one before, else 9:00 of today (or of the first day shown).
  function restoreActive(focus) {
    if (!grid.columns.length || !grid.columns[0].length) return;
    let stop = stopOf(state.active);
    if (!stop) {
      const shown = dates();
      const column = Math.max(0, shown.indexOf(today(context.zone())));
      const shownRows = grid.columns[column].map((c) => c.cell.dataset.row);
      const row = Math.max(0, shownRows.indexOf("09:00"));
      stop = grid.columns[column][row].stops[0];
    }
    activate(stop, focus);
  }

  function activate(stop, focus) {
    for (const old of $("calendar-grid").querySelectorAll('[tabindex="0"]')) old.tabIndex = -1;
    stop.tabIndex = 0;
    const at = grid.where.get(stop);
    const cellNode = grid.columns[at.d][at.r].cell;
    state.active = { date: cellNode.dataset.date, row: cellNode.dataset.row, id: stop.dataset.appointmentId };
    if (focus) {
      stop.focus({ preventScroll: true });
      stop.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  function onKey(event) {
    const at = grid.where.get(event.target);
    if (!at) return;
    const { columns } = grid;
    const last = columns[0].length - 1;
    let { d, r, i } = at;
    const stops = columns[d][r].stops;
    switch (event.key) {
      case "ArrowDown": r = Math.min(r + 1, last); i = 0; break;
      case "ArrowUp": r = Math.max(r - 1, 0); i = 0; break;
      case "PageDown": r = Math.min(r + PAGE, last); i = 0; break;
      case "PageUp": r = Math.max(r - PAGE, 0); i = 0; break;
      case "Home": r = 0; i = 0; break;
      case "End": r = last; i = 0; break;
      case "ArrowRight":
        if (i < stops.length - 1) i += 1;
        else if (d < columns.length - 1) { d += 1; i = 0; }
        break;
      case "ArrowLeft":
        if (i > 0) i -= 1;
        else if (d > 0) { d -= 1; i = columns[d][r].stops.length - 1; }
        break;
      case "Enter":
      case " ":
        if (event.target.classList.contains("cal-cell")) {
          event.preventDefault();
          book(event.target);
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    activate(columns[d][r].stops[i], true);
  }

  function book(cellNode) {
    if (cellNode.classList.contains("absent")) {
      say($("calendar-messages"), "That time does not exist that day: the clocks change. Choose another.");
      return;
    }
    if (Date.parse(cellNode.dataset.start) < Date.now()) {
      say($("calendar-messages"), "That time has passed. Choose a time in the future.");
      return;
    }
    $("calendar-messages").replaceChildren();
    bookingDialog.open({ date: cellNode.dataset.date, start: cellNode.dataset.start, clinicianId: state.clinicianId }, cellNode);
  }

  function onClick(event) {
    if (event.target.closest(".cal-block")) return; // the block's own button
    const cellNode = event.target.closest(".cal-cell");
    if (!cellNode) return;
    activate(cellNode, true);
    book(cellNode);
  }

  // A block or a cell that got the focus another way (a click) becomes Tab's stop.
  function onFocus(event) {
    if (grid.where.has(event.target) && event.target.tabIndex !== 0) activate(event.target, false);
  }

  // ---- the toolbar -----------------------------------------------------------------------------

  function renderClinicians() {
    const select = $("calendar-clinician");
    if (state.clinicianId && !data.clinicians.some((c) => c.id === state.clinicianId)) state.clinicianId = "";
    select.replaceChildren(
      el("option", { value: "" }, "All clinicians"),
      ...data.clinicians.map((c) => el("option", { value: c.id }, c.name)),
    );
    select.value = state.clinicianId;
  }

  function step(direction) {
    state.date = addDays(state.date, direction * (state.view === "week" ? 7 : 1));
    state.active = null;
    reload();
  }

  function show(view) {
    if (state.view === view) return;
    // The day of the quarter hour chosen in the week, or the week of the day shown.
    if (view === "day" && state.active && dates().includes(state.active.date)) state.date = state.active.date;
    state.view = view;
    reload();
  }

  function clear() {
    asked += 1;
    appointmentDialog.close();
    bookingDialog.close();
    state.date = null;
    state.active = null;
    state.appointments = [];
    state.zone = null;
    state.clinicianId = "";
    grid = { columns: [], where: new Map() };
    $("calendar-grid").replaceChildren();
    delete $("calendar-grid").dataset.state;
    $("calendar-summary").textContent = "";
    $("calendar-range").textContent = "";
    $("calendar-messages").replaceChildren();
  }

  $("calendar-previous").addEventListener("click", () => step(-1));
  $("calendar-next").addEventListener("click", () => step(1));
  $("calendar-today").addEventListener("click", () => {
    state.date = today(context.zone());
    state.active = null;
    reload();
  });
  $("calendar-date").addEventListener("change", (event) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(event.currentTarget.value)) return;
    state.date = event.currentTarget.value;
    state.active = null;
    reload();
  });
  $("calendar-week").addEventListener("click", () => show("week"));
  $("calendar-day").addEventListener("click", () => show("day"));
  $("calendar-clinician").addEventListener("change", (event) => {
    state.clinicianId = event.currentTarget.value;
    reload();
  });
  const gridEl = $("calendar-grid");
  gridEl.addEventListener("keydown", onKey);
  gridEl.addEventListener("click", onClick);
  gridEl.addEventListener("focusin", onFocus);

  context.on("signed-in", () => {
    renderClinicians();
    return reload();
  });
  context.on("signed-out", clear);
  context.on("clinicians", () => {
    const before = state.clinicianId;
    renderClinicians();
    if (state.date && before !== state.clinicianId) reload();
  });
  // The queue decided a request: its block turns green (or goes), as the stored truth says.
  context.on("requests", (detail) => {
    if (state.date && detail && detail.action !== "resend") return reload();
    return undefined;
  });
  // Another time zone: the same days, drawn on its clock.
  context.on("settings", () => {
    if (state.zone !== null && state.zone !== context.zone()) reload();
  });
}
