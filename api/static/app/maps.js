/* service-circles maps: popups, facility markers and amenity icons.
 *
 * The page sets window.CIRCLES = {lang, text, amenities} before this file runs; the
 * Folium layers call circlesMaps.* from their onEachFeature hooks. Popups are built as
 * DOM nodes with textContent, so names from data files can never inject markup.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";

  // 16x16 pictograms, one per amenity key of the rest_points layer.
  var AMENITY_ICONS = {
    water: { color: "#1f78b4", d: "M8 1C8 1 3 7 3 10.2a5 5 0 0 0 10 0C13 7 8 1 8 1z" },
    charging: { color: "#e6a100", d: "M9.5 1 3 9h4l-1.5 6L12 7H8z" },
    rain_gear: { color: "#6a3d9a", d: "M8 2a6.5 6.5 0 0 0-6.5 6.5h13A6.5 6.5 0 0 0 8 2zM7.2 8.5h1.6v4.3a2.2 2.2 0 0 1-4.4 0h1.6a.6.6 0 0 0 1.2 0z" },
    first_aid: { color: "#d7301f", d: "M6 1.5h4v4.5h4.5v4H10v4.5H6V10H1.5V6H6z" },
    masks_sanitiser: { color: "#238b45", d: "M3 5h10v4.5A3.5 3.5 0 0 1 9.5 13h-3A3.5 3.5 0 0 1 3 9.5zM1 6h2v1.5H1zm12 0h2v1.5h-2z" },
    seats: { color: "#8c510a", d: "M3 1.5h2v6h7v2H5v5H3zm8 8h2v5h-2z" },
    toilet: { color: "#3182bd", d: "M4 1.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM2.5 5.5h3L6 10H5v4.5H3V10H2zm9-4a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM10 5.5h3l1.5 5.5h-2v3.5h-2V11h-2z" },
    microwave: { color: "#636363", d: "M1 3.5h14v9H1zm1.5 1.5v6h8V5zm9.5 0v1.5h1.5V5zm0 3v1.5h1.5V8z" },
    stationery: { color: "#cc4c02", d: "M11.5 1.5 14.5 4.5 6 13 2 14 3 10z" },
  };

  var MARKER_SIZE = { station: [18, 18], centre: [22, 22], rest_point: [28, 28] };

  function config() {
    return window.CIRCLES || { lang: "zh", text: {}, amenities: {} };
  }

  function t(key, values) {
    var template = config().text[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      template = template.replace("{" + name + "}", values[name]);
    });
    return template;
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  function amenityIcon(key, size) {
    var spec = AMENITY_ICONS[key];
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", size || 16);
    svg.setAttribute("height", size || 16);
    svg.setAttribute("class", "circles-amenity-icon");
    svg.setAttribute("aria-hidden", "true");
    if (spec) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", spec.d);
      path.setAttribute("fill", spec.color);
      svg.appendChild(path);
    }
    return svg;
  }

  function splitList(value) {
    if (!value) return [];
    return String(value)
      .split(/[;；]/)
      .map(function (item) { return item.trim(); })
      .filter(function (item) { return item.length > 0; });
  }

  function row(container, label, value) {
    if (value === undefined || value === null || value === "") return;
    var line = el("div", "circles-popup-row");
    line.appendChild(el("span", "circles-popup-label", label + "："));
    line.appendChild(el("span", null, value));
    container.appendChild(line);
  }

  function amenityList(keys) {
    var list = el("ul", "circles-amenities");
    keys.forEach(function (key) {
      var item = el("li");
      item.appendChild(amenityIcon(key, 18));
      item.appendChild(el("span", null, config().amenities[key] || key));
      list.appendChild(item);
    });
    return list;
  }

  /* Popups of a fixed width that fits a phone (a fixed width also keeps a popup from
   * shifting when its fonts arrive). Leaflet's own auto-pan is off: keepPopupInside
   * pans once the map has stopped moving, with the panels' sizes as padding. */
  function popupOptions() {
    var width = Math.max(160, Math.min(260, window.innerWidth - 60));
    return { minWidth: width, maxWidth: width, autoPan: false };
  }

  /* The rectangles of the map's controls (zoom, layers, legend, panels). */
  function controlRects(map) {
    var rects = [];
    map.getContainer().querySelectorAll(".leaflet-top, .leaflet-bottom").forEach(function (corner) {
      corner.querySelectorAll(".leaflet-control").forEach(function (control) {
        if (control.classList.contains("leaflet-control-attribution")) return;
        if (control.classList.contains("leaflet-control-scale")) return;
        var rect = control.getBoundingClientRect();
        if (!rect.width || !rect.height) return;
        rects.push({ top: corner.classList.contains("leaflet-top"), rect: rect });
      });
    });
    return rects;
  }

  /* The part of the map a popup spanning [left, right] (screen x) may use: controls
   * above or below that span take a band off the top or the bottom. */
  function freeArea(map, left, right) {
    var box = map.getContainer().getBoundingClientRect();
    var area = { left: box.left + 8, top: box.top + 8, right: box.right - 8, bottom: box.bottom - 8 };
    var middle = box.top + box.height / 2;
    controlRects(map).forEach(function (item) {
      var rect = item.rect;
      if (rect.right <= left || rect.left >= right) return;
      if (item.top && rect.bottom < middle) area.top = Math.max(area.top, rect.bottom + 6);
      if (!item.top && rect.top > middle) area.bottom = Math.min(area.bottom, rect.top - 6);
    });
    if (map.circlesSidePanel) {
      var side = map.circlesSidePanel();
      if (side && side.bottom) area.bottom = Math.min(area.bottom, side.bottom - 6);
      if (side && side.left) area.left = Math.max(area.left, side.left + 6);
      if (side && side.right) area.right = Math.min(area.right, side.right - 6);
    }
    return area;
  }

  /* Pan the map so that the popup lies inside the free area (its top first); a popup
   * taller than that area scrolls inside. Returns whether the map had to move. */
  function keepPopupInside(map, popup) {
    var node = popup.getElement();
    if (!node || !map.hasLayer(popup)) return false;
    var rect = node.getBoundingClientRect();
    var whole = freeArea(map, -Infinity, -Infinity);
    var dx = 0;
    if (rect.right > whole.right) dx = rect.right - whole.right;
    if (rect.left - dx < whole.left) dx = rect.left - whole.left;
    var area = freeArea(map, rect.left - dx, rect.right - dx);
    var content = node.querySelector(".leaflet-popup-content");
    var room = Math.floor(area.bottom - area.top - 40);
    if (content && rect.height > area.bottom - area.top && room > 60) {
      content.style.maxHeight = room + "px";
      content.style.overflowY = "auto";
      popup.update();
      rect = node.getBoundingClientRect();
    }
    var dy = 0;
    if (rect.bottom > area.bottom) dy = rect.bottom - area.bottom;
    if (rect.top - dy < area.top) dy = rect.top - area.top;
    dx = Math.round(dx);
    dy = Math.round(dy);
    if (!dx && !dy) return false;
    map.panBy([dx, dy], { animate: false });
    return true;
  }

  function moving(map) {
    return Boolean(map._animatingZoom || (map._panAnim && map._panAnim._inProgress));
  }

  /* A popup just opened is kept inside once the map stands still: a zoom or pan that
   * started with it (fitBounds before openPopup) ends first, then the map pans. */
  function watchPopups(map) {
    var pending = null;
    function settle() {
      if (!pending || moving(map)) return;
      if (map._popup !== pending) { pending = null; return; }
      if (!keepPopupInside(map, pending)) pending = null;
    }
    map.on("popupopen", function (event) {
      pending = event.popup;
      // Two frames: a zoom requested with the popup has started by then.
      window.requestAnimationFrame(function () { window.requestAnimationFrame(settle); });
    });
    map.on("moveend zoomend", settle);
    map.on("popupclose", function (event) { if (event.popup === pending) pending = null; });
  }

  /* Popup content of a facility: name, kind, address, hours, services or amenities,
   * and the walking time when known (properties.minutes / properties.metres). */
  function facilityPopupContent(props) {
    var box = el("div", "circles-popup");
    box.appendChild(el("div", "circles-popup-title", props.name));
    if (props.kind_label) box.appendChild(el("div", "circles-popup-kind", props.kind_label));
    if (props.walk_label) {
      box.appendChild(el("div", "circles-popup-walk", props.walk_label));
    } else if (props.minutes !== undefined && props.minutes !== null) {
      box.appendChild(
        el("div", "circles-popup-walk", t("walk", {
          minutes: Math.max(1, Math.round(props.minutes)),
          metres: Math.round(props.metres || 0),
        }))
      );
    }
    row(box, t("address"), props.address);
    row(box, t("hours"), props.hours);
    var services = splitList(props.services);
    if (services.length) {
      box.appendChild(el("div", "circles-popup-label", t("services") + "："));
      var list = el("ul", "circles-services");
      services.forEach(function (item) { list.appendChild(el("li", null, item)); });
      box.appendChild(list);
    }
    var amenities = splitList(props.amenities);
    if (amenities.length) {
      box.appendChild(el("div", "circles-popup-label", t("amenities") + "："));
      box.appendChild(amenityList(amenities));
    }
    return box;
  }

  function markerIcon(kind, amenities) {
    var html = document.createElement("div");
    html.className = "circles-pin circles-pin-" + kind;
    if (amenities && amenities.length) {
      var strip = el("div", "circles-pin-amenities");
      amenities.slice(0, 4).forEach(function (key) { strip.appendChild(amenityIcon(key, 12)); });
      html.appendChild(strip);
    }
    return L.divIcon({
      className: "circles-marker circles-marker-" + kind,
      html: html,
      iconSize: MARKER_SIZE[kind],
      iconAnchor: [MARKER_SIZE[kind][0] / 2, MARKER_SIZE[kind][1] / 2],
      popupAnchor: [0, -10],
    });
  }

  /* onEachFeature of facility layers: a pin per kind, and the facility popup. */
  function facility(feature, layer) {
    var props = feature.properties || {};
    if (layer.setIcon) {
      layer.setIcon(markerIcon(props.marker || "station", splitList(props.amenities)));
    }
    layer.bindPopup(function () { return facilityPopupContent(props); }, popupOptions());
  }

  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? 26 : count < 50 ? 32 : 38;
    var kind = cluster.getAllChildMarkers()[0].options.circlesKind || "station";
    return L.divIcon({
      className: "circles-cluster circles-cluster-" + kind,
      html: "<span>" + count + "</span>",
      iconSize: [size, size],
    });
  }

  /* While the popup of `owner` (a marker) is open, draw the facility's own service
   * area: spec.url + "/" + id (GeoJSON in spec.crs), asked for when the popup first
   * opens and kept for the visit; drawn with spec.style, removed when the popup closes.
   * The map's container says what is shown in data-facility-area (an id, "loading",
   * "error" or nothing). */
  function areaOnPopup(map, owner, spec, facilityId) {
    var container = map.getContainer();
    var answer = null;
    var drawn = null;
    var opened = 0;
    function show(data) {
      if (drawn) map.removeLayer(drawn);
      drawn = L.geoJSON(data, {
        style: function () { return spec.style; },
        interactive: false,
        className: "circles-facility-area",
      }).addTo(map);
      container.dataset.facilityArea = facilityId;
    }
    owner.on("popupopen", function () {
      var ticket = ++opened;
      if (answer) { show(answer); return; }
      container.dataset.facilityArea = "loading";
      var url = spec.url + "/" + encodeURIComponent(facilityId) + "?out_crs=" + spec.crs;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          answer = data;
          if (ticket === opened && owner.isPopupOpen()) show(data);
        })
        .catch(function () {
          if (ticket === opened) container.dataset.facilityArea = "error";
        });
    });
    owner.on("popupclose", function () {
      opened += 1;
      if (drawn) map.removeLayer(drawn);
      drawn = null;
      delete container.dataset.facilityArea;
    });
  }

  /* A facility layer from a GeoJSON FeatureCollection. With options.cluster, the
   * markers are grouped (Leaflet.markercluster) until the streets are readable, and a
   * tap on a group is a tap on the map there (a location query), not a zoom. With
   * options.area ({url, crs, style}), an open popup shows the facility's own area. */
  function facilityLayer(map, data, options) {
    var markers = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { circlesKind: (feature.properties || {}).marker });
      },
      onEachFeature: function (feature, marker) {
        facility(feature, marker);
        var id = (feature.properties || {}).facility_id;
        if (options.area && id !== undefined && id !== null) {
          areaOnPopup(map, marker, options.area, String(id));
        }
      },
    });
    if (!options.cluster || !L.markerClusterGroup) return markers;
    var group = L.markerClusterGroup({
      maxClusterRadius: 44,
      disableClusteringAtZoom: 16,
      showCoverageOnHover: false,
      zoomToBoundsOnClick: false,
      spiderfyOnMaxZoom: false,
      iconCreateFunction: clusterIcon,
    });
    group.addLayer(markers);
    group.on("clusterclick", function (event) {
      map.fire("click", {
        latlng: event.latlng,
        layerPoint: event.layerPoint,
        containerPoint: event.containerPoint,
        originalEvent: event.originalEvent,
      });
    });
    return group;
  }

  /* Background tiles that cannot be loaded: say so once, in a short notice. */
  function watchTiles(map) {
    var failed = 0;
    var shown = false;
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer)) return;
      layer.on("tileerror", function () {
        failed += 1;
        if (shown || failed < 2) return;
        shown = true;
        var notice = el("div", "circles-tiles-notice", t("tiles_failed"));
        notice.setAttribute("role", "status");
        map.getContainer().appendChild(notice);
        map.getContainer().dataset.tilesFailed = "true";
      });
    });
  }

  /* Banners of the top bar collapse to one line; the choice holds for the visit. */
  function collapsibleBanners() {
    var key = "circles-banners-collapsed";
    var collapsed = false;
    try { collapsed = window.sessionStorage.getItem(key) === "1"; } catch (error) { collapsed = false; }
    var banners = document.querySelectorAll(".circles-banner");
    banners.forEach(function (banner) {
      if (banner.dataset.short) {
        banner.insertBefore(el("span", "circles-banner-short", banner.dataset.short), banner.firstChild);
      }
      var toggle = el("button", "circles-banner-toggle");
      toggle.type = "button";
      function show(state) {
        banner.classList.toggle("is-collapsed", state);
        toggle.textContent = state ? t("banner_expand") : t("banner_collapse");
        toggle.setAttribute("aria-expanded", String(!state));
      }
      toggle.addEventListener("click", function () {
        collapsed = !banner.classList.contains("is-collapsed");
        try { window.sessionStorage.setItem(key, collapsed ? "1" : "0"); } catch (error) { /* private mode */ }
        banners.forEach(function (other) {
          other.classList.toggle("is-collapsed", collapsed);
          var button = other.querySelector(".circles-banner-toggle");
          if (button) {
            button.textContent = collapsed ? t("banner_expand") : t("banner_collapse");
            button.setAttribute("aria-expanded", String(!collapsed));
          }
        });
        window.dispatchEvent(new Event("resize"));
      });
      banner.appendChild(toggle);
      show(collapsed);
    });
  }

  /* A small legend folded into a <details> control (closed on phones).
   * spec.items: [{swatch: "pin-station" | "pin-centre" | "pin-rest_point" | "area-..." |
   * "you" | "route" | "route-straight" | "circle", label}], spec.amenities: show the
   * pictograms of the rest points' amenities. */
  function legend(map, spec) {
    var Legend = L.Control.extend({
      options: { position: spec.position || "topright" },
      onAdd: function () {
        var box = el("details", "circles-panel circles-legend circles-map-legend leaflet-bar");
        box.open = true;
        box.appendChild(el("summary", "circles-legend-title", t("legend_title")));
        (spec.items || []).forEach(function (item) {
          var line = el("div", "circles-legend-row");
          var swatch = el("span", "circles-legend-symbol circles-legend-" + item.swatch);
          if (item.color) swatch.style.setProperty("--swatch", item.color);
          line.appendChild(swatch);
          line.appendChild(el("span", null, item.label));
          box.appendChild(line);
        });
        if (spec.amenities) {
          box.appendChild(el("div", "circles-legend-subtitle", t("legend_amenities")));
          var list = amenityList(Object.keys(config().amenities));
          list.classList.add("circles-legend-amenities");
          box.appendChild(list);
        }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    new Legend().addTo(map);
  }

  /* What every page does once its map exists: a metric scale, popups inside the
   * viewport, a notice when tiles fail, collapsible banners, legends folded on phones. */
  function page(map) {
    L.control.scale({ imperial: false, metric: true, maxWidth: 120 }).addTo(map);
    watchPopups(map);
    watchTiles(map);
    collapsibleBanners();
    if (window.innerWidth < 600) {
      document.querySelectorAll("details.circles-legend").forEach(function (node) { node.open = false; });
    }
    map.invalidateSize();
  }

  /* onEachFeature of grid polygons (planner): residents, coverage, nearest time. */
  function grid(feature, layer) {
    var props = feature.properties || {};
    layer.bindPopup(function () {
      var box = el("div", "circles-popup");
      box.appendChild(el("div", "circles-popup-title", props.name));
      row(box, t("community"), props.community);
      row(box, t("residents"), props.residents);
      row(box, t("uncovered"), props.uncovered);
      if (props.share_covered !== undefined && props.share_covered !== null) {
        row(box, t("covered_share"), Math.round(props.share_covered * 100) + "%");
      }
      if (props.nearest_minutes !== undefined && props.nearest_minutes !== null) {
        box.appendChild(
          el("div", "circles-popup-walk", t("nearest_minutes", {
            minutes: Math.round(props.nearest_minutes),
          }))
        );
      }
      return box;
    }, popupOptions());
  }

  /* onEachFeature of suggested sites (planner): rank and residents added. */
  function site(feature, layer) {
    var props = feature.properties || {};
    if (layer.setIcon) {
      var html = el("div", "circles-pin circles-pin-site", props.rank);
      layer.setIcon(L.divIcon({
        className: "circles-marker circles-marker-site",
        html: html,
        iconSize: [28, 28],
        iconAnchor: [14, 14],
      }));
    }
    layer.bindPopup(function () {
      var box = el("div", "circles-popup");
      box.appendChild(el("div", "circles-popup-title", props.name));
      box.appendChild(el("div", "circles-popup-kind", t("kind_site") + " · " + t("rank", { rank: props.rank })));
      box.appendChild(el("div", "circles-popup-walk", t("adds", { residents: props.residents_added })));
      return box;
    }, popupOptions());
  }

  window.circlesMaps = {
    t: t,
    el: el,
    amenityIcon: amenityIcon,
    amenityList: amenityList,
    areaOnPopup: areaOnPopup,
    facility: facility,
    facilityLayer: facilityLayer,
    facilityPopupContent: facilityPopupContent,
    keepPopupInside: keepPopupInside,
    legend: legend,
    page: page,
    popupOptions: popupOptions,
    splitList: splitList,
    grid: grid,
    site: site,
  };
})();
