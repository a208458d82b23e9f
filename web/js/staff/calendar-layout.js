// Where the calendar draws things: the quarter-hour rows of the days shown, as the practice's
// clock shows them, and each appointment's block on them (functions of the days, the zone and
// the appointments, no DOM); and the quarter hours of a day to choose a start from.
//
// A row is a wall time ("09:15"), or the second time a wall time comes round ("01:15+") on the
// day the clocks go back. The rows of a week are every day's rows in clock order, so on the day
// the clocks go forward the skipped hour's rows are absent (drawn as a gap), on the day they go
// back the repeated hour has rows of its own, and an appointment at 03:00 sits on the 03:00 row
// whatever happened at 02:00.

import { el } from "../dom.js";
import { formatTime, quarterHours } from "../zone.js";

const QUARTER = 15 * 60_000;
const FIRST = "07:00"; // the rows shown when no appointment is earlier
const LAST = "20:00"; // ... or later

export const STATUS_WORDS = {
  requested: "Request pending",
  confirmed: "Confirmed",
  reschedule_requested: "Reschedule requested",
  cancel_requested: "Cancellation requested",
  cancelled: "Cancelled",
};

const cache = new Map();

function quarters(date, zone) {
  const key = `${zone} ${date}`;
  if (!cache.has(key)) {
    if (cache.size > 500) cache.clear();
    cache.set(key, quarterHours(date, zone));
  }
  return cache.get(key);
}

const rowKey = (q) => (q.again ? `${q.time}+` : q.time);

// Both sequences in one, each one's order kept (they agree where they overlap).
function merge(a, b) {
  const inA = new Set(a);
  const inB = new Set(b);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(a[i]);
      i += 1;
      j += 1;
    } else if (j < b.length && (!inA.has(b[j]) || i >= a.length)) {
      out.push(b[j]);
      j += 1;
    } else if (i < a.length && (!inB.has(a[i]) || j >= b.length)) {
      out.push(a[i]);
      i += 1;
    } else {
      // Each is still to come in the other: not two clock orders of one zone. Keep a's first.
      out.push(a[i]);
      i += 1;
    }
  }
  return [...new Set(out)];
}

// A row in words: "09:15" -> "9:15 AM", "01:15+" -> "1:15 AM, the second time (the clocks went
// back)". Short, as the hours are labelled: "9 AM", "1 AM (2nd)".
export function rowLabel(key, { short = false } = {}) {
  const [hh, mm] = key.slice(0, 5).split(":").map(Number);
  const hour = hh % 12 || 12;
  const text = `${hour}${short && mm === 0 ? "" : `:${String(mm).padStart(2, "0")}`} ${hh < 12 ? "AM" : "PM"}`;
  if (!key.endsWith("+")) return text;
  return short ? `${text} (2nd)` : `${text}, the second time (the clocks went back)`;
}

// An instant's place on a day's rows: the row index (fractional within a quarter).
function place(ms, day) {
  if (ms <= day.startMs) return day.rowAt.get(day.startMs);
  if (ms >= day.endMs) return day.rowAt.get(day.lastMs) + 1;
  const quarter = Math.floor(ms / QUARTER) * QUARTER;
  const index = day.rowAt.get(quarter);
  return index === undefined ? day.rowAt.get(day.lastMs) + 1 : index + (ms - quarter) / QUARTER;
}

// Side by side: each block of a group that overlaps in time gets a lane of the group's lanes.
function lanes(blocks) {
  blocks.sort((a, b) => a.top - b.top || b.bottom - a.bottom);
  let group = [];
  let groupEnd = -Infinity;
  const close = () => {
    const count = Math.max(0, ...group.map((b) => b.lane + 1));
    for (const b of group) b.lanes = count;
  };
  for (const block of blocks) {
    if (block.top >= groupEnd && group.length) {
      close();
      group = [];
    }
    const ends = [];
    for (const other of group) ends[other.lane] = Math.max(ends[other.lane] ?? -Infinity, other.bottom);
    let lane = 0;
    while (ends[lane] !== undefined && ends[lane] > block.top) lane += 1;
    block.lane = lane;
    group.push(block);
    groupEnd = Math.max(groupEnd, block.bottom);
  }
  if (group.length) close();
  return blocks;
}

