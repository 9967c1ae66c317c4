// Checkout: verify the notice, show what is due today, and pay — with a
// remembered card in one tap, or through the inline card form. Card data
// goes only to the PSP (/psp/v1/tokens); the fines API gets a token.
// Every attempt carries an Idempotency-Key kept until a definite answer,
// so "Check again" after a lost connection replays the same request.
import { t, lang, money, day, dateTime, paidVia } from '{{/assets/i18n.js}}';
import { h, note, formatNAV, checkNAV, uuid, luhn, announce, brandName, isOnline } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';
import { card, attempts, receipts } from '{{/assets/store.js}}';
import { here, swap, focusHeading } from '{{/assets/router.js}}';
import { showReceipt } from '{{/assets/receipt.js}}';

/** The checkout view for /p/{nav}. */
export async function checkoutView(main, rawNav) {
  const alive = here();
  const c = checkNAV(rawNav);
  if (!c.nav) {
    main.append(h('h1', { text: t('co.title') }), note('error', t('co.invalid')), enterLink());
    return;
  }
  const nav = c.nav;
  main.append(h('h1', { text: t('co.title') }), h('p', { class: 'muted', role: 'status', text: t('loading') }));
  const fiscalCode = history.state && history.state.fiscalCode;
  const q = fiscalCode ? `?fiscalCode=${encodeURIComponent(fiscalCode)}` : '';
  let res;
  try { res = await call('GET', `/api/v1/notices/${nav}${q}`); } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    if (!alive()) return;
    swap(main, h('h1', { text: t('co.title') }), note('error', t('offline')),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'retry-btn', text: t('retry'), on: { click: () => { main.replaceChildren(); checkoutView(main, nav); focusHeading(main); } } }));
    return;
  }
  if (!alive()) return;
  if (!res.ok) {
    const msg = res.status === 404 ? 'co.notfound' : res.status === 429 ? 'rate'
      : (res.status === 400 || res.status === 422) ? 'co.invalid' : 'error';
    swap(main, h('h1', { text: t('co.title') }), h('div', { id: 'notice-error' }, note('error', t(msg))), enterLink());
    return;
  }
  const n = res.data;
  if (n.status === 'paid') {
    attempts.clear(nav);
    return alreadyPaid(main, nav, n.payment, alive);
  }
  if (n.status === 'cancelled') {
    attempts.clear(nav);
    const rv = h('div', { id: 'review-area', class: 'stack' });
    swap(main, h('h1', { text: t('co.title') }), note('warn', t('co.cancelled')), rv, homeLink());
    // An accepted request for review says why it was cancelled (issue 14).
    if (n.review) import('{{/assets/driver-review.js}}').then((m) => m.render(rv, n, nav)).catch(() => {});
    return;
  }
  new Checkout(main, nav, n, alive).render();
}

function focusId(id) {
  const el = document.getElementById(id);
  if (el) el.focus();
}

function enterLink() { return h('a', { class: 'btn btn-secondary', href: '/enter', 'data-link': '', text: t('home.type') }); }
function homeLink() { return h('a', { class: 'btn btn-ghost', href: '/', 'data-link': '', text: t('rc.home') }); }

/**
 * A paid notice. Holding the paper notice does not show the payer's
 * receipt (the server does not name it to strangers): this phone opens it
 * only if it paid, from "my receipts"; anyone else learns when it was paid.
 */
function alreadyPaid(main, nav, payment, alive) {
  const mine = receipts.list().find((r) => r.noticeNumber === nav);
  const id = (payment && payment.receiptId) || (mine && mine.receiptId);
  if (id) return openReceipt(main, id, t('pay.already'), alive);
  const when = payment && payment.paidAt ? t('pay.paidOn', { date: dateTime(payment.paidAt) }) : '';
  const via = payment && payment.channel ? h('p', { id: 'rc-channel', text: paidVia(payment) }) : '';
  swap(main, h('h1', { text: t('co.title') }),
    h('div', { id: 'notice-paid' }, note('ok', [t('pay.alreadyOther'), when].filter(Boolean).join(' ')), via), homeLink());
}

async function openReceipt(main, id, lead, alive) {
  let res;
  try { res = await call('GET', `/api/v1/receipts/${encodeURIComponent(id)}`); } catch { res = null; }
  if (!alive()) return;
  if (res && res.ok && res.data) { showReceipt(main, res.data, lead); return; }
  swap(main, h('h1', { text: t('co.title') }), note('ok', lead || t('pay.already')),
    h('p', {}, h('a', { href: `/receipts/${encodeURIComponent(id)}`, 'data-link': '', text: t('rc.id') + ': ' + id })));
}

