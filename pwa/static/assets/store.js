// What the driver app keeps on the phone, in localStorage: the remembered
// card (a PSP token and what may be shown of it — never the number), the
// receipts, and unconfirmed payment attempts (for idempotent retries).
const K = { card: 'multa.card', receipts: 'multa.receipts', attempts: 'multa.attempts' };

function read(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v ?? fallback;
  } catch { return fallback; }
}
function write(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch { /* storage full or unavailable: the app still works */ }
}

/** The remembered card: {token, brand, last4, expMonth, expYear}. */
export const card = {
  get() {
    const c = read(K.card, null);
    if (!c || !c.token || !/^\d{4}$/.test(c.last4 || '')) return null;
    const now = new Date();
    const y = now.getFullYear(), m = now.getMonth() + 1;
    if (c.expYear < y || (c.expYear === y && c.expMonth < m)) { write(K.card, null); return null; }
    return c;
  },
  set(c) {
    write(K.card, { token: c.token, brand: c.brand, last4: c.last4, expMonth: +c.expMonth, expYear: +c.expYear });
  },
  forget() { write(K.card, null); },
};

const MAX_RECEIPTS = 100;

/** Receipts saved on this phone, newest first. */
export const receipts = {
  list() { const l = read(K.receipts, []); return Array.isArray(l) ? l : []; },
  get(id) { return this.list().find((r) => r.receiptId === id) || null; },
  save(r) {
    if (!r || !r.receiptId) return;
    const keep = {
      receiptId: r.receiptId, noticeNumber: r.noticeNumber, fineId: r.fineId,
      creditor: r.creditor, amountCents: r.amountCents, sanctionCents: r.sanctionCents,
      feesCents: r.feesCents, stage: r.stage, paidAt: r.paidAt, psp: r.psp, method: r.method,
      channel: r.channel,
      pagopa: r.pagopa ? { pspCompanyName: r.pagopa.pspCompanyName, channelDescription: r.pagopa.channelDescription } : undefined,
    };
    const l = this.list().filter((x) => x.receiptId !== r.receiptId);
    l.unshift(keep);
    write(K.receipts, l.slice(0, MAX_RECEIPTS));
  },
};

/**
 * Payment attempts not yet answered for sure, by notice number:
 * {key, amountCents, token, remember?}. Kept until a definite answer, so a
 * retry — even after a reload — sends the same Idempotency-Key and body.
 */
export const attempts = {
  get(nav) { return read(K.attempts, {})[nav] || null; },
  set(nav, a) { const all = read(K.attempts, {}); all[nav] = a; write(K.attempts, all); },
  clear(nav) { const all = read(K.attempts, {}); delete all[nav]; write(K.attempts, all); },
};
