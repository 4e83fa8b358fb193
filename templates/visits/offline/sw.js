// The service worker (rendered by visits.views.offline.service_worker, served at /sw.js).
// It keeps the app shell and the visit pages on the phone so that a visit can be recorded with
// no signal, and sends the outbox when the signal comes back (Background Sync, where the
// browser has it). Every file of the shell feeds the version: a deploy brings a new worker,
// which deletes the old caches and fetches the pages afresh.
"use strict";
importScripts({{ outbox_script|safe }});

var VERSION = "{{ version }}";
var STATIC = "icv-static-" + VERSION;
var PAGES = "icv-pages-" + VERSION;
var STATIC_URLS = {{ static_urls|safe }};
var PAGE_URLS = {{ pages|safe }};
var DATA_URLS = {{ data|safe }};
var FALLBACK = {{ fallback|safe }};
var NETWORK_WAIT = 6000; // a basement with one bar of signal: do not wait for ever

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(STATIC_URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("icv-") === 0 && name !== STATIC && name !== PAGES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }).then(warm));
});

// Fetch the signed-in visitor's pages and data into the cache (not a sign-in page).
function warm() {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(PAGE_URLS.concat(DATA_URLS).map(function (url) {
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (response.ok && !response.redirected) return cache.put(url, response);
      }).catch(function () {});
    }));
  });
}

function withTimeout(promise) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, NETWORK_WAIT);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

// Pages: the network first, so nothing stale is shown while there is signal; the kept copy
// when there is none; the outbox for a page the phone does not keep.
function page(request, path) {
  var kept = PAGE_URLS.indexOf(path) >= 0 ? path : null;
  return withTimeout(fetch(request)).then(function (response) {
    if (kept && response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(kept, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(kept || FALLBACK);
    }).then(function (response) {
      return response || new Response(
        "<!doctype html><html lang=\"en-GB\"><title>Offline</title><h1>You are offline</h1>" +
        "<p>This page is not kept on this phone. Sign in once with signal to keep the visit pages.</p></html>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

function data(request, path) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(path); }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request, url.pathname));
  } else if (DATA_URLS.indexOf(url.pathname) >= 0 && !url.search) {
    event.respondWith(data(request, url.pathname));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "icv-outbox") return;
  event.waitUntil(self.Outbox.sync().then(function (left) {
    if (left) throw new Error(left + " still waiting"); // the browser tries again later
  }));
});

self.addEventListener("message", function (event) {
  if (event.data === "warm") event.waitUntil(warm());
  if (event.data === "sync") event.waitUntil(self.Outbox.sync());
  // Signing out: the pages kept for this visitor go (the page clears the outbox itself).
  if (event.data === "forget") event.waitUntil(caches.delete(PAGES));
});
