// The customer map page: one circle per customer with a map location,
// loaded from the regions:map-points JSON view, each linking to its edit page.
(function () {
  "use strict";

  var INDONESIA_CENTER = [-2.5, 118];
  var INDONESIA_ZOOM = 5;

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function popupFor(point) {
    // Built from DOM nodes, so a customer name is never read as HTML.
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.number + " · " + point.name;
    return link;
  }

  function setUpMap(element) {
    var summary = document.querySelector(".map-summary");
    // Canvas draws thousands of circles faster than one DOM node each.
    var map = L.map(element, { preferCanvas: true }).setView(INDONESIA_CENTER, INDONESIA_ZOOM);
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution }).addTo(map);
    var markers = L.featureGroup().addTo(map);
    element.customerMap = { map: map, markers: markers };

    fetch(element.dataset.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status + " from " + element.dataset.pointsUrl);
        }
        return response.json();
      })
      .then(function (data) {
        data.points.forEach(function (point) {
          L.circleMarker([point.lat, point.lng], { radius: 6, weight: 1, fillOpacity: 0.8 })
            .bindPopup(popupFor(point))
            .addTo(markers);
        });
        if (data.points.length) {
          map.fitBounds(markers.getBounds(), { padding: [20, 20], maxZoom: 16 });
        }
        var values = { shown: data.points.length, total: data.total };
        // Counts are grouped as the page's language writes them: 100.000 in id.
        var language = document.documentElement.lang || undefined;
        summary.textContent = format(
          data.truncated
            ? element.dataset.textTruncated
            : values.shown === 1 ? element.dataset.textSummaryOne : element.dataset.textSummary,
          { shown: values.shown.toLocaleString(language), total: values.total.toLocaleString(language) }
        );
        element.dispatchEvent(new CustomEvent("customermaploaded", { detail: values }));
      })
      .catch(function (error) {
        summary.textContent = element.dataset.textError;
        console.error(error);
      });
  }

  function setUpAll() {
    document.querySelectorAll("[data-customer-map]").forEach(setUpMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
