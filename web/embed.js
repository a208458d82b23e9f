// The website button: one script tag on any practice website,
//   <script src="https://PORTAL/embed.js" defer></script>
// renders a "Request Appointment" button that opens the portal's request flow in a modal frame.
// The portal is found from this script's own address.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const portal = new URL(".", script.src).href;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cp-embed-button";
  button.textContent = script.dataset.label || "Request Appointment";
  Object.assign(button.style, {
    background: "#1f6fd1", color: "#fff", border: "1px solid #1857a6", borderRadius: "6px",
    padding: "0.6rem 1.1rem", font: "600 1rem system-ui, sans-serif", cursor: "pointer", minHeight: "44px",
  });

  // On a phone (either way up) the dialog fills the screen; elsewhere it floats over the website.
  // Set through the element's style (CSSOM), which a website's Content Security Policy allows,
  // unlike a <style>.
  const phone = window.matchMedia("(max-width: 640px), (max-height: 480px)");
  function fit(dialog) {
    Object.assign(dialog.style, phone.matches
      ? { width: "100vw", height: "100vh", maxWidth: "none", maxHeight: "none", margin: "0", borderRadius: "0", boxShadow: "none" }
      : { width: "min(960px, 96vw)", height: "min(820px, 92vh)", maxWidth: "", maxHeight: "", margin: "auto", borderRadius: "10px",
          boxShadow: "0 10px 40px rgba(0,0,0,0.35)" });
    // The height the phone's browser leaves between its bars, where it knows it (100vh may run under them).
    if (phone.matches) dialog.style.height = "100dvh";
  }

  // The dialog: a header row of its own (title and Close), then the portal's frame below it, so
  // that Close never covers anything of the portal (its "Sign In" sits at the frame's top right).
  function open() {
    const dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", "cp-embed-title");
    Object.assign(dialog.style, {
      padding: "0", border: "none", overflow: "hidden", display: "flex", flexDirection: "column",
    });
    fit(dialog);
    const refit = () => fit(dialog);
    phone.addEventListener("change", refit);
    const header = document.createElement("div");
    Object.assign(header.style, {
      display: "flex", alignItems: "center", justifyContent: "space-between", gap: "1rem",
      padding: "0.5rem 0.75rem", borderBottom: "1px solid #d0d7de", background: "#f6f8fa",
      flex: "0 0 auto",
    });
    const title = document.createElement("h2");
    title.id = "cp-embed-title";
    title.textContent = "Request an appointment";
    Object.assign(title.style, { margin: "0", font: "600 1rem system-ui, sans-serif", color: "#1f2328" });
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close";
    close.setAttribute("aria-label", "Close the appointment request");
    Object.assign(close.style, {
      font: "600 0.95rem system-ui, sans-serif", color: "#1f2328", background: "#fff",
      border: "1px solid #8c959f", borderRadius: "6px", padding: "0.35rem 0.9rem", cursor: "pointer",
      minWidth: "44px", minHeight: "44px", flex: "0 0 auto",
    });
    header.append(title, close);
    const frame = document.createElement("iframe");
    frame.src = `${portal}?embed=1#request`;
    frame.title = "Request an appointment";
    Object.assign(frame.style, { width: "100%", flex: "1 1 auto", minHeight: "0", border: "none" });
    dialog.append(header, frame);
    document.body.append(dialog);
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { phone.removeEventListener("change", refit); dialog.remove(); button.focus(); });
    dialog.showModal();
    close.focus();
  }

  button.addEventListener("click", open);
  script.insertAdjacentElement("afterend", button);
})();
