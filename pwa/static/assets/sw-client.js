// Registers the service worker and offers a reload when a new version has
// been installed. The page reloads only when the user asks, never in the
// middle of a payment or a form.
import { t } from '{{/assets/i18n.js}}';

/** Registers /sw.js and wires the "new version available" banner. */
export function registerSW() {
  if (!('serviceWorker' in navigator)) return;
  let asked = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (asked) location.reload();
  });
  const offer = (worker) => {
    const bar = document.getElementById('update');
    if (!bar || !navigator.serviceWorker.controller) return;
    bar.querySelector('[data-i18n="update.text"]').textContent = t('update.text');
    const btn = bar.querySelector('#update-btn');
    btn.textContent = t('update.btn');
    btn.onclick = () => { asked = true; worker.postMessage({ type: 'skip-waiting' }); };
    bar.hidden = false;
  };
  // The worker lives at a stable address (its scope is the whole app).
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then((reg) => {
    if (reg.waiting) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      if (!w) return;
      w.addEventListener('statechange', () => { if (w.state === 'installed') offer(w); });
    });
    // Look for a new deploy when the app comes back to the foreground.
    document.addEventListener('visibilitychange', () => { if (!document.hidden) reg.update().catch(() => {}); });
  }).catch(() => { /* no offline support; the app still works online */ });
}
