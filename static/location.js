// "Use my location": a button beside the search form's Near field, added only where the
// browser can tell its position. The position fills the field as "lat,lng"; a refusal or an
// error says so and leaves the field as it was. The words come from the <script> tag's data
// attributes, which the page writes in its own language.
(() => {
  const script = document.currentScript;
  const near = document.getElementById("near");
  if (!script || !near || !navigator.geolocation) return;
  const words = script.dataset;

  const row = document.createElement("div");
  row.className = "near-row";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "locate secondary";
  button.textContent = words.label;
  // In the page before anything is said in it, so screen readers announce what it says.
  const status = document.createElement("p");
  status.className = "locate-status";
  status.setAttribute("role", "status");
  const control = document.createElement("div");
  control.className = "near-control";
  near.before(control);
  row.append(near, button);
  control.append(row, status);

  let asking = false;
  button.addEventListener("click", () => {
    if (asking) return;
    asking = true;
    button.setAttribute("aria-busy", "true");
    status.textContent = words.finding;
    const done = (message) => {
      asking = false;
      button.removeAttribute("aria-busy");
      status.textContent = message;
    };
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { latitude, longitude } = position.coords;
        // Three decimals (about 100 m): near enough to search from, and no more exact than
        // that in the URL, the page title and the history of a shared computer.
        near.value = `${latitude.toFixed(3)},${longitude.toFixed(3)}`;
        near.removeAttribute("aria-invalid");
        done(words.found);
      },
      (error) => done(error.code === error.PERMISSION_DENIED ? words.denied : words.failed),
      { enableHighAccuracy: false, timeout: 20000, maximumAge: 300000 },
    );
  });
})();
