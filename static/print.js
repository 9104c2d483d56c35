// "Print" buttons (hidden until this script runs, since printing needs it): print the page,
// laid out for paper by the stylesheet's print rules.
document.querySelectorAll("[data-print][hidden]").forEach((button) => { button.hidden = false; });
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
