// The kiosk (templates/kiosk/): a shared screen that must forget each visitor.
// - Every move inside the kiosk replaces the page (location.replace), so the tab's history only
//   ever holds one page: Back cannot bring back the last person's search.
// - After 90 seconds without a touch, a 15-second countdown ("Still there?"), then the kiosk's
//   start page, in its own language, with nothing carried over.
// - "Print" buttons (hidden without this script).
// Nothing is stored: no cookie, no localStorage, no sessionStorage. Every page works without it.
(() => {
  "use strict";

  const IDLE_MS = 90 * 1000;
  const COUNTDOWN_S = 15;
  const dialog = document.getElementById("kiosk-idle");

  function insideKiosk(url) {
    return url.origin === location.origin && (url.pathname === "/kiosk" || url.pathname.startsWith("/kiosk/"));
  }

  // Links: the same page, replaced. An in-page link (the skip link) moves focus without a
  // history entry.
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    const samePage = url.pathname === location.pathname && url.search === location.search;
    if (samePage && url.hash) {
      const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (target) {
        event.preventDefault();
        target.scrollIntoView();
        target.focus({ preventScroll: true });
      }
      return;
    }
    if (!insideKiosk(url)) return;
    event.preventDefault();
    location.replace(url.href);
  });

  // Forms (all GET): the address they would open, replaced.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || (form.method || "get").toLowerCase() !== "get") return;
    const url = new URL(form.action, location.href);
    if (!insideKiosk(url)) return;
    event.preventDefault();
    const data = new FormData(form, event.submitter || undefined);
    url.search = new URLSearchParams(data).toString();
    url.hash = "";
    location.replace(url.href);
  });

  // Typing another place chooses "Somewhere else".
  document.addEventListener("input", (event) => {
    if (event.target.id !== "kiosk-near") return;
    const other = event.target.form && event.target.form.querySelector("[data-where-other]");
    if (other && event.target.value.trim()) other.checked = true;
  });

  // Print buttons.
  document.querySelectorAll("[data-kiosk-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });

  if (!dialog || typeof dialog.showModal !== "function") return;

  // Idle: the start page as a visitor finds it waits for a first touch; any other page starts
  // counting at once (someone may have walked away from it).
  const home = dialog.dataset.home;
  const seconds = dialog.querySelector("[data-idle-seconds]");
  const live = dialog.querySelector("[data-idle-live]");
  const text = dialog.querySelector("#kiosk-idle-count");
  let idleTimer = null;
  let tickTimer = null;
  let left = COUNTDOWN_S;

  function startOver() {
    location.replace(home);
  }

  function tick() {
    left -= 1;
    if (left <= 0) {
      clearInterval(tickTimer);
      startOver();
      return;
    }
    seconds.textContent = String(left);
    // Spoken every 5 seconds, not every second: a screen reader would read nothing else.
    if (left % 5 === 0) live.textContent = text.textContent;
  }

  function warn() {
    left = COUNTDOWN_S;
    seconds.textContent = String(left);
    live.textContent = "";
    dialog.showModal();
    dialog.querySelector("[data-idle-continue]").focus();
    tickTimer = setInterval(tick, 1000);
  }

  function keepGoing() {
    clearInterval(tickTimer);
    tickTimer = null;
    if (dialog.open) dialog.close();
    arm();
  }

  function arm() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(warn, IDLE_MS);
  }

  function activity() {
    if (!dialog.open) arm();
  }

  dialog.querySelector("[data-idle-continue]").addEventListener("click", keepGoing);
  // Escape closes a modal dialog: the person is there.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    keepGoing();
  });
  for (const type of ["pointerdown", "pointermove", "keydown", "input", "wheel", "scroll", "touchstart"]) {
    window.addEventListener(type, activity, { passive: true, capture: true });
  }
  if (dialog.dataset.wait !== "touch") arm();
})();
