// The search page's filters (templates/public/_results.html): open beside the results on a
// wide screen, folded behind their "Filters" button on a narrow one. Without this script they
// are open on every screen, as the page sends them.
(() => {
  const narrow = window.matchMedia("(max-width: 48rem)");
  const fit = () => {
    for (const filters of document.querySelectorAll("details.facets-toggle")) {
      filters.open = !narrow.matches;
    }
  };
  fit();
  narrow.addEventListener("change", fit);
})();
