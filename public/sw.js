// BuildOS's service worker: the app's pages and files from the network when
// there is one, from this device's copy when there is not. Every page and
// file fetched successfully is kept (a page only for the person signed in:
// the copies are forgotten at sign-out), so a page opened once opens again
// offline; the brain-dump page then keeps what is written on this device
// and sends it when the connection is back (see app/src/brain_dump/pages.rs).
// Writes (POST), the API, live updates and downloads are never kept.
const CACHE = 'buildos-v1';
const SHELL = ['/offline.html', '/favicon.svg', '/manifest.webmanifest', '/icons/icon-192.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Signing out: forget every page kept for that person.
self.addEventListener('message', (event) => {
  if (event.data === 'forget-pages') {
    event.waitUntil(caches.delete(CACHE).then(() => caches.open(CACHE)).then((cache) => cache.addAll(SHELL)));
  }
});

const never = (url) =>
  url.pathname.startsWith('/api/') || url.pathname.startsWith('/export/') || url.pathname.startsWith('/auth/') ||
  url.pathname.endsWith('/events') || url.pathname === '/sw.js';

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || never(url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Only whole, successful, same-origin answers (no redirects to the login page).
        if (response.ok && response.type === 'basic' && !response.redirected) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(async () => {
        const kept = await caches.match(request, { ignoreVary: true });
        if (kept) return kept;
        if (request.mode === 'navigate') return caches.match('/offline.html');
        return Response.error();
      }),
  );
});
