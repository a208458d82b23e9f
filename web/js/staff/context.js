// What the staff page's panels share: each panel's mount(container, context) gets this context.
//
//   context.data           the records more than one panel shows, as last read or saved:
//                          settings (and settingsVersion, its ETag), types, clinicians, clients
//   context.zone()         the practice's time zone ("UTC" before the settings are read)
//   context.when(iso)      an instant in words on the practice's clock
//   context.api(path, options), context.versioned(path, options)
//                          api.js's calls with the signed-in staff member's token
//   context.run(button, container, work)
//                          runs a click's work with its button disabled; errors go to the
//                          container, a 401 sends staff back to sign in, a 412 offers Reload
//   context.messages       the page's message area, above every panel
//   context.on(topic, listener) -> unsubscribe
//   context.changed(topic, detail) -> Promise
//                          tells the listeners of a topic, in the order they were added; the
//                          promise settles when what they returned (if anything) has
//
// Topics:
//   "settings"      context.data.settings was read or saved
//   "types", "clinicians"
//                   without detail: the list was read again, to be shown afresh; with
//                   { saved }: that one record was written by its own panel, which shows it
//   "clients"       context.data.clients changed; { unavailable: true } when it could not be read
//   "client-draft"  a client (a request's) to put in the Add a Client form, from the queue
//   "requests"      the queue decided a request or sent its email again:
//                   { action: "approve" | "deny" | "resend", request }
//   "show-request"  the calendar sends staff to a pending request: { requestId }
//   "signed-in"     the shared records are read: panels read their own data
//   "signed-out"    panels drop and clear what they show

import { api, versioned } from "../api.js";
import { el } from "../dom.js";
import { markFields, say, showError } from "../forms.js";
import { formatDateTime } from "../zone.js";

// auth: the staff pool's account (auth.js); messages: the page's message area; sessionEnded():
// what to do when the API says the session ended (401).
export function createContext({ auth, messages, sessionEnded }) {
  const data = { settings: null, settingsVersion: null, types: [], clinicians: [], clients: [] };
  const listeners = new Map();

  function token() {
    const signedIn = auth.currentUser();
    return signedIn ? signedIn.token : undefined;
  }

  function zone() {
    return data.settings ? data.settings.practice.timeZone : "UTC";
  }

  function on(topic, listener) {
    if (!listeners.has(topic)) listeners.set(topic, []);
    listeners.get(topic).push(listener);
    return () => listeners.set(topic, listeners.get(topic).filter((l) => l !== listener));
  }

  async function changed(topic, detail) {
    const results = (listeners.get(topic) || []).map((listener) => listener(detail));
    await Promise.all(results);
  }

  // Runs a click's work with its button disabled; errors go to the given container. A session
  // that ended (401) sends staff back to sign in.
  async function run(button, container, work) {
    const hadFocus = Boolean(button) && document.activeElement === button;
    if (button) button.disabled = true;
    container.replaceChildren();
    markFields(button && button.form, container, {}); // clears the marks of an earlier answer
    try {
      await work();
    } catch (error) {
      if (error.status === 401) {
        sessionEnded();
      } else {
        showError(container, error);
        markFields(button && button.form, container, error);
        if (error.status === 412) {
          // Someone else saved this meanwhile: reading it again shows their change (and drops
          // this page's unsaved edits of it, which the person then makes again).
          container.append(el("button", { type: "button", class: "secondary", onclick: reload }, "Reload"));
        }
      }
    } finally {
      if (button) {
        button.disabled = false;
        // Disabling dropped the keyboard's focus to the page: give it back unless it moved on.
        const dropped = !document.activeElement || document.activeElement === document.body;
        if (hadFocus && button.isConnected && dropped) button.focus();
      }
    }
  }

  // Read the settings, types and clinicians again, as another staff member saved them.
  async function reload(event) {
    const button = event.currentTarget;
    await run(button, button.parentElement, async () => {
      const [settings, types, clinicians] = await Promise.all([
        versioned("/staff/settings", { token: token() }),
        api("/staff/appointment-types", { token: token() }),
        api("/staff/clinicians", { token: token() }),
      ]);
      data.settings = settings.data;
      data.settingsVersion = settings.version;
      data.types = types.appointmentTypes;
      data.clinicians = clinicians.clinicians;
      changed("settings");
      changed("types");
      changed("clinicians");
      say(messages, "Reloaded: the settings, appointment types and clinicians are as saved now.");
      messages.querySelector("p").tabIndex = -1;
      messages.querySelector("p").focus();
    });
  }

  return {
    data,
    zone,
    when: (iso) => formatDateTime(iso, zone()),
    api: (path, options = {}) => api(path, { token: token(), ...options }),
    versioned: (path, options = {}) => versioned(path, { token: token(), ...options }),
    run,
    messages,
    on,
    changed,
  };
}