/** Describes the notice: who, what, where, when. */
function details(n) {
  const v = n.violation || {};
  const desc = (lang === 'it' && v.descriptionIt) || v.description || '';
  const rows = [
    ['co.creditor', n.creditor && n.creditor.name, 'notice-creditor'],
    ['co.violation', [v.article, desc].filter(Boolean).join(' — '), 'notice-violation'],
    ['co.place', n.place, 'notice-place'],
    ['co.when', n.occurredAt && dateTime(n.occurredAt), 'notice-time'],
    ['co.plate', n.plateMasked, 'notice-plate'],
    ['co.notice', formatNAV(n.noticeNumber), 'notice-number'],
  ].filter((r) => r[1]);
  return h('dl', { class: 'facts' }, rows.map(([k, v2, id]) => [h('dt', { text: t(k) }), h('dd', { id, text: v2 })]));
}

/**
 * The stage's name, with its window ("within 5 days") — or "last day
 * today" on its last day, when "within 5 days" would mislead.
 */
function stageLabel(due, today) {
  if (!due.stage) return '';
  const key = 'co.stage.' + due.stage;
  return due.payBy && today && due.payBy === today ? t(key + '.last') : t(key);
}

/**
 * Links that put the deadlines of this notice (the 30% discount, the
 * minimum) into the phone's calendar, with the notice's link inside.
 */
function calendarLinks(n, nav) {
  const steps = (n.schedule || []).filter((s) => s.until && (!n.on || s.until >= n.on));
  if (!steps.length || n.status === 'paid' || n.status === 'cancelled') return '';
  return h('p', { class: 'calendar-links' },
    h('a', { class: 'btn btn-ghost', id: 'add-calendar', href: `/api/v1/notices/${nav}/deadlines.ics?lang=${lang}`, download: `multa-${nav}.ics`, text: t('co.calendar') }));
}

/** "€29.40 until Tue 2 Dec, then €42.00" from the schedule. */
function until(n) {
  const due = n.amountDue;
  const s = n.schedule || [];
  let i = s.findIndex((x) => x.stage === due.stage);
  if (i < 0 && due.payBy) i = s.findIndex((x) => x.until === due.payBy);
  const end = due.payBy || (i >= 0 && s[i].until);
  if (!end) return '';
  const next = i >= 0 ? s[i + 1] : null;
  return next ? t('co.until', { amount: money(due.cents), date: day(end), next: money(next.cents) })
    : t('co.untilLast', { amount: money(due.cents), date: day(end) });
}

class Checkout {
  constructor(main, nav, notice, alive) {
    this.main = main; this.nav = nav; this.n = notice; this.alive = alive;
    this.token = null; // a fresh PSP token from the form, kept for "one more tap"
    this.remember = false;
    this.busy = false;
  }

  /**
   * What a driver needs to decide comes first, inside the first screen of
   * a phone: the amount, until when, and the button. The notice's details
   * and the breakdown follow, for whoever wants to check them.
   */
  render() {
    const n = this.n, due = n.amountDue || {};
    this.stageEl = h('span', { class: 'chip stage', id: 'amount-stage' });
    this.amountEl = h('p', { class: 'amount', id: 'amount-due', text: money(due.cents) });
    this.untilEl = h('p', { class: 'until', id: 'amount-until', text: until(n) });
    this.breakEl = h('dl', { class: 'breakdown' });
    this.msg = h('div', { id: 'pay-status', 'aria-live': 'polite' });
    this.payArea = h('div', { id: 'pay-area', class: 'stack' });
    swap(this.main, h('section', { id: 'checkout', class: 'stack', 'data-nav': this.nav },
      h('h1', { text: t('co.title') }),
      h('div', { class: 'card due' },
        h('p', { class: 'label' }, t('co.due'), this.stageEl),
        this.amountEl, this.untilEl),
      this.msg,
      this.payArea,
      h('div', { class: 'card' }, this.breakEl, details(n), calendarLinks(n, this.nav)),
      h('p', { class: 'small muted', id: 'pay-elsewhere', text: t('co.elsewhere', { nav: formatNAV(this.nav), cf: (n.creditor && n.creditor.fiscalCode) || '' }) }),
      this.verbaleEl = h('div', { id: 'verbale-area', class: 'stack' })));
    // The verbale's terms, the driver's naming and foreign texts (issue 18).
    if (n.terms || n.perfectsOn || n.void || n.nameDriver || n.fixedTexts) {
      import('{{/assets/driver-verbale.js}}').then((m) => m.render(this.verbaleEl, n, this.nav)).catch(() => {});
    }
    // The request for review in autotutela and its answer (issue 14).
    this.reviewEl = h('div', { id: 'review-area', class: 'stack' });
    this.verbaleEl.after(this.reviewEl);
    import('{{/assets/driver-review.js}}').then((m) => m.render(this.reviewEl, n, this.nav)).catch(() => {});
    this.setAmount(due);
    const pending = attempts.get(this.nav);
    if (pending) this.unconfirmed(pending);
    else this.renderPay();
  }

