// Time in the practice's time zone, whatever the browser's: the one place that converts between
// instants (ISO strings the API sends and takes) and the practice's wall time, for the portal and
// the staff page. Dates are "YYYY-MM-DD", wall times "YYYY-MM-DDTHH:MM" (a datetime-local value),
// zones IANA names ("America/New_York").

const MINUTE = 60_000;
// The practice's locale: the pages are written in American English, and dates and times read
// the way its clients write them ("Mon, Nov 30", "9:00 AM", "Nov 30 – Dec 6, 2026").
const LOCALE = "en-US";
const HOUR = 60 * MINUTE;
const formats = new Map();

const pad = (n) => String(n).padStart(2, "0");

// The parts of an instant (ms) on the zone's clock, as strings: year, month, day, hour, minute,
// second.
function wallParts(ms, timeZone) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  if (parts.hour === "24") parts.hour = "00";
  return parts;
}

// Minutes the zone is ahead of UTC at an instant (ms or ISO): New York in winter -300, in
// summer -240.
export function offsetMinutes(at, timeZone) {
  const ms = typeof at === "number" ? at : Date.parse(at);
  const p = wallParts(ms, timeZone);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
}

// An instant's wall time on the zone's clock, as a datetime-local value (YYYY-MM-DDTHH:MM).
export function wallTime(iso, timeZone) {
  const p = wallParts(Date.parse(iso), timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// An instant (ms) written on the zone's clock with the zone's offset at that moment:
// "2025-07-01T09:00:00-04:00".
function written(ms, timeZone) {
  const offset = offsetMinutes(ms, timeZone);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${wallTime(new Date(ms).toISOString(), timeZone)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// A wall time (YYYY-MM-DDTHH:MM, as a datetime-local input gives it) read on the zone's clock, as
// an ISO instant with the zone's offset at that moment (so a summer time gets -04:00 and a winter
// time -05:00 in New York). Null for an empty value or a wall time that does not exist (the hour
// skipped when clocks go forward). A wall time that happens twice (clocks going back) is one of
// the two: the earlier in a zone behind UTC (the Americas), the later in one ahead of it.
export function instant(wall, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall || "");
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = asUtc - offsetMinutes(asUtc, timeZone) * MINUTE;
  ms = asUtc - offsetMinutes(ms, timeZone) * MINUTE;
  const local = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}`;
  if (wallTime(new Date(ms).toISOString(), timeZone) !== local) return null;
  return written(ms, timeZone);
}

// The date (YYYY-MM-DD) of an instant on the zone's clock.
export function localDate(iso, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(iso));
}

// Today's date on the zone's clock.
export function today(timeZone) {
  return localDate(new Date().toISOString(), timeZone);
}

// A date some days later (or earlier, with a negative number): calendar days, whatever the zone.
export function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// The instant a date begins on the zone's clock, as instant() writes it: its midnight, or, where
// the clocks went forward at midnight (Cuba, Chile, ...), the moment they did.
export function dayStart(date, timeZone) {
  const midnight = instant(`${date}T00:00`, timeZone);
  if (midnight) return midnight;
  // The first minute whose date is this one: the zone is at most 14 hours from UTC either way.
  let before = Date.parse(`${date}T00:00:00Z`) - 15 * HOUR; // still the day before, everywhere
  let after = before + 30 * HOUR; // already this day (or later), everywhere
  while (after - before > MINUTE) {
    const middle = before + Math.floor((after - before) / MINUTE / 2) * MINUTE;
    if (localDate(middle, timeZone) >= date) after = middle;
    else before = middle;
  }
  return written(after, timeZone);
}

// A date on the zone's clock as instants: { start, end } (end is the next day's start), 23 or 25
// hours apart on the days the clocks change.
export function dayBounds(date, timeZone) {
  return { start: dayStart(date, timeZone), end: dayStart(addDays(date, 1), timeZone) };
}

// The quarter hours of a date as the zone's clock shows them, in order: { start (an instant, as
// instant() writes it), time ("HH:MM" on the clock), again (true when that wall time already
// came round that day: the clocks went back) }. 96 on most days, 92 when the clocks go forward
// an hour, 100 when they go back.
export function quarterHours(date, timeZone) {
  const { start, end } = dayBounds(date, timeZone);
  const found = [];
  const seen = new Set();
  for (let ms = Date.parse(start); ms < Date.parse(end); ms += 15 * MINUTE) {
    const time = wallTime(new Date(ms).toISOString(), timeZone).slice(11);
    found.push({ start: written(ms, timeZone), time, again: seen.has(time) });
    seen.add(time);
  }
  return found;
}

// Times are shown in the practice's time zone, whatever the browser's.
export function formatDateTime(iso, timeZone) {
  return new Intl.DateTimeFormat(LOCALE, {
    timeZone, weekday: "long", month: "long", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit",
  }).format(new Date(iso));
}

export function formatTime(iso, timeZone) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone, hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

// A date as a short heading: "Mon, Jul 7".
export function formatDay(date) {
  return new Intl.DateTimeFormat(LOCALE, { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" })
    .format(new Date(`${date}T12:00:00Z`));
}

// Two dates (YYYY-MM-DD) as people write a range of days, saying a month or year once when both
// share it: "Nov 30 – Dec 6, 2026", "Dec 7 – 13, 2026", "Dec 28, 2026 – Jan 3, 2027" (month
// "long": "November 30 – December 6, 2026").
export function formatDateRange(first, last, month = "short") {
  return new Intl.DateTimeFormat(LOCALE, { month, day: "numeric", year: "numeric", timeZone: "UTC" })
    .formatRange(new Date(`${first}T12:00:00Z`), new Date(`${last}T12:00:00Z`));
}
