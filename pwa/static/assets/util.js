// DOM and notice-number helpers shared by the driver and office apps.

/**
 * Builds an element. props: id, class, text, html-free attributes, `on`
 * (event handlers), `data` (dataset). Children: nodes, strings, or falsy
 * values (skipped).
 */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'data') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

/** Sets the text of the page's polite live region, for screen readers. */
export function announce(msg) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = msg; }, 50);
}

/**
 * Whether the browser believes it is online. navigator.onLine false means
 * surely offline (no network interface, airplane mode, DevTools offline);
 * true only means "maybe", so calls still handle NetworkError.
 */
export const isOnline = () => navigator.onLine !== false;

/** Calls fn(online) on every online/offline event; returns a function that stops it. */
export function onNetwork(fn) {
  const f = () => fn(isOnline());
  addEventListener('online', f);
  addEventListener('offline', f);
  return () => { removeEventListener('online', f); removeEventListener('offline', f); };
}

/**
 * Wires the page's offline banner (#offline, filled by translate() from
 * data-i18n): shown while offline, so nobody wonders why a payment or a
 * PDF does not come. Changes are also spoken through #status, as a banner
 * that merely appears is not announced by every screen reader. t is the
 * i18n lookup (util.js has no strings of its own).
 */
export function watchNetwork(t) {
  const bar = document.getElementById('offline');
  if (!bar) return;
  const sync = (online, changed) => {
    bar.hidden = online;
    if (changed) announce(t(online ? 'net.online' : 'net.offline'));
  };
  sync(isOnline(), false);
  onNetwork((online) => sync(online, true));
}

/** A message box; kind is 'info', 'ok', 'warn' or 'error'. Errors use role=alert. */
export function note(kind, ...kids) {
  return h('div', { class: 'note note-' + kind, role: kind === 'error' ? 'alert' : 'status' }, ...kids);
}

/**
 * Normalises a typed or scanned notice number: spaces, dots and dashes are
 * dropped. Returns {nav} or {error: 'digits'|'length'|'check', n}.
 */
export function checkNAV(s) {
  const d = String(s || '').replace(/[\s.\-]/g, '');
  if (!/^\d*$/.test(d)) return { error: 'digits' };
  if (d.length !== 18) return { error: 'length', n: d.length };
  const aux = d[0];
  if (aux === '0' || aux === '2' || aux === '3') {
    if (Number(BigInt(d.slice(0, 16)) % 93n) !== Number(d.slice(16))) return { error: 'check' };
  } else if (aux !== '1') {
    return { error: 'check' };
  }
  return { nav: d };
}

/** Prints a notice number in groups of four digits. */
export function formatNAV(nav) {
  return String(nav || '').replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * Reads the text of a QR code: the pagoPA payload
 * PAGOPA|002|<NAV>|<creditor fiscal code>|<cents>, or a link ending in
 * /p/<NAV>. Returns {kind, noticeNumber, fiscalCode?, amountCents?} or null.
 */
export function parseQR(text) {
  const s = String(text || '').trim();
  const p = /^PAGOPA\|002\|(\d{18})\|(\d{11})\|(\d{1,11})$/i.exec(s);
  if (p) return { kind: 'pagopa', noticeNumber: p[1], fiscalCode: p[2], amountCents: Number(p[3]) };
  try {
    const u = new URL(s);
    const m = /\/p\/([\d\s.\-]+)\/?$/.exec(decodeURIComponent(u.pathname));
    if ((u.protocol === 'https:' || u.protocol === 'http:') && m) {
      const c = checkNAV(m[1]);
      if (c.nav) return { kind: 'link', noticeNumber: c.nav };
    }
  } catch { /* not a URL */ }
  return null;
}

/** A random UUID, for Idempotency-Key headers. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Reports whether a digit string passes the Luhn check. */
export function luhn(num) {
  if (!/^\d{12,19}$/.test(num)) return false;
  let sum = 0;
  for (let i = 0; i < num.length; i++) {
    let d = +num[num.length - 1 - i];
    if (i % 2) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Resolves after ms milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const BRANDS = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', maestro: 'Maestro' };
/** The display name of a card circuit ("visa" → "Visa"). */
export const brandName = (b) => BRANDS[String(b || '').toLowerCase()] || b || '';
