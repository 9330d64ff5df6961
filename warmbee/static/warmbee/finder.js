/*
 * The station finder's "near me" (plain ES2017, CSP-safe).
 *
 * Privacy (R31): the phone's position stays in this page. The request carries it rounded to
 * two decimals (about 1 km) and asks for more stations than it shows; the page then ranks them
 * by the exact position, so the nearest are right without the server ever learning it.
 */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('finder-config').textContent);
  const icons = JSON.parse(document.getElementById('amenity-icons').textContent);
  const tiers = JSON.parse(document.getElementById('tier-labels').textContent);
  const t = config.t;
  const button = document.getElementById('near-me');
  const statusLine = document.getElementById('near-me-status');
  const list = document.getElementById('station-list');
  const form = document.getElementById('finder-form');
  const mapElement = document.getElementById('finder-map');
  const SHOW = 10;
  const ASK = 30;
  let position = null;
  let markerLayer = null;

  function haversine(lat1, lng1, lat2, lng2) {
    const r = Math.PI / 180;
    const dp = (lat2 - lat1) * r;
    const dl = (lng2 - lng1) * r;
    const a = Math.sin(dp / 2) ** 2 +
      Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dl / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
  }

  function distanceText(m) {
    return m < 1000 ? Math.round(m) + ' ' + t.m : (m / 1000).toFixed(1) + ' ' + t.km;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(item) {
    const li = el('li', 'station-card');
    const head = el('div', 'row-between');
    const name = el('a', 'station-name', item.name);
    name.href = config.detail.replace('xxxxxxxx', encodeURIComponent(item.code));
    head.appendChild(name);
    const tag = item.open_now
      ? el('span', 'tag ok', item.status === 'full' ? t.full : t.open)
      : el('span', 'tag bad', t.closed);
    head.appendChild(tag);
    li.appendChild(head);
    li.appendChild(el('p', 'station-meta',
      distanceText(item.exact_m) + ' · ' + (tiers[String(item.tier)] || item.tier) + ' · ' +
      item.hours));
    li.appendChild(el('p', 'station-meta', item.address));
    const amen = el('p', 'amenity-icons');
    item.amenities.forEach(function (code) {
      const pair = icons[code];
      if (!pair) return;
      const span = el('span', '', pair[0]);
      span.title = pair[1];
      span.setAttribute('aria-label', pair[1]);
      amen.appendChild(span);
    });
    li.appendChild(amen);
    const nav = el('p', 'nav-links');
    item.nav.forEach(function (link) {
      const a = el('a', 'button secondary small', link.label);
      a.href = link.url;
      a.rel = 'noopener';
      nav.appendChild(a);
    });
    li.appendChild(nav);
    return li;
  }

  function selectedQuery() {
    const params = new URLSearchParams();
    form.querySelectorAll('input[name="amenity"]:checked').forEach(function (box) {
      params.append('amenity', box.value);
    });
    if (form.querySelector('input[name="open_now"]:checked')) params.set('open_now', 'true');
    return params;
  }

  function showOnMap(items) {
    if (!window.WarmBeeMap || !mapElement) return;
    mapElement.hidden = false;
    const map = window.WarmBeeMap.create(mapElement);
    if (markerLayer) map.removeLayer(markerLayer);
    const gcj = config.datum === 'gcj02';
    const points = items.map(function (item) {
      return {
        lat: gcj ? item.gcj02[0] : item.lat,
        lng: gcj ? item.gcj02[1] : item.lng,
        title: item.name,
        url: config.detail.replace('xxxxxxxx', encodeURIComponent(item.code)),
        tier: item.tier,
      };
    });
    markerLayer = window.WarmBeeMap.addMarkers(map, points, {cluster: false});
    window.WarmBeeMap.fitTo(map, points);
  }

  function search() {
    if (!position) return;
    const params = selectedQuery();
    params.set('lat', position.lat.toFixed(2));
    params.set('lng', position.lng.toFixed(2));
    params.set('limit', String(ASK));
    statusLine.textContent = t.locating;
    fetch(config.nearby + '?' + params.toString(), {credentials: 'same-origin'})
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        const items = data.items.map(function (item) {
          item.exact_m = haversine(position.lat, position.lng, item.lat, item.lng);
          return item;
        }).sort(function (a, b) { return a.exact_m - b.exact_m; }).slice(0, SHOW);
        list.replaceChildren();
        if (!items.length) {
          list.appendChild(el('li', 'empty', t.none));
        }
        items.forEach(function (item) { list.appendChild(card(item)); });
        const pager = document.querySelector('.pager');
        if (pager) pager.hidden = true;
        statusLine.textContent = items.length ? t.found : '';
        showOnMap(items);
      })
      .catch(function () { statusLine.textContent = t.error; });
  }

  if (!('geolocation' in navigator) || !button) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    statusLine.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      position = {lat: pos.coords.latitude, lng: pos.coords.longitude};
      search();
    }, function () {
      statusLine.textContent = t.denied;
    }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 60000});
  });
  form.addEventListener('change', function (event) {
    if (position && event.target.type === 'checkbox') search();
  });
}());
