/* service-circles planner page: a side panel (a bottom sheet on a phone) with the layer,
 * the rule and k, coverage figures, suggested sites, what-if edits in the browser with
 * undo and a token-protected save of them all at once (all or none), the upload of a replacement layer and exports.
 *
 * circlesPlanner(map, options): options are written by api/maps/planner.py (layers,
 * presets, colourings, words are in window.CIRCLES.text). Every figure comes from the
 * service's API; the page computes nothing itself but the colours of the grids.
 * The map container carries data-planner-status = "loading" | "ready" | "error" and
 * data-whatif-status = "idle" | "loading" | "done" | "error".
 */
(function () {
  "use strict";

  var TOKEN_KEY = "circles-planner-token";

  function circlesPlanner(map, options) {
    var maps = window.circlesMaps;
    var t = maps.t;
    var el = maps.el;
    var container = map.getContainer();
    var layersByName = {};
    options.layers.forEach(function (layer) { layersByName[layer.name] = layer; });

    var state = {
      layer: options.layers[0].name,
      preset: "default",
      unit: options.layers[0].rule.unit,
      limit: options.layers[0].rule.limit,
      speed: options.speed,
      k: options.k,
      colouring: "uncovered",
      edits: [],
      grids: null,
      summary: null,
      facilities: null,
      version: null,
      refused: null,
      added: 0,
    };

    var gridLayer = L.geoJSON(null, { className: "circles-grid", onEachFeature: bindGrid }).addTo(map);
    var areaLayer = L.geoJSON(null, { interactive: false, className: "circles-area" }).addTo(map);
    var facilityLayer = L.layerGroup().addTo(map);
    var siteLayer = L.layerGroup().addTo(map);
    var changedLayer = L.geoJSON(null, { interactive: false }).addTo(map);

    // ---------------------------------------------------------------- the panel

    var side = el("aside", "circles-side");
    side.setAttribute("aria-label", t("planner_panel"));
    L.DomEvent.disableClickPropagation(side);
    L.DomEvent.disableScrollPropagation(side);
    var head = el("div", "circles-side-head");
    var toggle = el("button", "circles-button circles-side-toggle", t("panel_hide"));
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "true");
    head.appendChild(el("span", "circles-side-title", t("planner_panel")));
    head.appendChild(toggle);
    side.appendChild(head);
    var body = el("div", "circles-side-body");
    side.appendChild(body);
    container.appendChild(side);
    toggle.addEventListener("click", function () {
      var collapsed = !side.classList.contains("is-collapsed");
      side.classList.toggle("is-collapsed", collapsed);
      toggle.textContent = collapsed ? t("panel_show") : t("panel_hide");
      toggle.setAttribute("aria-expanded", String(!collapsed));
    });

    function section(title, className) {
      var box = el("section", "circles-side-section " + (className || ""));
      box.appendChild(el("h2", "circles-side-heading", title));
      body.appendChild(box);
      return box;
    }

    function field(parent, label, input) {
      var line = el("label", "circles-field");
      line.appendChild(el("span", "circles-field-label", label));
      line.appendChild(input);
      parent.appendChild(line);
      return input;
    }

    function select(name, choices, value) {
      var node = el("select", "circles-input");
      node.name = name;
      choices.forEach(function (choice) {
        var option = el("option", null, choice.label);
        option.value = choice.value;
        if (choice.value === value) option.selected = true;
        node.appendChild(option);
      });
      return node;
    }

    function number(name, value, min, max, step) {
      var node = el("input", "circles-input");
      node.type = "number";
      node.name = name;
      node.value = String(value);
      node.min = String(min);
      node.max = String(max);
      node.step = String(step);
      return node;
    }

    function button(label, className) {
      var node = el("button", "circles-button " + (className || ""), label);
      node.type = "button";
      return node;
    }

    // What to plan for.
    var plan = section(t("plan_heading"), "circles-plan");
    var layerSelect = field(plan, t("plan_layer"), select("layer", options.layers.map(function (layer) {
      return { value: layer.name, label: layer.label };
    }), state.layer));
    var presetSelect = field(plan, t("plan_preset"), select("preset", [
      { value: "default", label: t("preset_default") },
      { value: "gb50180", label: t("preset_gb50180") },
      { value: "custom", label: t("preset_custom") },
    ], "default"));
    var limitRow = el("div", "circles-field-row");
    plan.appendChild(limitRow);
    var limitInput = field(limitRow, t("plan_limit"), number("limit", state.limit, 1, 5000, 1));
    var unitSelect = field(limitRow, t("plan_unit"), select("unit", [
      { value: "min", label: t("unit_minutes") },
      { value: "m", label: t("unit_metres") },
    ], state.unit));
    var speedInput = field(plan, t("plan_speed"), number("speed", state.speed, 1, 10, 0.1));
    var kInput = field(plan, t("plan_k"), number("k", state.k, 1, 50, 1));
    var colouringSelect = field(plan, t("plan_colouring"), select("colouring", Object.keys(options.colourings).map(function (name) {
      return { value: name, label: options.colourings[name].title };
    }), state.colouring));

    // Figures: before / after.
    var figures = section(t("figures_heading"), "circles-figures");
    var figureTable = el("table", "circles-figure-table");
    figures.appendChild(figureTable);
    var ruleLine = el("div", "circles-rule-line");
    figures.appendChild(ruleLine);

    // What-if.
    var whatif = section(t("whatif_heading"), "circles-whatif");
    whatif.appendChild(el("p", "circles-hint", t("whatif_hint")));
    var whatifButtons = el("div", "circles-button-row");
    var addButton = button(t("whatif_add"), "circles-whatif-add");
    addButton.setAttribute("aria-pressed", "false");
    var undoButton = button(t("whatif_undo"), "circles-whatif-undo");
    var saveButton = button(t("whatif_save"), "circles-whatif-save");
    [addButton, undoButton, saveButton].forEach(function (node) { whatifButtons.appendChild(node); });
    whatif.appendChild(whatifButtons);
    var tokenRow = el("div", "circles-token");
    tokenRow.hidden = true;
    var tokenInput = field(tokenRow, t("token_label"), el("input", "circles-input"));
    tokenInput.type = "password";
    tokenInput.name = "token";
    tokenInput.autocomplete = "off";
    whatif.appendChild(tokenRow);
    var editList = el("ol", "circles-edit-list");
    whatif.appendChild(editList);
    var whatifStatus = el("div", "circles-status circles-whatif-status");
    whatifStatus.setAttribute("role", "status");
    whatif.appendChild(whatifStatus);

    // Suggestions.
    var sites = section(t("sites_heading"), "circles-sites");
    var sitesButton = button(t("sites_run"), "circles-sites-run");
    sites.appendChild(sitesButton);
    var sitesSummary = el("div", "circles-sites-summary");
    sites.appendChild(sitesSummary);
    var sitesList = el("ol", "circles-sites-list");
    sites.appendChild(sitesList);

    // Upload.
    var upload = section(t("upload_heading"), "circles-upload");
    var uploadLayer = field(upload, t("upload_layer"), select("upload_layer", options.dataLayers.map(function (name) {
      return { value: name, label: t("data_layer_" + name) };
    }), "stations"));
    var uploadCrs = field(upload, t("upload_crs"), select("upload_crs", options.crsChoices.map(function (name) {
      return { value: name, label: t("crs_" + name) };
    }), "wgs84"));
    var uploadFile = field(upload, t("upload_file"), el("input", "circles-input"));
    uploadFile.type = "file";
    uploadFile.name = "file";
    uploadFile.accept = ".geojson,.json,.gpkg,.zip,.csv,.xlsx";
    var uploadButton = button(t("upload_run"), "circles-upload-run");
    upload.appendChild(uploadButton);
    var uploadStatus = el("div", "circles-status circles-upload-status");
    uploadStatus.setAttribute("role", "status");
    upload.appendChild(uploadStatus);
    var reportBox = el("div", "circles-report");
    upload.appendChild(reportBox);

    // Exports.
    var exportsBox = section(t("export_heading"), "circles-exports");
    exportsBox.appendChild(el("p", "circles-hint", t("export_hint")));
    var exportCrs = field(exportsBox, t("export_crs"), select("out_crs", options.crsChoices.map(function (name) {
      return { value: name, label: t("crs_" + name) };
    }), "wgs84"));
    var exportRow = el("div", "circles-button-row");
    options.exports.forEach(function (format) {
      var node = button(t("export_" + format), "circles-export");
      node.dataset.format = format;
      node.addEventListener("click", function () { download(format, node); });
      exportRow.appendChild(node);
    });
    exportsBox.appendChild(exportRow);
    var exportStatus = el("div", "circles-status circles-export-status");
    exportStatus.setAttribute("role", "status");
    exportsBox.appendChild(exportStatus);

    // The legend of the one grid colouring shown.
    var Legend = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = el("div", "circles-panel circles-legend circles-grid-legend leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    var legend = new Legend();
    legend.addTo(map);

    // Popups and fits keep clear of the panel.
    map.circlesSidePanel = function () {
      if (side.classList.contains("is-collapsed")) return null;
      var rect = side.getBoundingClientRect();
      var box = container.getBoundingClientRect();
      if (rect.width >= box.width - 20) return { bottom: rect.top };
      return { left: rect.right };
    };

    function fitPadding() {
      var panel = map.circlesSidePanel();
      var options_ = { paddingTopLeft: [12, 12], paddingBottomRight: [12, 12] };
      if (panel && panel.left) options_.paddingTopLeft = [panel.left - container.getBoundingClientRect().left + 12, 12];
      if (panel && panel.bottom) options_.paddingBottomRight = [12, container.getBoundingClientRect().bottom - panel.bottom + 12];
      return options_;
    }

    // ---------------------------------------------------------------- requests

    // GeoJSON answers come in the coordinate system the map draws in (GCJ-02 on Amap).
    function drawnIn(url) {
      if (options.crs === "wgs84") return url;
      return url + (url.indexOf("?") < 0 ? "?" : "&") + "out_crs=" + encodeURIComponent(options.crs);
    }

    function ruleParams() {
      var params = new URLSearchParams({ layer: state.layer });
      if (state.preset === "gb50180") {
        params.set("rule", "gb50180");
      } else if (state.preset === "custom" || state.speed !== options.speed) {
        if (state.unit === "min" && state.speed === options.speed) params.set("minutes", String(state.limit));
        else if (state.unit === "min") params.set("metres", String(Math.round(state.limit * state.speed * 1000 / 60)));
        else params.set("metres", String(state.limit));
      }
      return params;
    }

    // The chosen circle as the JSON APIs take it: {} for the layer's own rule.
    function ruleBody() {
      var rule = ruleParams();
      var body = {};
      if (rule.has("minutes")) body.minutes = Number(rule.get("minutes"));
      if (rule.has("metres")) body.metres = Number(rule.get("metres"));
      if (rule.get("rule") === "gb50180") body.metres = layersByName[state.layer].gb50180.limit;
      return body;
    }

    // A what-if request: the edits, compared before and after under the chosen circle.
    function whatifBody(edits) {
      var body = { edits: edits, crs: options.crs };
      var rule = ruleBody();
      if (Object.keys(rule).length) body.rules = [Object.assign({ layer: state.layer }, rule)];
      return body;
    }

    function json(url, init) {
      return fetch(url, Object.assign({ headers: { Accept: "application/json" } }, init || {}))
        .then(function (response) {
          return response.json().then(function (payload) {
            if (!response.ok) {
              var error = new Error(payload && payload.error ? payload.error.message : response.statusText);
              error.status = response.status;
              error.code = payload && payload.error ? payload.error.code : null;
              error.detail = payload && payload.error ? payload.error.detail : null;
              throw error;
            }
            return payload;
          });
        });
    }

    function setStatus(node, message, kind) {
      node.textContent = message || "";
      node.dataset.kind = kind || "";
    }

    // ---------------------------------------------------------------- grids

    function leftOut(props, covered) {
      return Math.max(0, (props.residents || 0) - (covered === undefined ? props.residents_covered : covered));
    }

    function colourOf(props) {
      var spec = options.colourings[state.colouring];
      var value;
      if (state.colouring === "uncovered") value = leftOut(props);
      else if (state.colouring === "share") value = -(props.share_covered);
      else value = props.nearest_minutes;
      if (value === null || value === undefined || !isFinite(value)) return spec.noData;
      var colour = spec.colours[0];
      spec.edges.forEach(function (edge, index) { if (value >= edge) colour = spec.colours[index]; });
      return colour;
    }

    function restyle() {
      gridLayer.setStyle(function (feature) {
        return { fillColor: colourOf(feature.properties), color: "#78909c", weight: 0.6, fillOpacity: 0.65 };
      });
      var spec = options.colourings[state.colouring];
      var box = legend.getContainer();
      box.textContent = "";
      box.appendChild(el("div", "circles-legend-title", spec.title));
      spec.colours.forEach(function (colour, index) {
        var line = el("div", "circles-legend-row");
        var swatch = el("span", "circles-legend-swatch");
        swatch.style.background = colour;
        line.appendChild(swatch);
        line.appendChild(el("span", null, spec.labels[index]));
        box.appendChild(line);
      });
      container.dataset.colouring = state.colouring;
    }

    function bindGrid(feature, layer) {
      layer.bindPopup(function () {
        var props = feature.properties;
        var box = el("div", "circles-popup");
        box.appendChild(el("div", "circles-popup-title", props.name));
        [["community", props.community], ["residents", Math.round(props.residents)],
          ["uncovered", Math.round(leftOut(props))],
          ["covered_share", Math.round(100 * props.share_covered) + "%"]].forEach(function (pair) {
          if (pair[1] === null || pair[1] === undefined) return;
          var line = el("div", "circles-popup-row");
          line.appendChild(el("span", "circles-popup-label", t(pair[0]) + "："));
          line.appendChild(el("span", null, pair[1]));
          box.appendChild(line);
        });
        if (props.nearest_minutes !== null && props.nearest_minutes !== undefined) {
          box.appendChild(el("div", "circles-popup-walk", t("nearest_minutes", { minutes: Math.round(props.nearest_minutes) })));
        }
        return box;
      }, maps.popupOptions());
    }

    function underservedCount(features) {
      return features.filter(function (feature) { return leftOut(feature.properties) > 0.5; }).length;
    }

    function loadCoverage() {
      container.dataset.plannerStatus = "loading";
      var params = ruleParams();
      return Promise.all([
        json(drawnIn(options.api.grids + "?" + params.toString())),
        json(drawnIn(options.api.coverage + "?" + params.toString())),
      ]).then(function (answers) {
        state.grids = answers[0];
        state.summary = answers[0].summary;
        gridLayer.clearLayers();
        gridLayer.addData(answers[0]);
        areaLayer.clearLayers();
        var colour = layersByName[state.layer].colour;
        areaLayer.options.style = function () {
          return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.08 };
        };
        areaLayer.addData(answers[1].service_areas);
        restyle();
        ruleLine.textContent = t("rule_line", { rule: answers[0].rule.label });
        return loadFacilities();
      }).then(function () {
        return runWhatIf();
      }).then(function () {
        container.dataset.plannerStatus = "ready";
      }).catch(function (error) {
        container.dataset.plannerStatus = "error";
        setStatus(whatifStatus, t("failed") + error.message, "error");
      });
    }

    // ---------------------------------------------------------------- facilities

    function loadFacilities() {
      var layer = layersByName[state.layer];
      return json(drawnIn(options.api.layers + "/" + layer.facilityLayer)).then(function (collection) {
        state.version = collection.version; // the version a save of the edits is made on
        state.facilities = collection.features.filter(function (feature) {
          return !layer.kind || feature.properties.kind === layer.kind;
        });
        drawFacilities();
      });
    }

    function facilityIcon(status) {
      var kind = layersByName[state.layer].marker;
      return L.divIcon({
        className: "circles-marker circles-marker-" + kind + " circles-marker-" + status,
        html: '<div class="circles-pin circles-pin-' + kind + '"></div>',
        iconSize: [16, 16],
        iconAnchor: [8, 8],
        popupAnchor: [0, -8],
      });
    }

    /* The facilities as they stand after the edits: closed ones faded, moved ones at
     * their new place, added ones in green; every one draggable. */
    function drawFacilities() {
      facilityLayer.clearLayers();
      var places = {};
      var closed = {};
      var added = [];
      state.edits.forEach(function (edit) {
        if (edit.action === "move") places[edit.facility_id] = [edit.lat, edit.lon];
        if (edit.action === "close") closed[edit.facility_id] = true;
        if (edit.action === "add") added.push(edit);
      });
      function marker(id, name, latlng, status) {
        var node = L.marker(latlng, { icon: facilityIcon(status), draggable: status !== "closed", title: name });
        node.on("dragend", function () {
          var to = node.getLatLng();
          pushEdit({ action: "move", layer: state.layer, facility_id: id, lon: to.lng, lat: to.lat, name: name });
        });
        node.bindPopup(function () {
          var box = el("div", "circles-popup");
          box.appendChild(el("div", "circles-popup-title", name));
          box.appendChild(el("div", "circles-popup-kind", t("status_" + status)));
          if (status !== "closed") {
            var close = button(t("whatif_close"), "circles-whatif-close");
            close.addEventListener("click", function () {
              map.closePopup();
              pushEdit({ action: "close", layer: state.layer, facility_id: id, name: name });
            });
            box.appendChild(close);
          }
          return box;
        }, maps.popupOptions());
        node.addTo(facilityLayer);
        node.getElement && node.getElement() && (node.getElement().dataset.facilityId = id);
        return node;
      }
      (state.facilities || []).forEach(function (feature) {
        var id = feature.properties.facility_id;
        var xy = feature.geometry.coordinates;
        var status = closed[id] ? "closed" : places[id] ? "moved" : "open";
        marker(id, feature.properties.name, places[id] || [xy[1], xy[0]], status);
      });
      added.forEach(function (edit) {
        if (closed[edit.facility_id]) return;
        marker(edit.facility_id, edit.name, places[edit.facility_id] || [edit.lat, edit.lon], "added");
      });
    }

    // ---------------------------------------------------------------- what-if

    function pushEdit(edit) {
      state.edits.push(edit);
      state.refused = null;
      drawFacilities();
      runWhatIf();
    }

    function describe(edit) {
      return t("edit_" + edit.action, { name: edit.name || edit.facility_id });
    }

    function figuresRow(label, before, after, key) {
      var row = el("tr", "circles-figure-" + key);
      row.appendChild(el("th", null, label));
      row.appendChild(el("td", "circles-before", before));
      var changed = after !== null && after !== before;
      var cell = el("td", "circles-after" + (changed ? " is-changed" : ""), after === null ? "—" : after);
      row.appendChild(cell);
      return row;
    }

    function showFigures(comparison) {
      var summary = state.summary;
      var features = state.grids ? state.grids.features : [];
      var before = {
        covered: Math.round(summary.residents_covered),
        share: (100 * summary.share_covered).toFixed(1) + "%",
        under: underservedCount(features),
      };
      var after = { covered: null, share: null, under: null };
      if (comparison) {
        var record = comparison.layers.filter(function (item) { return item.layer === state.layer; })[0];
        // The what-if answer compares under the chosen circle, before and after alike.
        before.covered = Math.round(record.residents_covered_a);
        before.share = (100 * record.share_covered_a).toFixed(1) + "%";
        var under = before.under;
        comparison.grids.forEach(function (grid) {
          if (grid.layer !== state.layer) return;
          var was = grid.residents - grid.residents_covered_a > 0.5;
          var now = grid.residents - grid.residents_covered_b > 0.5;
          under += (now ? 1 : 0) - (was ? 1 : 0);
        });
        after = {
          covered: Math.round(record.residents_covered_b),
          share: (100 * record.share_covered_b).toFixed(1) + "%",
          under: under,
        };
      }
      figureTable.textContent = "";
      var headRow = el("tr");
      headRow.appendChild(el("th"));
      headRow.appendChild(el("th", null, t("before")));
      headRow.appendChild(el("th", null, t("after")));
      figureTable.appendChild(headRow);
      figureTable.appendChild(figuresRow(t("residents_covered"), before.covered.toLocaleString(), after.covered === null ? null : after.covered.toLocaleString(), "covered"));
      figureTable.appendChild(figuresRow(t("covered_share"), before.share, after.share, "share"));
      figureTable.appendChild(figuresRow(t("underserved_grids"), String(before.under), after.under === null ? null : String(after.under), "underserved"));
    }

    function highlight(comparison) {
      changedLayer.clearLayers();
      if (!comparison || !state.grids) return;
      var ids = {};
      comparison.grids.forEach(function (grid) { if (grid.layer === state.layer) ids[grid.grid_id] = true; });
      var changed = state.grids.features.filter(function (feature) { return ids[feature.properties.grid_id]; });
      changedLayer.addData({ type: "FeatureCollection", features: changed });
      changedLayer.setStyle({ color: "#0d47a1", weight: 3, fill: false, className: "circles-grid-changed" });
      container.dataset.changedGrids = String(changed.length);
    }

    // The edits as the API takes them (what-if, export and save alike).
    function apiEdits() {
      return state.edits.map(function (edit) {
        var copy = { action: edit.action, layer: edit.layer, facility_id: edit.facility_id };
        if (edit.action !== "close") { copy.lon = edit.lon; copy.lat = edit.lat; }
        if (edit.action === "add") copy.name = edit.name;
        return copy;
      });
    }

    function showEdits() {
      editList.textContent = "";
      state.edits.forEach(function (edit, index) {
        var item = el("li", "circles-edit", describe(edit));
        if (index === state.refused) {
          item.classList.add("is-refused");
          item.setAttribute("aria-invalid", "true");
        }
        editList.appendChild(item);
      });
      undoButton.disabled = !state.edits.length;
      saveButton.disabled = !state.edits.length;
    }

    function runWhatIf() {
      showEdits();
      if (!state.edits.length) {
        showFigures(null);
        highlight(null);
        container.dataset.whatifStatus = "idle";
        container.dataset.changedGrids = "0";
        return Promise.resolve();
      }
      container.dataset.whatifStatus = "loading";
      return json(options.api.whatif, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(whatifBody(apiEdits())),
      }).then(function (comparison) {
        state.comparison = comparison;
        showFigures(comparison);
        highlight(comparison);
        setStatus(whatifStatus, t("whatif_done", { count: state.edits.length }), "done");
        container.dataset.whatifStatus = "done";
      }).catch(function (error) {
        container.dataset.whatifStatus = "error";
        setStatus(whatifStatus, t("failed") + error.message, "error");
      });
    }

    addButton.addEventListener("click", function () {
      var on = addButton.getAttribute("aria-pressed") !== "true";
      addButton.setAttribute("aria-pressed", String(on));
      container.classList.toggle("circles-adding", on);
    });

    map.on("click", function (event) {
      if (addButton.getAttribute("aria-pressed") !== "true") return;
      addButton.setAttribute("aria-pressed", "false");
      container.classList.remove("circles-adding");
      state.added += 1;
      var stamp = Date.now().toString(36);
      pushEdit({
        action: "add",
        layer: state.layer,
        facility_id: "new-" + stamp + "-" + state.added,
        lon: event.latlng.lng,
        lat: event.latlng.lat,
        name: t("new_facility", { number: state.added }),
      });
    });

    undoButton.addEventListener("click", function () {
      state.edits.pop();
      state.refused = null;
      drawFacilities();
      runWhatIf();
    });

    // ---------------------------------------------------------------- save

    function token() {
      try { return window.sessionStorage.getItem(TOKEN_KEY) || tokenInput.value; } catch (error) { return tokenInput.value; }
    }

    function keepToken(value) {
      try {
        if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
        else window.sessionStorage.removeItem(TOKEN_KEY);
      } catch (error) { /* private mode: asked again next time */ }
    }

    // The edit a refused save names, from 0: the index in the error's detail (an edit the
    // scenario refused) or in the place of a malformed field (["body", "edits", 3, "lon"]);
    // null when the save as a whole was refused.
    function refusedEdit(error) {
      var detail = error.detail;
      if (detail && typeof detail.index === "number") return detail.index;
      var places = (Array.isArray(detail) ? detail : []).map(function (problem) {
        var loc = problem.loc || [];
        return loc[1] === "edits" && /^\d+$/.test(String(loc[2])) ? Number(loc[2]) : null;
      }).filter(function (index) { return index !== null; });
      return places.length ? places[0] : null;
    }

    /* One request saves every edit or none; a refused save keeps the list as it was and
     * names the edit refused. When another planner saved first (409 stale_version) the
     * page reloads the scenario as it now is, with the edits still on top, to be checked
     * and saved again. */
    saveButton.addEventListener("click", function () {
      var secret = token();
      if (!secret) {
        tokenRow.hidden = false;
        tokenInput.focus();
        setStatus(whatifStatus, t("token_needed"), "error");
        return;
      }
      container.dataset.whatifStatus = "loading";
      setStatus(whatifStatus, t("saving"), "");
      var count = state.edits.length;
      json(options.api.facilities, {
        method: "PATCH",
        headers: { Authorization: "Bearer " + secret, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ version: state.version, crs: options.crs, edits: apiEdits() }),
      }).then(function () {
        keepToken(secret);
        tokenRow.hidden = true;
        state.edits = [];
        state.refused = null;
        return loadCoverage().then(function () {
          setStatus(whatifStatus, t("saved", { count: count }), "done");
          container.dataset.whatifStatus = "saved";
        });
      }).catch(function (error) {
        if (error.status === 401 || error.status === 403) {
          keepToken("");
          tokenInput.value = "";
          tokenRow.hidden = false;
          setStatus(whatifStatus, t("token_refused"), "error");
          container.dataset.whatifStatus = "error";
          return;
        }
        var index = refusedEdit(error);
        var edit = index === null ? null : state.edits[index];
        var message = t("save_failed") +
          (edit ? (index + 1) + ". " + describe(edit) + " — " : "") + error.message;
        state.refused = edit ? index : null;
        var shown = error.code === "stale_version" ? loadCoverage() : Promise.resolve(showEdits());
        return shown.then(function () {
          setStatus(whatifStatus, message, "error");
          container.dataset.whatifStatus = "error";
        });
      });
    });

    // ---------------------------------------------------------------- suggestions

    function runSites() {
      sitesList.textContent = "";
      siteLayer.clearLayers();
      setStatus(sitesSummary, t("searching"), "");
      var payload = Object.assign({ layer: state.layer, k: state.k }, ruleBody());
      container.dataset.sitesStatus = "loading";
      return json(drawnIn(options.api.sites), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      }).then(function (answer) {
        setStatus(sitesSummary, t("sites_summary", {
          count: answer.features.length,
          residents: Math.round(answer.summary.residents_added).toLocaleString(),
        }), "done");
        answer.features.forEach(function (feature) {
          var props = feature.properties;
          var xy = feature.geometry.coordinates;
          var item = el("li", "circles-site");
          item.appendChild(el("span", "circles-site-name", props.name));
          item.appendChild(el("span", "circles-site-adds", t("adds", { residents: Math.round(props.residents_added).toLocaleString() })));
          sitesList.appendChild(item);
          var marker = L.marker([xy[1], xy[0]], {
            icon: L.divIcon({
              className: "circles-marker circles-marker-site",
              html: '<div class="circles-pin circles-pin-site">' + props.rank + "</div>",
              iconSize: [26, 26],
              iconAnchor: [13, 13],
            }),
            title: props.name,
          }).addTo(siteLayer);
          marker.bindPopup(function () {
            var box = el("div", "circles-popup");
            box.appendChild(el("div", "circles-popup-title", props.name));
            box.appendChild(el("div", "circles-popup-kind", t("kind_site") + " · " + t("rank", { rank: props.rank })));
            box.appendChild(el("div", "circles-popup-walk", t("adds", { residents: Math.round(props.residents_added).toLocaleString() })));
            var add = button(t("sites_try"), "circles-site-try");
            add.addEventListener("click", function () {
              map.closePopup();
              state.added += 1;
              pushEdit({ action: "add", layer: state.layer, facility_id: "new-" + Date.now().toString(36) + "-" + state.added,
                lon: xy[0], lat: xy[1], name: props.name });
            });
            box.appendChild(add);
            return box;
          }, maps.popupOptions());
        });
        container.dataset.sitesStatus = "done";
      }).catch(function (error) {
        container.dataset.sitesStatus = "error";
        setStatus(sitesSummary, t("failed") + error.message, "error");
      });
    }
    sitesButton.addEventListener("click", runSites);

    // ---------------------------------------------------------------- upload

    function showReport(detail) {
      reportBox.textContent = "";
      var problems = detail && detail.problems ? detail.problems : [];
      if (!problems.length) return;
      var table = el("table", "circles-report-table");
      var headRow = el("tr");
      ["report_row", "report_column", "report_value", "report_problem", "report_fix"].forEach(function (key) {
        headRow.appendChild(el("th", null, t(key)));
      });
      table.appendChild(headRow);
      problems.forEach(function (problem) {
        var line = el("tr", "circles-report-" + problem.severity);
        [problem.row, problem.column, problem.value, problem.message, problem.fix].forEach(function (value) {
          line.appendChild(el("td", null, value === null || value === undefined ? "" : value));
        });
        table.appendChild(line);
      });
      reportBox.appendChild(table);
    }

    uploadButton.addEventListener("click", function () {
      var secret = token();
      if (!secret) {
        tokenRow.hidden = false;
        setStatus(uploadStatus, t("token_needed"), "error");
        return;
      }
      if (!uploadFile.files.length) {
        setStatus(uploadStatus, t("upload_choose"), "error");
        return;
      }
      var form = new FormData();
      form.append("file", uploadFile.files[0]);
      form.append("crs", uploadCrs.value);
      reportBox.textContent = "";
      setStatus(uploadStatus, t("uploading"), "");
      container.dataset.uploadStatus = "loading";
      json(options.api.uploads + "/" + uploadLayer.value, {
        method: "PUT",
        headers: { Authorization: "Bearer " + secret, Accept: "application/json" },
        body: form,
      }).then(function (answer) {
        keepToken(secret);
        setStatus(uploadStatus, t("uploaded", { count: answer.features }), "done");
        container.dataset.uploadStatus = "done";
        state.edits = [];
        return loadCoverage();
      }).catch(function (error) {
        if (error.status === 401 || error.status === 403) keepToken("");
        var report = error.detail && error.detail.problems ? error.detail : null;
        setStatus(uploadStatus, report ? t("upload_report", {
          errors: report.error_count, warnings: report.warning_count,
        }) : t("upload_refused") + error.message, "error");
        showReport(error.detail);
        container.dataset.uploadStatus = "refused";
      });
    });

    // ---------------------------------------------------------------- exports

    function download(format, node) {
      var payload = {
        layer: state.layer,
        lang: (window.CIRCLES || {}).lang || "zh",
        out_crs: exportCrs.value,
        edits: apiEdits(),
        crs: options.crs,
      };
      node.disabled = true;
      setStatus(exportStatus, t("exporting"), "");
      fetch(options.api.exports + "/" + format, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      }).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { throw new Error(body.error ? body.error.message : response.statusText); });
        }
        var disposition = response.headers.get("Content-Disposition") || "";
        var found = /filename="?([^";]+)"?/.exec(disposition);
        return response.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = found ? found[1] : "export." + format;
          document.body.appendChild(link);
          link.click();
          link.remove();
          setStatus(exportStatus, t("exported", { name: link.download }), "done");
        });
      }).catch(function (error) {
        setStatus(exportStatus, t("failed") + error.message, "error");
      }).then(function () { node.disabled = false; });
    }

    // ---------------------------------------------------------------- controls

    function readRule() {
      var layer = layersByName[state.layer];
      if (state.preset === "default") { state.limit = layer.rule.limit; state.unit = layer.rule.unit; }
      if (state.preset === "gb50180") { state.limit = layer.gb50180.limit; state.unit = layer.gb50180.unit; }
      limitInput.value = String(state.limit);
      unitSelect.value = state.unit;
      limitInput.disabled = state.preset !== "custom";
      unitSelect.disabled = state.preset !== "custom";
    }

    layerSelect.addEventListener("change", function () {
      state.layer = layerSelect.value;
      state.edits = [];
      siteLayer.clearLayers();
      sitesList.textContent = "";
      sitesSummary.textContent = "";
      readRule();
      loadCoverage();
    });
    presetSelect.addEventListener("change", function () {
      state.preset = presetSelect.value;
      readRule();
      loadCoverage();
    });
    [limitInput, unitSelect].forEach(function (node) {
      node.addEventListener("change", function () {
        var value = Number(limitInput.value);
        if (!(value > 0)) return;
        state.limit = value;
        state.unit = unitSelect.value;
        loadCoverage();
      });
    });
    speedInput.addEventListener("change", function () {
      var value = Number(speedInput.value);
      if (!(value > 0)) return;
      state.speed = value;
      loadCoverage();
    });
    kInput.addEventListener("change", function () {
      var value = Math.round(Number(kInput.value));
      if (value >= 1 && value <= 50) state.k = value;
    });
    colouringSelect.addEventListener("change", function () {
      state.colouring = colouringSelect.value;
      restyle();
    });

    readRule();
    if (window.innerWidth < 600) {
      side.classList.add("is-sheet");
    }
    map.fitBounds(options.bounds, fitPadding());
    loadCoverage();
    return { state: state, reload: loadCoverage, whatif: runWhatIf, sites: runSites };
  }

  window.circlesPlanner = circlesPlanner;
})();
