/* service-circles "near me": from the browser's location or a tap on the map, ask
 * /api/nearest for the nearest few facilities and draw them with their walking routes.
 *
 * circlesNearMe(map, options) with options:
 *   api     URL of the nearest endpoint ("/api/nearest")
 *   layers  [{name: "stations", label: "..."}, ...]; the first is selected
 *   k       how many to show
 *   tapCrs  coordinate system of the map's own coordinates ("wgs84", or "gcj02" on Amap)
 *   outCrs  coordinate system to draw the answer in (the same as tapCrs)
 * The map container carries data-nearest-status = "idle" | "loading" | "done" | "error".
 */
(function () {
  "use strict";

  function circlesNearMe(map, options) {
    var maps = window.circlesMaps;
    var t = maps.t;
    var el = maps.el;
    var layers = options.layers || [];
    var selected = layers.length ? layers[0].name : null;
    var drawn = L.featureGroup().addTo(map);
    var container = map.getContainer();
    var lastQuery = null;
    container.dataset.nearestStatus = "idle";

    var Panel = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var panel = el("div", "circles-panel circles-nearme leaflet-bar");
        L.DomEvent.disableClickPropagation(panel);
        L.DomEvent.disableScrollPropagation(panel);
        var buttons = el("div", "circles-nearme-buttons");
        var locate = el("button", "circles-button circles-locate", t("locate"));
        locate.type = "button";
        locate.addEventListener("click", locateMe);
        buttons.appendChild(locate);
        if (layers.length > 1) {
          layers.forEach(function (layer) {
            var choice = el("button", "circles-button circles-layer-choice", layer.label);
            choice.type = "button";
            choice.dataset.layer = layer.name;
            choice.setAttribute("aria-pressed", String(layer.name === selected));
            choice.addEventListener("click", function () {
              selected = layer.name;
              panel.querySelectorAll(".circles-layer-choice").forEach(function (other) {
                other.setAttribute("aria-pressed", String(other.dataset.layer === selected));
              });
              if (lastQuery) query(lastQuery.lon, lastQuery.lat, lastQuery.crs);
            });
            buttons.appendChild(choice);
          });
        }
        panel.appendChild(buttons);
        this.status = el("div", "circles-nearme-status", t("tap_hint"));
        this.status.setAttribute("role", "status");
        panel.appendChild(this.status);
        this.list = el("ol", "circles-nearme-list");
        panel.appendChild(this.list);
        return panel;
      },
    });
    var panel = new Panel();
    panel.addTo(map);

    function setStatus(state, message) {
      container.dataset.nearestStatus = state;
      panel.status.textContent = message;
    }

    /* Fit answers into the part of the map this panel leaves free. */
    function fitOptions() {
      var bottom = panel.getContainer().offsetHeight + 20;
      return { paddingTopLeft: [20, 20], paddingBottomRight: [20, bottom], maxZoom: 17 };
    }

    function locateMe() {
      if (!navigator.geolocation) {
        setStatus("error", t("no_location"));
        return;
      }
      setStatus("loading", t("searching"));
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // The Geolocation API answers in WGS-84.
          query(position.coords.longitude, position.coords.latitude, "wgs84");
        },
        function () { setStatus("error", t("no_location")); },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    }

    function query(lon, lat, crs) {
      lastQuery = { lon: lon, lat: lat, crs: crs };
      var params = new URLSearchParams({
        lon: lon.toFixed(6),
        lat: lat.toFixed(6),
        crs: crs,
        out_crs: options.outCrs || "wgs84",
        layer: selected,
        k: String(options.k || 3),
      });
      setStatus("loading", t("searching"));
      fetch(options.api + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              throw new Error(body && body.error ? body.error.message : response.statusText);
            }
            return body;
          });
        })
        .then(draw)
        .catch(function (error) { setStatus("error", t("failed") + error.message); });
    }

    function draw(answer) {
      drawn.clearLayers();
      panel.list.textContent = "";
      var origin = L.latLng(answer.origin.lat, answer.origin.lon);
      L.circleMarker(origin, {
        radius: 9, color: "#ffffff", weight: 3, fillColor: "#1565c0", fillOpacity: 1,
        className: "circles-origin",
      }).bindTooltip(t("you")).addTo(drawn);
      if (!answer.results.length) {
        setStatus("done", t("no_results"));
        return;
      }
      answer.results.forEach(function (result, index) {
        var latlngs = result.route.coordinates.map(function (xy) { return [xy[1], xy[0]]; });
        var first = index === 0;
        var route = L.polyline(latlngs, {
          color: first ? "#d84315" : "#8d6e63",
          weight: first ? 6 : 4,
          opacity: first ? 0.9 : 0.6,
          dashArray: answer.approximate ? "8 8" : null,
          className: "circles-route circles-route-" + result.rank,
        }).addTo(drawn);
        var marker = L.circleMarker([result.location[1], result.location[0]], {
          radius: first ? 10 : 8, color: "#ffffff", weight: 2,
          fillColor: first ? "#d84315" : "#8d6e63", fillOpacity: 1,
          className: "circles-result",
        }).addTo(drawn);
        var props = Object.assign({}, result, {
          kind_label: t(answer.layer === "rest_points" ? "kind_rest_point" : "kind_" + result.kind),
        });
        marker.bindPopup(function () { return maps.facilityPopupContent(props); }, maps.popupOptions());
        route.bindPopup(function () { return maps.facilityPopupContent(props); }, maps.popupOptions());

        var item = el("li", "circles-nearme-item");
        var button = el("button", "circles-nearme-result");
        button.type = "button";
        button.appendChild(el("span", "circles-nearme-name", result.name));
        button.appendChild(el("span", "circles-nearme-walk", t("walk", {
          minutes: Math.max(1, Math.round(result.minutes)),
          metres: Math.round(result.metres),
        }) + (answer.approximate ? " (" + t("approx_label") + ")" : "")));
        button.addEventListener("click", function () {
          map.fitBounds(route.getBounds().extend(origin), fitOptions());
          marker.openPopup();
        });
        item.appendChild(button);
        panel.list.appendChild(item);
      });
      var inside = answer.results.length && answer.results[0].within_circle;
      setStatus("done", inside ? t("nearest_heading") : t("none_within"));
      map.fitBounds(drawn.getBounds(), fitOptions());
    }

    map.on("click", function (event) {
      query(event.latlng.lng, event.latlng.lat, options.tapCrs || "wgs84");
    });

    return { query: query, locate: locateMe };
  }

  window.circlesNearMe = circlesNearMe;
})();
