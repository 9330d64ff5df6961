/*
 * The report form's pin: a map (WarmBeeMap) with one draggable marker, prefilled from the
 * phone's location, written into the hidden lat/lng inputs (WGS-84; the default tiles are
 * WGS-84 too). After the pin or the category changes, asks the server for near-duplicates.
 */
(function () {
  'use strict';

  function init() {
    const form = document.getElementById('civic-report');
    const el = document.getElementById('civic-pin');
    if (!form || !el || !window.WarmBeeMap) {
      return;
    }
    const lat = form.querySelector('input[name=lat]');
    const lng = form.querySelector('input[name=lng]');
    const shown = document.getElementById('civic-coords');
    const near = document.getElementById('civic-near');
    const nearList = document.getElementById('civic-near-list');
    const map = WarmBeeMap.create(el);
    let marker = null;

    function place(latlng, pan) {
      if (!marker) {
        marker = L.marker(latlng, {draggable: true}).addTo(map);
        marker.on('dragend', function () { place(marker.getLatLng(), false); });
      } else {
        marker.setLatLng(latlng);
      }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      shown.textContent = lat.value + ', ' + lng.value;
      if (pan) {
        map.setView(latlng, 17);
      }
      checkNear();
    }

    function checkNear() {
      const cat = form.querySelector('input[name=category]:checked');
      if (!cat || !lat.value) {
        return;
      }
      const url = form.dataset.nearbyUrl + '?' + new URLSearchParams(
        {category: cat.value, lat: lat.value, lng: lng.value});
      fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); })
        .then(function (data) {
          nearList.textContent = '';
          (data.items || []).forEach(function (item) {
            const li = document.createElement('li');
            li.textContent = item.code + ' · ' + item.status + ' · ' + item.distance_m + ' m';
            nearList.appendChild(li);
          });
          near.hidden = !(data.items || []).length;
        }).catch(function () { near.hidden = true; });
    }

    // Only the chosen category's extra questions show (without script they all do, each
    // headed by its category; the server reads only the chosen one's).
    function showQuestions() {
      const cat = form.querySelector('input[name=category]:checked');
      form.querySelectorAll('.civic-questions').forEach(function (group) {
        group.hidden = !cat || group.dataset.category !== cat.value;
      });
    }

    map.on('click', function (e) { place(e.latlng, false); });
    form.querySelectorAll('input[name=category]').forEach(function (input) {
      input.addEventListener('change', checkNear);
      input.addEventListener('change', showQuestions);
    });
    showQuestions();
    if (lat.value && lng.value) {
      place(L.latLng(parseFloat(lat.value), parseFloat(lng.value)), true);
    } else if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        place(L.latLng(pos.coords.latitude, pos.coords.longitude), true);
      }, function () {}, {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
    }
    const locate = document.getElementById('civic-locate');
    if (locate) {
      locate.addEventListener('click', function () {
        navigator.geolocation && navigator.geolocation.getCurrentPosition(function (pos) {
          place(L.latLng(pos.coords.latitude, pos.coords.longitude), true);
        });
      });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
