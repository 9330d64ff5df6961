/*
 * Officers' grid-area console: draw the grid areas of the list on a map (plain ES2017,
 * CSP-safe, loaded after map.js).
 *
 * Markup (templates/regions/console_grids.html):
 *   <div class="wb-map" data-map-config="map-config" data-grid-map="grid-shapes"></div>
 * The JSON list holds {code, name, community, community_code, polygons: [[[lat, lng], …] rings …]}, already in
 * the tiles' datum (the server converts with warmbee.core.maps.to_display).
 */
(function () {
  'use strict';

  function label(shape) {
    const box = document.createElement('div');
    box.className = 'wb-map-popup';
    const title = document.createElement('strong');
    title.textContent = shape.name;
    const code = document.createElement('p');
    code.textContent = shape.code + ' · ' + shape.community;
    box.appendChild(title);
    box.appendChild(code);
    return box;
  }

  // One colour per owning community, so the areas of neighbouring communities stand apart.
  const PALETTE = ['#b06d00', '#2b7bb9', '#3a9b4a', '#b03a6d', '#7a4fb0', '#1c8c8c', '#a35a2a', '#5a6b00'];
  const colours = {};

  function colour(code) {
    if (!(code in colours)) {
      colours[code] = PALETTE[Object.keys(colours).length % PALETTE.length];
    }
    return colours[code];
  }

  function setUp(element) {
    if (element.warmbeeMap) {
      return;
    }
    const node = document.getElementById(element.getAttribute('data-grid-map'));
    const shapes = node ? JSON.parse(node.textContent) : [];
    const map = window.WarmBeeMap.create(element);
    const group = L.featureGroup();
    shapes.forEach(function (shape) {
      const c = colour(shape.community_code);
      const layer = L.polygon(shape.polygons, {weight: 1, color: c, fillColor: c, fillOpacity: 0.25});
      layer.bindPopup(function () { return label(shape); });
      layer.bindTooltip(shape.name, {sticky: true});
      group.addLayer(layer);
    });
    group.addTo(map);
    if (shapes.length) {
      map.fitBounds(group.getBounds(), {padding: [10, 10]});
    }
  }

  function init() {
    if (!window.WarmBeeMap || !window.L) {
      return;
    }
    document.querySelectorAll('[data-grid-map]').forEach(setUp);
  }

  if (document.readyState === 'complete') {
    init();
  } else {
    window.addEventListener('load', init);
  }
}());
