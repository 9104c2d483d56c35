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

// A form marked data-unsaved-warning: once something is typed in it, submitting another form
// on the page (which would lose the typing) asks first.
document.querySelectorAll("form[data-unsaved-warning]").forEach((guarded) => {
  let dirty = false;
  guarded.addEventListener("input", () => { dirty = true; });
  guarded.addEventListener("submit", () => { dirty = false; });
  document.addEventListener("submit", (event) => {
    if (!dirty || event.target === guarded) return;
    if (!window.confirm(guarded.dataset.unsavedWarning)) event.preventDefault();
  }, true);
});
