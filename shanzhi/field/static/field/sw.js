/* Shanzhi field app service worker (served by /field/sw.js, which prepends VERSION, SHELL, PRECACHE).
 * The app shell and its assets come from the cache, so the app opens without a signal.
 * The shell page itself is network-first (a fresh copy when online, the cached one offline).
 * API calls are never cached here: the app keeps its snapshot and its queue in IndexedDB. */
/* global VERSION, SHELL, PRECACHE */
"use strict";

var CACHE = "shanzhi-field-" + VERSION;

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(
        PRECACHE.map(function (url) {
          // redirect "manual": signed out, the shell answers with a redirect to the login page; following it
          // would render that page in the background and hand the browser a new CSRF cookie, breaking a
          // login form the person is filling in at that moment.
          return fetch(url, { credentials: "same-origin", cache: "no-cache", redirect: "manual" }).then(function (response) {
            // Never keep a login page (a redirect) under the shell's name.
            if (cacheable(response)) return cache.put(url, response);
            return null;
          });
        })
      );
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("shanzhi-field-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

/* Network first, so a worker with a signal gets today's shell; but a weak signal ("lie-fi")
 * must not keep the app from opening: after SLOW_MS the cached shell is shown instead. */
var SLOW_MS = 4000;

function shellFromNetwork(request) {
  var cached = caches.match(SHELL, { ignoreSearch: true });
  var network = fetch(request).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(SHELL, copy); });
    }
    return response;
  });
  return new Promise(function (resolve) {
    var settled = false;
    function settle(response) {
      if (!settled) { settled = true; resolve(response); }
    }
    var timer = setTimeout(function () {
      cached.then(function (response) { if (response) settle(response); });
    }, SLOW_MS);
    network.then(function (response) { clearTimeout(timer); settle(response); }, function () {
      clearTimeout(timer);
      cached.then(function (response) { settle(response || Response.error()); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shellFromNetwork(request));
    return;
  }
  if (PRECACHE.indexOf(url.pathname + url.search) !== -1) {
    event.respondWith(caches.match(request).then(function (cached) {
      return cached || fetch(request).then(function (response) {
        if (cacheable(response)) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});
