// Multa service worker. The app shell is precached under a cache named after
// the build version, so each deploy installs a fresh copy and deletes the
// old one. Pages: network first, the cached shell when offline. Hashed
// assets: cache first (they never change). /api/ and /psp/ answers — money,
// personal data — are never cached: they always go to the network.
const VERSION = '{{version}}';
const CACHE = 'multa-' + VERSION;
const PRECACHE = {{precache}};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    // First install: take over at once. Updates wait for the page to ask
    // (the "new version available — reload" banner).
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('multa-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

const neverCache = (url) => url.pathname.startsWith('/api/') || url.pathname.startsWith('/psp/') ||
  url.pathname === '/metrics' || url.pathname === '/healthz';

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || neverCache(url)) return; // straight to the network
  if (req.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        return await fetch(req);
      } catch {
        const shell = url.pathname === '/office' || url.pathname.startsWith('/office/') ? '/office/' : '/';
        const cached = await caches.match(shell, { cacheName: CACHE });
        return cached || Response.error();
      }
    })());
    return;
  }
  event.respondWith((async () => {
    const cached = await caches.match(req, { cacheName: CACHE });
    if (cached) return cached;
    const res = await fetch(req);
    if (res.ok && url.pathname.startsWith('/assets/')) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(req, copy)).catch(() => {});
    }
    return res;
  })());
});