// dates: the days shown; appointments: as GET /staff/appointments gives them. Returns
// { rows: [key], days: [{ date, cells: Map(key -> start instant), blocks: [{ appointment,
// row, offset, span, lane, lanes }] }] }: rows are those shown (07:00 to 20:00, stretched to
// every appointment), a block starts in row `row` (an index of rows), `offset` quarters down
// it, and is `span` quarters tall.
export function layout(dates, zone, appointments) {
  const days = dates.map((date) => {
    const found = quarters(date, zone);
    const rowAt = new Map(found.map((q) => [Date.parse(q.start), rowKey(q)]));
    // A date the zone skipped altogether (Samoa's 2011-12-30) has no quarter hours, and no
    // appointment can start in it.
    const startMs = found.length ? Date.parse(found[0].start) : NaN;
    const lastMs = found.length ? Date.parse(found[found.length - 1].start) : NaN;
    return {
      date, startMs, lastMs, endMs: lastMs + QUARTER, keys: found.map(rowKey), rowAt,
      cells: new Map(found.map((q) => [rowKey(q), q.start])),
    };
  });
  const all = days.reduce((rows, day) => merge(rows, day.keys), []);
  const index = new Map(all.map((key, i) => [key, i]));
  for (const day of days) day.rowAt = new Map([...day.rowAt].map(([ms, key]) => [ms, index.get(key)]));

  const firstOf = (key) => (index.has(key) ? index.get(key) : all.findIndex((k) => k >= key));
  let lo = firstOf(FIRST);
  let hi = firstOf(LAST);
  if (lo < 0) lo = 0;
  if (hi < 0) hi = all.length;
  for (const day of days) {
    day.blocks = appointments
      .map((appointment) => ({ appointment, start: Date.parse(appointment.start), end: Date.parse(appointment.end) }))
      .filter((a) => a.start < day.endMs && a.end > day.startMs)
      .map(({ appointment, start, end }) => {
        const top = place(start, day);
        const bottom = Math.max(place(end, day), top + 0.5);
        lo = Math.min(lo, Math.floor(top));
        hi = Math.max(hi, Math.ceil(bottom));
        return { appointment, top, bottom };
      });
  }
  // Whole hours: the first row shown is an hour's (its first time round), and so is the one
  // after the last.
  const hour = (key) => key.length === 5 && key.endsWith(":00");
  while (lo > 0 && !hour(all[lo])) lo -= 1;
  while (hi < all.length && !hour(all[hi])) hi += 1;
  for (const day of days) {
    lanes(day.blocks);
    for (const block of day.blocks) {
      block.row = Math.floor(block.top) - lo;
      block.offset = block.top - Math.floor(block.top);
      block.span = block.bottom - block.top;
    }
    delete day.rowAt;
  }
  return { rows: all.slice(lo, hi), days };
}

// The quarter hours of a date to choose a start from: { value (the instant), label ("9:15 AM",
// with the zone's name on a day the clocks change, so the two 1:30 AMs differ) }.
export function startChoices(date, zone) {
  const found = quarters(date, zone);
  const changes = found.length !== 96;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hour: "numeric", minute: "2-digit", ...(changes ? { timeZoneName: "short" } : {}),
  });
  return found.map((q) => ({ value: q.start, label: format.format(new Date(q.start)) }));
}

// Fills a start select with the quarter hours of a date: the instant chosen if it is one of them,
// else the same time of day on this date, else the first.
export function fillStarts(select, date, zone, chosen) {
  const choices = date ? startChoices(date, zone) : [];
  select.replaceChildren(...choices.map((c) => el("option", { value: c.value }, c.label)));
  if (choices.some((c) => c.value === chosen)) select.value = chosen;
  else if (chosen) {
    const wall = formatTime(chosen, zone);
    const same = choices.find((c) => c.label.startsWith(wall));
    select.value = same ? same.value : choices.length ? choices[0].value : "";
  }
}
