/*
 * WarmBee maps on top of Leaflet (plain ES2017, no build step, CSP-safe: no inline code).
 *
 * Load with templates/includes/map_assets.html, then either
 *   - declaratively: <div class="wb-map" data-map-config="map-config" data-map-auto
 *       data-map-markers="map-markers" data-map-cluster></div>
 *     with {{ map_config|json_script:"map-config" }} and {{ markers|json_script:"map-markers" }};
 *   - or from a page script (loaded with defer after map.js):
 *       const map = WarmBeeMap.create(el);
 *       WarmBeeMap.addMarkers(map, items, {cluster: true});
 *       WarmBeeMap.fitTo(map, items);
 * Marker items: {lat, lng, title, url, html?, tier?}; lat/lng already in the tiles' datum
 * (warmbee.core.maps.to_display). `html` is shown as plain text, never parsed as HTML.
 * Each created map element fires "warmbee:map-ready" with detail {map, config}.
 */
(function () {
  'use strict';

  const script = document.currentScript;

  function readJson(id) {
    const node = id && document.getElementById(id);
    if (!node) {
      throw new Error('WarmBeeMap: no JSON element with id "' + id + '"');
    }
    return JSON.parse(node.textContent);
  }

  // Hashed static URLs (ManifestStaticFilesStorage) break Leaflet's icon-path detection,
  // so map_assets.html passes the exact URLs on the <script> tag.
  function configureDefaultIcon() {
    if (!script || !script.dataset.iconUrl) {
      return;
    }
    L.Icon.Default.imagePath = '';
    L.Icon.Default.mergeOptions({
      imagePath: '',
      iconUrl: script.dataset.iconUrl,
      iconRetinaUrl: script.dataset.iconRetinaUrl,
      shadowUrl: script.dataset.shadowUrl,
    });
  }

  function create(element, options) {
    if (element.warmbeeMap) {
      return element.warmbeeMap;
    }
    const config = readJson(element.getAttribute('data-map-config'));
    const map = L.map(element, Object.assign({
      maxZoom: config.max_zoom,
      attributionControl: true,
    }, options || {}));
    map.attributionControl.setPrefix('Leaflet');

    const layers = config.layers || [];
    layers.forEach(function (layer) {
      const layerOptions = {
        maxZoom: layer.max_zoom || config.max_zoom,
        attribution: layer.attribution || '',
      };
      if (layer.subdomains) {
        layerOptions.subdomains = layer.subdomains;
      }
      L.tileLayer(layer.url, layerOptions).addTo(map);
    });
    if (!layers.length) {
      element.classList.add('wb-map-blank');
    }

    map.setView(config.center, config.zoom);
    map.warmbeeConfig = config;
    element.warmbeeMap = map;
    element.dispatchEvent(new CustomEvent('warmbee:map-ready', {
      bubbles: true,
      detail: {map: map, config: config},
    }));
    return map;
  }

  // Only same-site paths and http(s) links become hrefs (no javascript: URLs).
  function safeHref(url) {
    if (!url) {
      return null;
    }
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function popupContent(item) {
    const box = document.createElement('div');
    box.className = 'wb-map-popup';
    const href = safeHref(item.url);
    const title = document.createElement(href ? 'a' : 'strong');
    title.textContent = item.title || '';
    if (href) {
      title.href = href;
    }
    box.appendChild(title);
    if (item.html) {
      const text = document.createElement('p');
      text.textContent = String(item.html);
      box.appendChild(text);
    }
    return box;
  }

  function tierClass(tier) {
    return 'wb-tier-' + String(tier).replace(/[^A-Za-z0-9_-]/g, '');
  }

  function makeMarker(item) {
    const markerOptions = {title: item.title || '', alt: item.title || ''};
    if (item.tier !== undefined && item.tier !== null && item.tier !== '') {
      markerOptions.icon = new L.Icon.Default({className: tierClass(item.tier)});
    }
    const marker = L.marker([item.lat, item.lng], markerOptions);
    if (item.tier !== undefined && item.tier !== null) {
      marker.options.tier = item.tier;
    }
    marker.bindPopup(function () {
      return popupContent(item);
    });
    return marker;
  }

  function addMarkers(map, items, options) {
    const wantCluster = Boolean(options && options.cluster);
    const group = wantCluster && typeof L.markerClusterGroup === 'function'
      ? L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 50})
      : L.featureGroup();
    (items || []).forEach(function (item) {
      if (Number.isFinite(item.lat) && Number.isFinite(item.lng)) {
        group.addLayer(makeMarker(item));
      }
    });
    group.addTo(map);
    return group;
  }

  function fitTo(map, items, options) {
    const points = (items || [])
      .filter(function (item) {
        return Number.isFinite(item.lat) && Number.isFinite(item.lng);
      })
      .map(function (item) {
        return [item.lat, item.lng];
      });
    const maxZoom = (options && options.maxZoom) || 16;
    if (points.length === 1) {
      map.setView(points[0], Math.max(map.getZoom(), Math.min(15, maxZoom)));
    } else if (points.length > 1) {
      map.fitBounds(L.latLngBounds(points), {padding: [24, 24], maxZoom: maxZoom});
    }
    return map;
  }

  function autoInit() {
    document.querySelectorAll('[data-map-config][data-map-auto]').forEach(function (element) {
      if (element.warmbeeMap) {
        return;
      }
      const map = create(element);
      const markersId = element.getAttribute('data-map-markers');
      if (markersId) {
        const items = readJson(markersId);
        addMarkers(map, items, {cluster: element.hasAttribute('data-map-cluster')});
        fitTo(map, items);
      }
    });
  }

  if (typeof L === 'undefined') {
    console.error('WarmBeeMap: Leaflet is not loaded (include includes/map_assets.html).');
    return;
  }
  configureDefaultIcon();
  window.WarmBeeMap = {
    create: create,
    addMarkers: addMarkers,
    fitTo: fitTo,
    autoInit: autoInit,
  };
  // After DOMContentLoaded, so deferred page scripts can listen for "warmbee:map-ready";
  // "load" and htmx swaps cover late loads (autoInit skips maps already created).
  if (document.readyState === 'complete') {
    autoInit();
  } else {
    document.addEventListener('DOMContentLoaded', autoInit);
    window.addEventListener('load', autoInit);
  }
  document.addEventListener('htmx:afterSettle', autoInit);
}());
