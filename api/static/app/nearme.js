/* service-circles "near me": from the browser's location or a tap on the map, ask
 * /api/nearest for the nearest few facilities and draw them with their walking routes.
 *
 * circlesNearMe(map, options) with options:
 *   api     URL of the nearest endpoint ("/api/nearest")
 *   layers  [{name: "stations", label: "..."}, ...]; the first is selected
 *   k       how many to show
 *   tapCrs  coordinate system of the map's own coordinates ("wgs84", or "gcj02" on Amap)
 *   outCrs  coordinate system to draw the answer in (the same as tapCrs)
 *   filters amenity keys offered as filters (rest points), "24h" for open 24 hours
 *   areas   per layer, the spec of circlesMaps.areaOnPopup: a found facility's own area
 *           is shown while its popup is open
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
    var chosenFilters = {};
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
        if ((options.filters || []).length) {
          var filters = el("div", "circles-filters");
          filters.appendChild(el("span", "circles-filters-label", t("filter_label")));
          options.filters.forEach(function (key) {
            var chip = el("button", "circles-button circles-filter");
            chip.type = "button";
            chip.dataset.amenity = key;
            chip.setAttribute("aria-pressed", "false");
            if (key !== "24h") chip.appendChild(maps.amenityIcon(key, 16));
            chip.appendChild(el("span", null, key === "24h" ? t("filter_24h") : (window.CIRCLES.amenities[key] || key)));
            chip.addEventListener("click", function () {
              var on = chip.getAttribute("aria-pressed") !== "true";
              chip.setAttribute("aria-pressed", String(on));
              if (on) chosenFilters[key] = true; else delete chosenFilters[key];
              if (lastQuery) query(lastQuery.lon, lastQuery.lat, lastQuery.crs);
            });
            filters.appendChild(chip);
          });
          panel.appendChild(filters);
        }
        this.place = el("div", "circles-place");
        this.place.hidden = true;
        panel.appendChild(this.place);
        this.status = el("div", "circles-nearme-status",
          t(selected === "rest_points" ? "tap_hint_rest_points" : "tap_hint"));
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
      Object.keys(chosenFilters).sort().forEach(function (key) {
        if (key === "24h") params.append("open_24h", "true");
        else params.append("amenity", key);
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

    /* Which grid the point is in, its community and street office, its contact. */
    function showPlace(place) {
      var box = panel.place;
      box.textContent = "";
      box.hidden = !(place && place.grid);
      if (box.hidden) return;
      var grid = place.grid;
      box.appendChild(el("div", "circles-place-grid", t("grid_here", { grid: grid.name })));
      var where = [grid.community, grid.street].filter(function (v) { return v; }).join(" · ");
      if (where) box.appendChild(el("div", "circles-place-where", where));
      if (grid.leader || grid.phone) {
        var contact = el("div", "circles-place-contact");
        if (grid.leader) contact.appendChild(el("span", null, t("grid_leader") + "：" + grid.leader + " "));
        if (grid.phone) {
          contact.appendChild(el("span", null, t("grid_phone") + "："));
          var call = el("a", "circles-place-phone", grid.phone);
          call.href = "tel:" + String(grid.phone).replace(/[^0-9+]/g, "");
          contact.appendChild(call);
        }
        box.appendChild(contact);
      }
    }

    function walkLabel(result, approximate) {
      var minutes = Math.max(1, Math.round(result.minutes));
      if (approximate) {
        var straight = result.metres / (options.detourFactor || 1);
        return t("straight_walk", { metres: Math.round(straight), minutes: minutes });
      }
      return t("walk", { minutes: minutes, metres: Math.round(result.metres) });
    }

    function headline(answer) {
      var first = answer.results[0];
      var layer = answer.layer;
      var district = (window.CIRCLES || {}).district || "";
      if (answer.place && !answer.place.inside) {
        return t("outside_district", { district: district || t("outside_area") });
      }
      if (first.metres > 3 * answer.circle.metres) {
        return t("far_from_all", { minutes: Math.round(first.minutes) });
      }
      if (first.within_circle) {
        return t(layer === "rest_points" ? "nearest_heading_rest_points" : "nearest_heading");
      }
      return t(layer === "rest_points" ? "none_within_rest_points" : "none_within");
    }

    function listItem(answer, result, route, marker, origin) {
      var item = el("li", "circles-nearme-item");
      var button = el("button", "circles-nearme-result");
      button.type = "button";
      button.appendChild(el("span", "circles-nearme-name", result.name));
      button.appendChild(el("span", "circles-nearme-walk", walkLabel(result, answer.approximate)));
      var facts = el("span", "circles-nearme-facts");
      if (!result.within_circle) {
        facts.appendChild(el("span", "circles-flag circles-flag-beyond", t("beyond_circle", {
          circle: t("circle_" + answer.layer),
        })));
      }
      if (result.open_now === true) facts.appendChild(el("span", "circles-flag circles-flag-open", t("open_now")));
      if (result.open_now === false) facts.appendChild(el("span", "circles-flag circles-flag-closed", t("closed_now")));
      if (result.hours) facts.appendChild(el("span", "circles-nearme-hours", result.hours));
      if (facts.childNodes.length) button.appendChild(facts);
      var amenities = maps.splitList(result.amenities);
      if (amenities.length) {
        var icons = el("span", "circles-nearme-amenities");
        amenities.forEach(function (key) {
          var icon = maps.amenityIcon(key, 18);
          var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
          title.textContent = window.CIRCLES.amenities[key] || key;
          icon.appendChild(title);
          icon.setAttribute("data-amenity", key);
          icons.appendChild(icon);
        });
        button.appendChild(icons);
      }
      button.addEventListener("click", function () {
        map.fitBounds(route.getBounds().extend(origin), fitOptions());
        marker.openPopup();
      });
      item.appendChild(button);
      return item;
    }

    function draw(answer) {
      drawn.clearLayers();
      panel.list.textContent = "";
      showPlace(answer.place);
      var origin = L.latLng(answer.origin.lat, answer.origin.lon);
      L.circleMarker(origin, {
        radius: 9, color: "#ffffff", weight: 3, fillColor: "#1565c0", fillOpacity: 1,
        className: "circles-origin",
      }).bindTooltip(t("you")).addTo(drawn);
      if (!answer.results.length) {
        var filtered = answer.filter && (answer.filter.amenity.length || answer.filter.open_24h);
        setStatus("done", t(filtered ? "no_match" : "no_results"));
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
          className: "circles-route circles-route-" + result.rank +
            (answer.approximate ? " circles-route-straight" : ""),
        }).addTo(drawn);
        if (answer.approximate && first) {
          route.bindTooltip(t("straight_route"), {
            permanent: true, direction: "center", className: "circles-route-label",
          });
        }
        var marker = L.circleMarker([result.location[1], result.location[0]], {
          radius: first ? 10 : 8, color: "#ffffff", weight: 2,
          fillColor: first ? "#d84315" : "#8d6e63", fillOpacity: 1,
          className: "circles-result",
        }).addTo(drawn);
        var props = Object.assign({}, result, {
          kind_label: t(answer.layer === "rest_points" ? "kind_rest_point" : "kind_" + result.kind),
          walk_label: walkLabel(result, answer.approximate),
        });
        marker.bindPopup(function () { return maps.facilityPopupContent(props); }, maps.popupOptions());
        route.bindPopup(function () { return maps.facilityPopupContent(props); }, maps.popupOptions());
        var area = (options.areas || {})[answer.layer];
        if (area) {
          maps.areaOnPopup(map, marker, area, String(result.facility_id));
          maps.areaOnPopup(map, route, area, String(result.facility_id));
        }
        panel.list.appendChild(listItem(answer, result, route, marker, origin));
      });
      setStatus("done", headline(answer));
      map.fitBounds(drawn.getBounds(), fitOptions());
    }

    map.on("click", function (event) {
      query(event.latlng.lng, event.latlng.lat, options.tapCrs || "wgs84");
    });

    return { query: query, locate: locateMe };
  }

  window.circlesNearMe = circlesNearMe;
})();
