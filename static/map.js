// The search results on a map (templates/public/_map.html): one numbered marker for each
// listing of the list that has a place, a popup with a link to it. The list stays the page's
// view of the results; the map is shown only once this script has drawn it.
(() => {
  const section = document.getElementById("results-map");
  const data = document.getElementById("results-map-markers");
  if (!section || !data || !window.L) return;
  const words = section.dataset;
  const tiles = words.tileUrl;
  if (!tiles && !window.topojson) return;

  const markers = JSON.parse(data.textContent);
  if (!markers.length) return;
  section.hidden = false;

  const canvas = section.querySelector(".map-canvas");
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const map = L.map(canvas, {
    zoomControl: false,
    fadeAnimation: !still,
    zoomAnimation: !still,
    markerZoomAnimation: !still,
    minZoom: 3,
    maxZoom: tiles ? 18 : 14,
    worldCopyJump: true,
  });
  L.control.zoom({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  if (tiles) {
    // The attribution is the operator's own setting (HTML, e.g. a link to the tile terms).
    L.tileLayer(tiles, { attribution: words.attribution, maxZoom: 18 }).addTo(map);
  } else {
    drawOutlines(map, words);
  }

  const bounds = [];
  // The place searched near, and the ring of the distance asked for (drawn, not interactive).
  if (words.center) {
    const center = words.center.split(",").map(Number);
    const radius = Number(words.radiusM);
    if (radius > 0) {
      L.circle(center, { radius, interactive: false, className: "map-area" }).addTo(map);
    }
    L.circleMarker(center, { radius: 6, interactive: false, className: "map-center" }).addTo(map);
    bounds.push(center);
  }
  for (const point of markers) {
    const at = [point.lat, point.lng];
    bounds.push(at);
    const marker = L.marker(at, {
      icon: L.divIcon({
        className: "map-marker",
        html: String(Number(point.number)),
        iconSize: [32, 32],
        iconAnchor: [16, 16],
        popupAnchor: [0, -14],
      }),
      keyboard: true,
      title: point.name,
      riseOnHover: true,
    });
    marker.bindPopup(() => popupContent(point), { autoPanPadding: [24, 24] });
    marker.on("popupclose", (event) => {
      const box = event.popup.getElement();
      if (box && box.contains(document.activeElement)) {
        marker.getElement().focus({ preventScroll: true });
      }
    });
    marker.on("add", () => {
      const icon = marker.getElement();
      icon.setAttribute("aria-label", `${point.number}. ${point.name}`);
      // Leaflet opens a marker's popup on Enter; a button opens on Space as well.
      icon.addEventListener("keydown", (event) => {
        if (event.key === " ") {
          event.preventDefault();
          marker.openPopup();
        }
      });
    });
    marker.addTo(map);
  }
  map.fitBounds(bounds, { padding: [32, 32], maxZoom: tiles ? 15 : 12 });

  // A popup opened from the keyboard takes the focus to its link; closed with the focus in
  // it, it gives the focus back to its marker (rather than losing it to the page).
  map.on("popupopen", (event) => {
    const box = event.popup.getElement();
    const close = box.querySelector(".leaflet-popup-close-button");
    if (close) close.setAttribute("aria-label", words.close);
    const focused = document.activeElement;
    if (focused && focused.classList.contains("map-marker")) {
      box.querySelector("a.map-popup-link").focus();
    }
  });

  function popupContent(point) {
    const box = document.createElement("p");
    box.className = "map-popup";
    const link = document.createElement("a");
    link.className = "map-popup-link";
    link.href = point.url;
    link.textContent = point.name;
    box.append(`${point.number}. `, link);
    return box;
  }

  // The offline map: US state outlines always; county lines once zoomed in far enough to
  // tell them apart (a larger file, fetched the first time it is needed).
  function drawOutlines(map, words) {
    const countyZoom = 7;
    const plain = { interactive: false };
    map.attributionControl.addAttribution(escapeText(words.attribution));
    fetchTopology(words.statesUrl).then((topology) => {
      const states = topojson.feature(topology, topology.objects.states);
      L.geoJSON(states, { ...plain, className: "map-state" }).addTo(map).bringToBack();
    });
    let counties = null;
    let loading = false;
    const showCounties = () => {
      const wanted = map.getZoom() >= countyZoom;
      if (counties) {
        if (wanted && !map.hasLayer(counties)) counties.addTo(map);
        if (!wanted && map.hasLayer(counties)) counties.remove();
        return;
      }
      if (!wanted || loading) return;
      loading = true;
      fetchTopology(words.countiesUrl).then((topology) => {
        // Lines between counties of the same state (state lines are drawn already).
        const lines = topojson.mesh(
          topology,
          topology.objects.counties,
          (a, b) => a !== b && String(a.id).slice(0, 2) === String(b.id).slice(0, 2),
        );
        counties = L.geoJSON(lines, { ...plain, className: "map-county" });
        loading = false;
        showCounties();
      }, () => { loading = false; });
    };
    map.on("zoomend", showCounties);
    map.whenReady(showCounties);
  }

  function fetchTopology(url) {
    return fetch(url).then((response) => {
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return response.json();
    });
  }

  function escapeText(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }
})();
