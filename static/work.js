// Workspace behaviour that needs a script (every page works without it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) window.print();
});
