// Saving the practice's records (types, clinicians, settings) without losing another staff
// member's change: the version read (If-Match), and new records under ids nobody took.

// The version a record was read at, for If-Match: a save on an older one is refused (412).
export function ifMatch(version) {
  return version ? { "If-Match": version } : {};
}

// An id for a new type or clinician from its name: lower-case words joined by "-", unique among `taken`.
function newId(name, taken) {
  const base = name.normalize("NFKD").replace(/[^\w\s-]/g, "").trim().toLowerCase()
    .replace(/[\s_]+/g, "-").replace(/-+/g, "-").slice(0, 48) || "item";
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base}-${n}`;
  return id;
}

// Creates a type or a clinician under a fresh id made from its name, never replacing one: a 409
// means another session took that id meanwhile, so the list is read again and the next id tried.
// The types read again are shown ("types" changed); the clinicians are not, as the clinician
// form may hold changes not saved yet.
const COLLECTIONS = {
  types: { path: "/staff/appointment-types", field: "appointmentTypes", show: true },
  clinicians: { path: "/staff/clinicians", field: "clinicians", show: false },
};

export async function createNamed(context, collection, name, body) {
  const { path, field, show } = COLLECTIONS[collection];
  for (let attempt = 1; ; attempt += 1) {
    const id = newId(name, new Set(context.data[collection].map((x) => x.id)));
    try {
      return await context.api(`${path}/${encodeURIComponent(id)}`, {
        method: "PUT", body, headers: { "If-None-Match": "*" },
      });
    } catch (error) {
      if (error.status !== 409 || error.code !== "already_exists" || attempt >= 3) throw error;
      context.data[collection] = (await context.api(path))[field];
      if (show) context.changed(collection);
    }
  }
}
