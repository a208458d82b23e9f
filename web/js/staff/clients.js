// The clients and their portal accounts: the list, an invitation to the Client Portal, and a new
// client (typed, or a request's client from the queue).

import { el } from "../dom.js";
import { refuse, required, say, showError } from "../forms.js";

const CLIENT_FIELDS = {
  firstName: ["client-first", "First name"],
  lastName: ["client-last", "Last name"],
  dateOfBirth: ["client-dob", "Date of birth"],
  email: ["client-email", "Email"],
  mobilePhone: ["client-phone", "Mobile phone"],
};

function sameEmail(a, b) {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

// A request's client who is already on the client list (by account or by email).
export function knownClient(clients, client) {
  return Boolean(client.clientId) || clients.some((c) => sameEmail(c.email, client.email));
}

function byName(a, b) {
  return a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName) || a.id.localeCompare(b.id);
}

export function mount(container, context) {
  const $ = (id) => container.querySelector(`#${id}`);
  const { data } = context;
  let duplicateEmail = null; // an email already on the list that staff were asked about
  let clientKey = null; // the Idempotency-Key of the client being added, kept until it is added

  function render() {
    const clients = [...data.clients].sort(byName);
    $("clients-rows").replaceChildren(...clients.map(clientRow));
    const accounts = clients.filter((c) => c.hasAccount).length;
    $("clients-summary").textContent = clients.length
      ? `${clients.length} ${clients.length === 1 ? "client" : "clients"}, ${accounts} with a Client Portal account.`
      : "No clients yet. Add one below.";
  }

  function clientRow(client) {
    const nameId = `client-name-${client.id}`;
    const name = `${client.firstName} ${client.lastName}`;
    return el(
      "tr",
      { dataset: { clientId: client.id } },
      el("td", { dataset: { label: "Client" } }, el("strong", { id: nameId, tabindex: "-1" }, name)),
      el("td", { dataset: { label: "Date of birth" } }, client.dateOfBirth),
      el(
        "td",
        { dataset: { label: "Contact" } },
        el("div", {}, el("a", { href: `mailto:${client.email}` }, client.email)),
        el("div", {}, client.mobilePhone),
      ),
      el(
        "td",
        { dataset: { label: "Client Portal" }, class: "portal-account" },
        client.hasAccount
          ? el("span", { class: "badge has-account" }, "Has an account")
          : el("button", {
              type: "button", class: "primary", "aria-describedby": nameId,
              onclick: (e) => invite(client, e.currentTarget),
            }, "Invite to Portal"),
      ),
    );
  }

  // The list changed: shown here, and the queue's "Add to Clients" buttons follow it.
  function keep(saved) {
    data.clients = [...data.clients.filter((c) => c.id !== saved.id), saved];
    context.changed("clients");
  }

  async function invite(client, button) {
    await context.run(button, $("clients-messages"), async () => {
      const answer = await context.api(`/staff/clients/${encodeURIComponent(client.id)}/invite`, { method: "POST" });
      keep(answer.client);
      say($("clients-messages"), `${client.firstName} ${client.lastName} is invited: the sign-in email is on its way to ${answer.client.email}.`);
      const named = container.querySelector(`#client-name-${CSS.escape(client.id)}`);
      if (named) named.focus();
    });
  }

  function prefill(client) {
    for (const [field, [id]] of Object.entries(CLIENT_FIELDS)) $(id).value = client[field] || "";
    clientKey = null;
    $("client-added").textContent = "";
    $("client-form-messages").replaceChildren();
    say($("client-form-messages"), "Check the details, then Add Client.");
    $("client-form-title").scrollIntoView({ block: "start" });
    $("client-first").focus();
  }

  async function add(event) {
    event.preventDefault();
    $("client-added").textContent = "";
    await context.run($("client-add"), $("client-form-messages"), async () => {
      const body = {};
      for (const [field, [id, label]] of Object.entries(CLIENT_FIELDS)) {
        body[field] = required($(id), `Enter the client's ${label.toLowerCase()}.`);
      }
      // Another client with this email is most often this one, added before (a lost answer, a
      // second visit); sometimes a family sharing an address. Ask once.
      const same = data.clients.find((c) => sameEmail(c.email, body.email));
      if (same && duplicateEmail !== body.email.toLowerCase()) {
        duplicateEmail = body.email.toLowerCase();
        refuse(
          $("client-email"),
          `${same.firstName} ${same.lastName} is already on the client list with this email. `
            + "Select Add Client again to add another client with the same email.",
        );
      }
      duplicateEmail = null;
      const inviting = $("client-invite").checked;
      clientKey ||= crypto.randomUUID();
      let added;
      try {
        added = await context.api("/staff/clients", { method: "POST", body, key: clientKey });
      } catch (error) {
        // No answer, or the server failed: the client may have been added all the same. Read the
        // list again, so that trying again with changed details is told, not duplicated.
        if (!error.status || error.status >= 500) {
          data.clients = (await context.api("/staff/clients").catch(() => ({ clients: data.clients }))).clients;
          context.changed("clients");
        }
        throw error;
      }
      clientKey = null;
      keep(added.client);
      $("client-form").reset();
      const name = `${added.client.firstName} ${added.client.lastName}`;
      $("client-added").textContent = `Added ${name}`;
      if (!inviting || added.client.hasAccount) return;
      try {
        const invited = await context.api(`/staff/clients/${encodeURIComponent(added.client.id)}/invite`, {
          method: "POST",
        });
        keep(invited.client);
        $("client-added").textContent = `Added ${name} and emailed the Client Portal invitation to ${invited.client.email}`;
      } catch (error) {
        if (error.status === 401) throw error;
        $("client-added").textContent = `Added ${name}`;
        showError($("clients-messages"), new Error(`${name} is added, but the invitation failed: ${error.message}`));
        const retry = $("clients-rows").querySelector(`tr[data-client-id="${CSS.escape(added.client.id)}"] button`);
        if (retry) retry.focus();
      }
    });
  }

  context.on("clients", (detail) => {
    render();
    if (detail && detail.unavailable) $("clients-summary").textContent = "The client list could not be loaded.";
  });
  context.on("client-draft", prefill);
  context.on("signed-out", () => {
    $("clients-rows").replaceChildren();
    $("client-form").reset();
  });
  $("client-form").addEventListener("submit", add);
  $("client-form").addEventListener("input", () => { clientKey = null; });
}