  setAmount(due) {
    this.n.amountDue = due;
    // The stage chip follows the amount (a 409 moves "reduced" to "minimum").
    this.stageEl.textContent = stageLabel(due, this.n.on);
    this.stageEl.hidden = !due.stage;
    this.amountEl.textContent = money(due.cents);
    this.untilEl.textContent = until(this.n);
    this.breakEl.replaceChildren(
      h('dt', { text: t('co.sanction') }), h('dd', { text: money(due.sanctionCents) }),
      h('dt', { text: t('co.fees') }), h('dd', { text: money(due.feesCents) }));
  }

  say(kind, text, extra) {
    this.msg.replaceChildren(text ? note(kind, text, extra || null) : '');
    if (text && kind !== 'error') announce(text);
  }

  /**
   * The pay button: one tap with a remembered card or a fresh token, else it
   * opens the form. With openForm the card form shows; if a card is
   * remembered, "Pay with Visa ••4242" stays next to it, so choosing "use
   * another card" (or having another card declined) never hides the
   * remembered one until a reload. Buttons that replace themselves move
   * focus to what replaced them, so keyboard users are not sent to the top.
   */
  renderPay(openForm) {
    const cents = this.n.amountDue.cents;
    const saved = card.get();
    this.payArea.replaceChildren();
    if (this.token) {
      this.payArea.append(this.payButton(t('pay.btn', { amount: money(cents) }), () => this.pay(this.token.token, this.remember ? this.token : null)));
    } else if (saved && !openForm) {
      this.payArea.append(
        this.payButton(t('pay.with', { amount: money(cents), brand: brandName(saved.brand), last4: saved.last4 }), () => this.pay(saved.token, null)),
        h('button', { type: 'button', class: 'btn btn-ghost', id: 'use-other-card', text: t('pay.other'), on: { click: () => { this.say('info', ''); this.renderPay(true); focusId('card-number'); } } }),
        h('button', { type: 'button', class: 'btn btn-ghost', id: 'forget-card', text: t('pay.forget', { brand: brandName(saved.brand), last4: saved.last4 }), on: { click: () => this.forgetCard(saved) } }));
    } else if (openForm) {
      this.payArea.append(this.cardForm());
      if (saved) {
        this.payArea.append(h('button', {
          type: 'button', class: 'btn btn-ghost', id: 'use-saved-card', text: t('pay.saved', { brand: brandName(saved.brand), last4: saved.last4 }),
          on: { click: () => { this.renderPay(false); focusId('pay-btn'); } },
        }));
      }
    } else {
      const b = this.payButton(t('pay.btn', { amount: money(cents) }), () => {
        this.renderPay(true);
        focusId('card-number');
      });
      this.payArea.append(b);
    }
    this.payArea.append(h('p', { class: 'small muted', text: t('pay.secure') }));
  }

  /** Forgets the remembered card on this phone, after the driver confirms. */
  forgetCard(saved) {
    if (!window.confirm(t('pay.forget.confirm', { brand: brandName(saved.brand), last4: saved.last4 }))) return;
    card.forget();
    this.say('info', t('pay.forgotten'));
    this.renderPay(false);
    focusId('pay-btn');
  }

