// The staff sign-in's second step: setting up an authenticator app the first time (its secret as
// a QR code and as a key to type, then one of its codes), and its code at every sign-in after.

import { api } from "../api.js";
import { encode } from "../vendor/uqr.js";

const SVG = "http://www.w3.org/2000/svg";

// The QR code of an otpauth URI, drawn as one SVG path of its dark modules.
function qrCode(uri, label) {
  const { data, size } = encode(uri, { ecc: "M", border: 4 });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  const modules = [];
  data.forEach((row, y) => row.forEach((dark, x) => { if (dark) modules.push(`M${x} ${y}h1v1h-1z`); }));
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", modules.join(""));
  path.setAttribute("fill", "#000");
  svg.append(background, path);
  return svg;
}

function otpauth(issuer, email, secret) {
  const label = encodeURIComponent(`${issuer}:${email}`);
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

async function issuerName() {
  try {
    const portal = await api("/portal");
    return `${portal.practice.name} staff`;
  } catch {
    return "Client Portal staff";
  }
}

function readCode(input) {
  const code = input.value.replace(/\s/g, "");
  if (!/^\d{6}$/.test(code)) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
    throw new Error("Enter the 6 digits your authenticator app shows.");
  }
  input.removeAttribute("aria-invalid");
  return code;
}

// container: the sign-in view with the two forms; context: { auth, run(button, work), signedIn(),
// restart(message) }. Returns show(step) for a step that asks for an authenticator or its code.
export function mount(container, { auth, run, signedIn, restart }) {
  const $ = (id) => container.querySelector(`#${id}`);
  const setup = $("authenticator-form");
  const entry = $("code-form");
  let step = null;

  async function attempt(button, input, work) {
    await run(button, async () => {
      try {
        await work(readCode(input));
      } catch (error) {
        if (error.restart) {
          step = null;
          restart(error.message);
          return;
        }
        input.value = "";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        throw error;
      }
      input.value = "";
      step = null;
      await signedIn();
    });
  }

  setup.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt($("authenticator-verify"), $("authenticator-code"), (code) => auth.verifyAuthenticator(step, code));
  });
  entry.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt($("code-submit"), $("code"), (code) => auth.answerCode(step, code));
  });
  for (const id of ["authenticator-restart", "code-restart"]) {
    $(id).addEventListener("click", () => {
      step = null;
      restart();
    });
  }

  function hide() {
    setup.hidden = true;
    entry.hidden = true;
    $("authenticator-qr").replaceChildren();
    $("authenticator-key").textContent = "";
  }

  async function setUp(asked) {
    const { secret, step: next } = await auth.newAuthenticator(asked);
    step = next;
    const uri = otpauth(await issuerName(), asked.email, secret);
    $("authenticator-qr").replaceChildren(qrCode(uri, "QR code of the key below, for your authenticator app"));
    $("authenticator-key").textContent = secret.match(/.{1,4}/g).join(" ");
    $("authenticator-link").href = uri;
    $("authenticator-code").value = "";
    $("authenticator-code").removeAttribute("aria-invalid");
    setup.hidden = false;
    $("authenticator-title").focus();
  }

  function askCode(asked) {
    step = asked;
    $("code").value = "";
    $("code").removeAttribute("aria-invalid");
    entry.hidden = false;
    $("code").focus();
  }

  return {
    hide,
    // Whether a sign-in step was one of this module's (then it is shown).
    async show(asked) {
      hide();
      if (asked.authenticatorSetup) await setUp(asked);
      else if (asked.codeRequired) askCode(asked);
      else return false;
      return true;
    },
  };
}
