// Workspace behaviour that needs a script (every page works without it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) window.print();
});

// "Copy" buttons (hidden until this script runs): copy the named field's text.
document.querySelectorAll("[data-copy][hidden]").forEach((button) => { button.hidden = false; });
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = document.querySelector("[data-copy-status]");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied.";
  } catch {
    if (status) status.textContent = "Selected: copy it with Ctrl+C (or ⌘C).";
  }
});

// A form marked data-unsaved-warning: once something is typed in it (or it came back with
// errors, holding what was typed), leaving the page or submitting another form asks first.
document.querySelectorAll("form[data-unsaved-warning]").forEach((guarded) => {
  let dirty = guarded.hasAttribute("data-dirty");
  guarded.addEventListener("input", () => { dirty = true; });
  guarded.addEventListener("submit", () => { dirty = false; });
  document.addEventListener("submit", (event) => {
    if (!dirty || event.target === guarded) return;
    if (window.confirm(guarded.dataset.unsavedWarning)) dirty = false;
    else event.preventDefault();
  }, true);
  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault();
  });
});