  payButton(label, onClick) {
    return h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'pay-btn', text: label, on: { click: onClick } });
  }

  cardForm() {
    const cents = this.n.amountDue.cents;
    const field = (id, label, attrs) => {
      const err = h('p', { class: 'field-error', id: id + '-error', hidden: true });
      const input = h('input', { id, name: id, class: 'input', 'aria-describedby': id + '-error', ...attrs });
      return { input, err, el: h('div', { class: 'field' }, h('label', { for: id, text: label }), input, err) };
    };
    const num = field('card-number', t('card.number'), { inputmode: 'numeric', autocomplete: 'cc-number', placeholder: '1234 5678 9012 3456', maxlength: '23', spellcheck: 'false' });
    const exp = field('card-exp', t('card.exp'), { inputmode: 'numeric', autocomplete: 'cc-exp', placeholder: 'MM/AA'.replace('AA', lang === 'it' ? 'AA' : 'YY'), maxlength: '7' });
    const cvc = field('card-cvc', t('card.cvc'), { inputmode: 'numeric', autocomplete: 'cc-csc', placeholder: '123', maxlength: '4' });
    const name = field('card-name', t('card.name'), { autocomplete: 'cc-name', autocapitalize: 'characters' });
    num.input.addEventListener('input', () => {
      const d = num.input.value.replace(/\D/g, '').slice(0, 19);
      const f = d.replace(/(\d{4})(?=\d)/g, '$1 ');
      if (f !== num.input.value) num.input.value = f;
    });
    exp.input.addEventListener('input', (e) => {
      let d = exp.input.value.replace(/\D/g, '').slice(0, 4);
      if (d.length === 1 && d > '1') d = '0' + d;
      const f = d.length > 2 || (d.length === 2 && e.inputType !== 'deleteContentBackward') ? d.slice(0, 2) + '/' + d.slice(2) : d;
      if (f !== exp.input.value) exp.input.value = f;
    });
    const remember = h('input', { type: 'checkbox', id: 'card-remember', name: 'remember' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'card-submit', text: t('pay.btn', { amount: money(cents) }) });
    const form = h('form', { id: 'card-form', class: 'card stack', novalidate: true },
      h('fieldset', {},
        h('legend', { text: t('card.legend') }),
        num.el,
        h('div', { class: 'row2' }, exp.el, cvc.el),
        name.el,
        // The label wraps the box: the whole 44 px row is the touch target.
        h('label', { class: 'check' }, remember, h('span', { text: t('card.remember') }))),
      submit);
    const bad = (f, key) => {
      f.input.setAttribute('aria-invalid', 'true');
      f.err.textContent = t(key);
      f.err.hidden = false;
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (this.busy) return;
      for (const f of [num, exp, cvc]) { f.input.removeAttribute('aria-invalid'); f.err.hidden = true; }
      const number = num.input.value.replace(/[\s-]/g, '');
      const m = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(exp.input.value.trim());
      const month = m ? +m[1] : 0;
      const year = m ? (m[2].length === 2 ? 2000 + +m[2] : +m[2]) : 0;
      const now = new Date();
      const expOK = month >= 1 && month <= 12 && (year > now.getFullYear() || (year === now.getFullYear() && month >= now.getMonth() + 1));
      const cvcOK = /^\d{3,4}$/.test(cvc.input.value.trim());
      const errs = [];
      if (!luhn(number)) { bad(num, 'card.bad.number'); errs.push(num); }
      if (!expOK) { bad(exp, 'card.bad.exp'); errs.push(exp); }
      if (!cvcOK) { bad(cvc, 'card.bad.cvc'); errs.push(cvc); }
      if (errs.length) { errs[0].input.focus(); return; }
      this.setBusy(true, submit);
      this.say('info', t('pay.paying'));
      let res;
      try {
        res = await call('POST', '/psp/v1/tokens', {
          json: { number, expMonth: month, expYear: year, cvc: cvc.input.value.trim(), holder: name.input.value.trim() || undefined },
          timeout: 20000,
        });
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        this.setBusy(false, submit);
        this.say('error', t('card.pspdown'));
        return;
      }
      if (!this.alive()) return;
      if (!res.ok || !res.data || !res.data.token) {
        this.setBusy(false, submit);
        if (res.status === 402 || res.code === 'card_declined') { this.declined(res.data && res.data.reason); return; }
        this.say('error', res.status === 429 ? t('rate') : t('card.psp'));
        if (res.status === 422 || res.status === 400) bad(num, 'card.bad.number');
        return;
      }
      const tok = res.data;
      this.token = { token: tok.token, brand: tok.brand, last4: tok.last4, expMonth: tok.expMonth || month, expYear: tok.expYear || year };
      this.remember = remember.checked;
      this.setBusy(false, submit);
      this.pay(this.token.token, this.remember ? this.token : null);
    });
    return form;
  }

  /**
   * A card was declined and nothing was charged. If another card is
   * remembered it is offered again ("Pay €X with Visa ••4242", plus "Use
   * another card") with focus on it; otherwise an empty card form.
   */
  declined(reason) {
    this.say('error', t(reason === 'insufficient_funds' ? 'pay.insufficient' : 'pay.declined'));
    const saved = card.get();
    this.renderPay(!saved);
    focusId(saved ? 'pay-btn' : 'card-number');
  }

  setBusy(on, btn) {
    this.busy = on;
    for (const b of this.main.querySelectorAll('button, input')) b.disabled = on;
    const el = btn || document.getElementById('pay-btn');
    if (el) el.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  /** Starts a new attempt (new key) for the amount on screen. */
  pay(token, remember) {
    if (this.busy) return;
    // Surely offline: say so plainly instead of sending a request that
    // cannot leave the phone and then calling the payment "unconfirmed".
    if (!isOnline()) { this.say('warn', t('pay.offline')); return; }
    const a = { key: uuid(), amountCents: this.n.amountDue.cents, token, remember, at: Date.now() };
    attempts.set(this.nav, a);
    this.send(a);
  }

  /** Sends attempt a; the same a (key and body) on every retry. */
  async send(a) {
    this.setBusy(true);
    this.say('info', t('pay.paying'));
    let res;
    try {
      res = await call('POST', `/api/v1/notices/${this.nav}/payments`, {
        headers: { 'Idempotency-Key': a.key },
        json: { amountCents: a.amountCents, token: a.token },
        timeout: 30000,
      });
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      if (this.alive()) this.unconfirmed(a);
      return;
    }
    if (!this.alive()) return;
    this.setBusy(false);
    const d = res.data || {};
    if (res.status === 201 || res.status === 200) {
      attempts.clear(this.nav);
      if (a.remember) card.set(a.remember);
      const r = d.receipt || d;
      showReceipt(this.main, r);
      return;
    }
    if (res.status >= 500 || res.status === 408) { this.unconfirmed(a); return; }
    if (res.status === 429) { this.rateLimited(a, res.retryAfter); return; }
    attempts.clear(this.nav);
    if (res.status === 402 || res.code === 'card_declined') {
      // The remembered card is forgotten only if it is the one declined.
      const saved = card.get();
      if (saved && saved.token === a.token) card.forget();
      this.token = null;
      this.declined(d.reason);
      return;
    }
    if (res.code === 'amount_changed' && d.amountDue) {
      this.setAmount(d.amountDue);
      this.say('warn', t('pay.changed', { amount: money(d.amountDue.cents) }));
      this.renderPay(false);
      const b = document.getElementById('pay-btn');
      if (b) b.focus();
      return;
    }
    if (res.code === 'already_paid') {
      alreadyPaid(this.main, this.nav, d.receiptId ? { receiptId: d.receiptId } : null, this.alive);
      return;
    }
    if (res.status === 410 || res.code === 'fine_cancelled') {
      swap(this.main, h('h1', { text: t('co.title') }), note('warn', t('pay.cancelled')), homeLink());
      return;
    }
    this.token = null;
    this.say('error', (d.detail && `${t('pay.failed')} (${d.detail})`) || t('pay.failed'));
    this.renderPay(!card.get());
  }

  /** No answer: say so, and offer to replay the very same request. */
  unconfirmed(a) {
    this.setBusy(false);
    this.say('warn', t('pay.unconfirmed'), h('span', { class: 'block', text: t('pay.unconfirmed.sub') }));
    this.payArea.replaceChildren(h('button', {
      type: 'button', class: 'btn btn-primary btn-big', id: 'check-btn', text: t('pay.check'),
      on: { click: () => this.send(a) },
    }));
    document.getElementById('check-btn').focus();
  }

  rateLimited(a, seconds) {
    let s = Math.min(Math.max(seconds || 10, 1), 120);
    const btn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'check-btn', disabled: true, text: t('retry'), on: { click: () => this.send(a) } });
    this.payArea.replaceChildren(btn);
    this.say('warn', t('pay.wait', { s }));
    const timer = setInterval(() => {
      s--;
      if (s <= 0 || !this.alive()) { clearInterval(timer); btn.disabled = false; this.say('info', ''); return; }
    }, 1000);
  }
}
