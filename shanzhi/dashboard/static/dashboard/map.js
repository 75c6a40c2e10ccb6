// The grid map: Leaflet, grid polygons coloured by a metric, a panel per grid (htmx).
// No tile server by default: a plain background; SHANZHI_MAP_TILE_URL adds a tile layer.
(function () {
  "use strict";
  var SCALE = ["#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"];
  var GOOD = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"];

  function colourFor(metric, value, max) {
    if (metric === "care_coverage") {
      if (value === null || value === undefined) { return "#e0e0e0"; }
      return GOOD[Math.min(4, Math.floor(value * 5))];
    }
    if (!value) { return "#f5f5f5"; }
    return SCALE[Math.min(4, Math.ceil((value / Math.max(max, 1)) * 4))];
  }

  function format(metric, value) {
    if (metric === "care_coverage") { return value === null || value === undefined ? "–" : Math.round(value * 100) + "%"; }
    return String(value || 0);
  }

  function init() {
    var node = document.getElementById("grid-map");
    if (!node || !window.L) { return; }
    var metric = node.dataset.metric;
    var label = node.getAttribute("data-label-" + metric);
    var map = window.L.map(node, { zoomSnap: 0.25, attributionControl: !!node.dataset.tileUrl });
    if (node.dataset.tileUrl) {
      window.L.tileLayer(node.dataset.tileUrl, { maxZoom: 18, attribution: node.dataset.tileAttribution || "" }).addTo(map);
    }
    fetch(node.dataset.map, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var max = 0;
        data.features.forEach(function (f) { max = Math.max(max, f.properties[metric] || 0); });
        var layer = window.L.geoJSON(data, {
          style: function (f) {
            return { color: "#555", weight: 1, fillOpacity: 0.75, fillColor: colourFor(metric, f.properties[metric], max) };
          },
          onEachFeature: function (f, shape) {
            shape.bindTooltip(f.properties.name + " · " + label + " " + format(metric, f.properties[metric]));
            shape.on("click", function () {
              var panel = document.getElementById("grid-panel");
              if (window.htmx) {
                window.htmx.ajax("GET", f.properties.panel, { target: panel, swap: "innerHTML" });
              } else {
                window.location.href = f.properties.panel;
              }
            });
          }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); } else { map.setView([45.77, 132.97], 9); }
        var body = document.querySelector("[data-map-table] tbody");
        data.features.forEach(function (f) {
          var p = f.properties;
          var tr = document.createElement("tr");
          [p.name, p.village, p.households, p.open_cases, p.overdue_cases, format("care_coverage", p.care_coverage)].forEach(function (v, i) {
            var td = document.createElement("td");
            td.textContent = String(v);
            if (i > 1) { td.className = "num"; }
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
        var legend = document.querySelector("[data-map-legend]");
        var colours = metric === "care_coverage" ? GOOD : SCALE;
        legend.textContent = label + ": ";
        colours.forEach(function (c, i) {
          var swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = c;
          swatch.title = metric === "care_coverage" ? (i * 20) + "–" + (i * 20 + 20) + "%" : "";
          legend.appendChild(swatch);
        });
        node.setAttribute("data-loaded", String(data.features.length));
      });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
