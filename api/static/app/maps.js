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

  /* Popups of a fixed width that fits beside the zoom and layer controls on a phone
   * (a fixed width also keeps a popup from shifting when its fonts arrive). */
  function popupOptions() {
    var width = Math.max(160, Math.min(260, window.innerWidth - 130));
    return {
      minWidth: width,
      maxWidth: width,
      autoPanPaddingTopLeft: [58, 64],
      autoPanPaddingBottomRight: [58, 10],
    };
  }

  /* Popup content of a facility: name, kind, address, hours, services or amenities,
   * and the walking time when known (properties.minutes / properties.metres). */
  function facilityPopupContent(props) {
    var box = el("div", "circles-popup");
    box.appendChild(el("div", "circles-popup-title", props.name));
    if (props.kind_label) box.appendChild(el("div", "circles-popup-kind", props.kind_label));
    if (props.minutes !== undefined && props.minutes !== null) {
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
    facility: facility,
    facilityPopupContent: facilityPopupContent,
    popupOptions: popupOptions,
    grid: grid,
    site: site,
  };
})();
