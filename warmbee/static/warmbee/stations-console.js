/*
 * Officers' station console: pick a station's point on a small map (plain ES2017, CSP-safe).
 *
 * Markup (templates/stations/console_picker.html), loaded after map.js:
 *   <div class="wb-map" data-map-config="map-config" data-station-picker
 *        data-lat-input="id_lat" data-lng-input="id_lng"></div>
 * The inputs hold WGS-84 (what is stored). The tiles may use GCJ-02 (Amap), so points are
 * shifted for display and shifted back when the map is clicked with the vendored PRCoords
 * (static/vendor/prcoords), the JavaScript twin of the library warmbee.core.maps uses.
 */
(function () {
  'use strict';

  function toDisplay(datum, lat, lng) {
    if (datum !== 'gcj02') {
      return [lat, lng];
    }
    const p = window.PRCoords.wgs_gcj({lat: lat, lon: lng});
    return [p.lat, p.lon];
  }

  function fromDisplay(datum, lat, lng) {
    if (datum !== 'gcj02') {
      return [lat, lng];
    }
    const p = window.PRCoords.gcj_wgs_bored({lat: lat, lon: lng});
    return [p.lat, p.lon];
  }

  function setUpPicker(element) {
    const latInput = document.getElementById(element.getAttribute('data-lat-input'));
    const lngInput = document.getElementById(element.getAttribute('data-lng-input'));
    if (!latInput || !lngInput || element.warmbeeMap) {
      return;
    }
    const map = window.WarmBeeMap.create(element);
    const datum = (map.warmbeeConfig && map.warmbeeConfig.datum) || 'wgs84';
    let marker = null;

    function place(displayLat, displayLng) {
      if (marker) {
        marker.setLatLng([displayLat, displayLng]);
      } else {
        marker = L.marker([displayLat, displayLng]).addTo(map);
      }
    }

    function fromInputs(pan) {
      const lat = parseFloat(latInput.value);
      const lng = parseFloat(lngInput.value);
      if (!Number.isFinite(lat) || !Number.isFinite(lng)) {
        return;
      }
      const shown = toDisplay(datum, lat, lng);
      place(shown[0], shown[1]);
      if (pan) {
        map.setView(shown, Math.max(map.getZoom(), 15));
      }
    }

    map.on('click', function (event) {
      const wgs = fromDisplay(datum, event.latlng.lat, event.latlng.lng);
      latInput.value = wgs[0].toFixed(6);
      lngInput.value = wgs[1].toFixed(6);
      place(event.latlng.lat, event.latlng.lng);
    });
    latInput.addEventListener('change', function () { fromInputs(true); });
    lngInput.addEventListener('change', function () { fromInputs(true); });
    fromInputs(true);
  }

  function init() {
    if (!window.WarmBeeMap) {
      return;
    }
    document.querySelectorAll('[data-station-picker]').forEach(setUpPicker);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
