// "My fines" (issue 14): the driver gives the plate and the report number
// (or notice number) of one fine as proof, sees every open fine of that
// plate with today's amount, its appeal terms and the officer's photos,
// selects some and pays them with one card authorization, getting one
// receipt per fine. The plate is the second factor for the photos: it
// travels in a header, never in a URL.
import { t, extend, money, day, dateTime } from '{{/assets/i18n.js}}';
import { h, note, uuid, luhn, announce, brandName, isOnline } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';
import { card, receipts } from '{{/assets/store.js}}';
import { here, swap } from '{{/assets/router.js}}';

extend({
  it: {
    'pl.title': 'I miei verbali',
    'pl.lead': 'Scrivi la targa e il numero di un verbale (o il codice avviso): vedi tutti i verbali da pagare di quella targa e li paghi insieme.',
    'pl.plate': 'Targa',
    'pl.proof': 'Numero del verbale o codice avviso',
    'pl.proof.hint': 'Lo trovi sul verbale, ad esempio 2026/000123. Serve a provare che il verbale l\'hai ricevuto tu.',
    'pl.submit': 'Mostra i verbali',
    'pl.nomatch': 'Nessun verbale corrisponde a questa targa e a questo numero.',
    'pl.none': 'Nessun verbale da pagare per questa targa.',
    'pl.count': 'Verbali da pagare per {plate}',
    'pl.select': 'Paga il verbale {r}',
    'pl.total': 'Totale selezionato',
    'pl.pay': 'Paga {amount}',
    'pl.payWith': 'Paga {amount} con {brand} ••{last4}',
    'pl.nothing': 'Seleziona almeno un verbale.',
    'pl.photos': 'Foto ({n})',
    'pl.photo.alt': 'Foto {n} del verbale {r}',
    'pl.terms': 'Ricorso al Prefetto entro il {p} o al Giudice di Pace entro il {g}. Chi paga l\'importo ridotto rinuncia al ricorso.',
    'pl.void': 'Non pagabile finché il comando non decide.',
    'pl.review': 'Richiesta di autotutela: {s}',
    'pl.review.submitted': 'in attesa di risposta',
    'pl.review.accepted': 'accolta',
    'pl.review.rejected': 'respinta',
    'pl.open': 'Apri l\'avviso',
    'pl.paid.title': 'Pagamento riuscito',
    'pl.paid': 'Hai pagato {n} verbali con un solo addebito di {amount}. Ecco una ricevuta per ciascuno.',
    'pl.changed': 'L\'importo di un verbale è cambiato: nulla è stato addebitato. Controlla i nuovi importi e riprova.',
    'pl.already': 'Il verbale {r} risulta già pagato: nulla è stato addebitato. Toglilo dalla selezione.',
    'pl.card': 'Carta di pagamento',
  },
  en: {
    'pl.title': 'My fines',
    'pl.lead': 'Type the plate and the number of one report (or its notice number): you see every fine to pay for that plate and pay them together.',
    'pl.plate': 'Plate',
    'pl.proof': 'Report number or notice number',
    'pl.proof.hint': 'Printed on the report, e.g. 2026/000123. It shows that you received the report.',
    'pl.submit': 'Show the fines',
    'pl.nomatch': 'No fine matches this plate and this number.',
    'pl.none': 'No fines to pay for this plate.',
    'pl.count': 'Fines to pay for {plate}',
    'pl.select': 'Pay report {r}',
    'pl.total': 'Selected total',
    'pl.pay': 'Pay {amount}',
    'pl.payWith': 'Pay {amount} with {brand} ••{last4}',
    'pl.nothing': 'Select at least one fine.',
    'pl.photos': 'Photos ({n})',
    'pl.photo.alt': 'Photo {n} of report {r}',
    'pl.terms': 'Appeal to the Prefetto by {p} or to the Giudice di Pace by {g}. Paying the reduced amount gives up the right to appeal.',
    'pl.void': 'Cannot be paid until the office decides.',
    'pl.review': 'Request for review: {s}',
    'pl.review.submitted': 'awaiting an answer',
    'pl.review.accepted': 'accepted',
    'pl.review.rejected': 'rejected',
    'pl.open': 'Open the notice',
    'pl.paid.title': 'Payment successful',
    'pl.paid': 'You paid {n} fines with a single charge of {amount}. Here is a receipt for each.',
    'pl.changed': 'The amount of a fine has changed: nothing was charged. Check the new amounts and try again.',
    'pl.already': 'Report {r} is already paid: nothing was charged. Take it out of the selection.',
    'pl.card': 'Payment card',
  },
});

/** The view for /plate. */
export function platesView(main) {
  const alive = here();
  const err = h('div', { id: 'plate-error', 'aria-live': 'polite' });
  const plate = h('input', { id: 'plate-input', name: 'plate', class: 'input input-big mono', autocapitalize: 'characters', autocomplete: 'off', spellcheck: 'false', maxlength: '12' });
  const proof = h('input', { id: 'proof-input', name: 'proof', class: 'input mono', autocomplete: 'off', spellcheck: 'false', maxlength: '30', 'aria-describedby': 'proof-hint' });
  const form = h('form', { id: 'plate-form', class: 'card stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'plate-input', text: t('pl.plate') }), plate),
    h('div', { class: 'field' }, h('label', { for: 'proof-input', text: t('pl.proof') }),
      h('p', { class: 'hint', id: 'proof-hint', text: t('pl.proof.hint') }), proof),
    h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'plate-submit', text: t('pl.submit') }));
  const results = h('div', { id: 'plate-results', class: 'stack' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.replaceChildren();
    const body = { plate: plate.value.trim(), proof: proof.value.trim() };
    if (!body.plate || !body.proof) { err.replaceChildren(note('error', t('pl.nomatch'))); return; }
    let res;
    try { res = await call('POST', '/api/v1/plates/fines', { json: body }); } catch (x) {
      if (!(x instanceof NetworkError)) throw x;
      err.replaceChildren(note('error', t('offline')));
      return;
    }
    if (!alive()) return;
    if (!res.ok) { err.replaceChildren(note('error', t(res.status === 429 ? 'rate' : res.status === 404 ? 'pl.nomatch' : 'error'))); return; }
    new Cart(main, res.data, alive).render(results);
  });
  main.append(h('section', { class: 'stack', id: 'plates' },
    h('h1', { text: t('pl.title') }), h('p', { class: 'lead', text: t('pl.lead') }), err, form, results));
}

class Cart {
  constructor(main, data, alive) {
    this.main = main; this.data = data; this.alive = alive;
    this.selected = new Set(data.items.filter((i) => i.payable).map((i) => i.noticeNumber));
    this.attempt = null;
  }

  render(el) {
    const items = this.data.items;
    if (!items.length) { el.replaceChildren(note('info', t('pl.none'))); return; }
    this.totalEl = h('p', { class: 'amount', id: 'cart-total' });
    this.msg = h('div', { id: 'cart-msg', 'aria-live': 'polite' });
    this.payArea = h('div', { id: 'cart-pay', class: 'stack' });
    el.replaceChildren(
      h('h2', { id: 'plate-count', text: t('pl.count', { plate: this.data.plate }) }),
      h('ul', { class: 'list stack', id: 'plate-fines' }, items.map((it) => this.row(it))),
      h('div', { class: 'card', id: 'cart-summary' }, h('p', { class: 'label', text: t('pl.total') }), this.totalEl),
      this.msg, this.payArea);
    this.update();
  }

  row(it) {
    const box = h('input', { type: 'checkbox', id: 'sel-' + it.noticeNumber, 'data-nav': it.noticeNumber, checked: this.selected.has(it.noticeNumber), disabled: !it.payable });
    box.addEventListener('change', () => { if (box.checked) this.selected.add(it.noticeNumber); else this.selected.delete(it.noticeNumber); this.update(); });
    const photos = h('div', { class: 'photos', id: 'photos-' + it.noticeNumber });
    const li = h('li', { class: 'card stack plate-fine', 'data-report': it.reportNumber },
      h('label', { class: 'check' }, box, h('span', {},
        h('strong', { class: 'amount-sm', id: 'amt-' + it.noticeNumber, text: money(it.amountDue.cents) }), ' · ',
        h('span', { text: t('pl.select', { r: it.reportNumber }) }))),
      h('p', { class: 'small', text: `${it.violation.article} — ${it.violation.description}` }),
      h('p', { class: 'small muted', text: `${dateTime(it.occurredAt)} · ${it.place}` }),
      it.terms ? h('p', { class: 'small', 'data-terms': '', text: t('pl.terms', { p: day(it.terms.prefetto, true), g: day(it.terms.giudiceDiPace, true) }) }) : null,
      it.payable ? null : note('warn', t('pl.void')),
      it.review ? h('p', { class: 'small', text: t('pl.review', { s: t('pl.review.' + it.review.status) }) }) : null,
      it.photos.length ? h('button', { type: 'button', class: 'btn btn-secondary', id: 'show-photos-' + it.noticeNumber, text: t('pl.photos', { n: it.photos.length }),
        on: { click: (e) => { e.target.remove(); this.photos(it, photos); } } }) : null,
      photos,
      h('a', { class: 'btn btn-ghost', href: '/p/' + it.noticeNumber, 'data-link': '', text: t('pl.open') }));
    return li;
  }

  /** Fetches the photos with the plate as second factor; blob URLs, never the plate in a URL. */
  async photos(it, el) {
    for (const n of it.photos) {
      let res;
      try { res = await call('GET', `/api/v1/notices/${it.noticeNumber}/photos/${n}`, { headers: { 'Multa-Plate': this.data.plate, Accept: 'image/jpeg' }, blob: true }); } catch { el.append(note('error', t('offline'))); return; }
      if (!res.ok || !res.blob) { el.append(note('error', t(res.status === 429 ? 'rate' : 'error'))); return; }
      const img = h('img', { class: 'evidence', src: URL.createObjectURL(res.blob), alt: t('pl.photo.alt', { n, r: it.reportNumber }) });
      el.append(img);
    }
  }

  total() {
    return this.data.items.filter((i) => this.selected.has(i.noticeNumber)).reduce((s, i) => s + i.amountDue.cents, 0);
  }

  update() {
    const cents = this.total();
    this.totalEl.textContent = money(cents);
    this.payArea.replaceChildren();
    const saved = card.get();
    if (saved) {
      this.payArea.append(h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'cart-pay-btn',
        text: t('pl.payWith', { amount: money(cents), brand: brandName(saved.brand), last4: saved.last4 }), on: { click: () => this.pay(saved.token) } }));
    } else {
      this.payArea.append(this.cardForm(cents));
    }
  }

  cardForm(cents) {
    const input = (id, label, attrs) => h('div', { class: 'field' }, h('label', { for: id, text: t(label) }), h('input', { id, class: 'input', ...attrs }));
    const form = h('form', { id: 'cart-card-form', class: 'card stack', novalidate: true },
      h('fieldset', {}, h('legend', { text: t('pl.card') }),
        input('cart-card-number', 'card.number', { inputmode: 'numeric', autocomplete: 'cc-number', maxlength: '23' }),
        h('div', { class: 'row2' },
          input('cart-card-exp', 'card.exp', { inputmode: 'numeric', autocomplete: 'cc-exp', placeholder: 'MM/AA', maxlength: '7' }),
          input('cart-card-cvc', 'card.cvc', { inputmode: 'numeric', autocomplete: 'cc-csc', maxlength: '4' }))),
      h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'cart-pay-btn', text: t('pl.pay', { amount: money(cents) }) }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector('#' + id).value.trim();
      const number = v('cart-card-number').replace(/[\s-]/g, '');
      const m = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(v('cart-card-exp'));
      if (!luhn(number) || !m || !/^\d{3,4}$/.test(v('cart-card-cvc'))) { this.say('error', t('card.bad.number')); return; }
      const year = m[2].length === 2 ? 2000 + +m[2] : +m[2];
      let res;
      try { res = await call('POST', '/psp/v1/tokens', { json: { number, expMonth: +m[1], expYear: year, cvc: v('cart-card-cvc') } }); } catch { this.say('error', t('card.pspdown')); return; }
      if (!res.ok || !res.data || !res.data.token) { this.say('error', t(res.status === 402 ? 'pay.declined' : 'card.psp')); return; }
      this.pay(res.data.token);
    });
    return form;
  }

  say(kind, text) { this.msg.replaceChildren(text ? note(kind, text) : ''); if (text && kind !== 'error') announce(text); }

  /** One cart attempt: the same key until a definite answer. */
  async pay(token) {
    const items = this.data.items.filter((i) => this.selected.has(i.noticeNumber))
      .map((i) => ({ noticeNumber: i.noticeNumber, amountCents: i.amountDue.cents }));
    if (!items.length) { this.say('warn', t('pl.nothing')); return; }
    if (!isOnline()) { this.say('warn', t('pay.offline')); return; }
    const body = JSON.stringify({ items, token });
    if (!this.attempt || this.attempt.body !== body) this.attempt = { key: uuid(), body };
    for (const b of this.main.querySelectorAll('#plate-results button, #plate-results input')) b.disabled = true;
    this.say('info', t('pay.paying'));
    let res;
    try {
      res = await call('POST', '/api/v1/carts/payments', { headers: { 'Idempotency-Key': this.attempt.key }, body, type: 'application/json', timeout: 30000 });
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      this.say('warn', t('pay.unconfirmed'));
      this.enable();
      return;
    }
    if (!this.alive()) return;
    const d = res.data || {};
    if (res.status === 201) { this.done(d); return; }
    this.enable();
    if (res.status >= 500) { this.say('warn', t('pay.unconfirmed')); return; }
    this.attempt = null;
    if (res.code === 'amount_changed' && d.items) {
      for (const c of d.items) {
        const it = this.data.items.find((i) => i.noticeNumber === c.noticeNumber);
        if (it) { it.amountDue = c.amountDue; document.getElementById('amt-' + it.noticeNumber).textContent = money(c.amountDue.cents); }
      }
      this.update();
      this.say('warn', t('pl.changed'));
      return;
    }
    if (res.code === 'already_paid') { this.say('warn', t('pl.already', { r: d.reportNumber || '' })); return; }
    if (res.status === 402 || res.code === 'card_declined') { this.say('error', t(d.reason === 'insufficient_funds' ? 'pay.insufficient' : 'pay.declined')); return; }
    this.say('error', res.status === 429 ? t('rate') : (d.detail || t('pay.failed')));
  }

  enable() {
    for (const b of this.main.querySelectorAll('#plate-results button, #plate-results input')) b.disabled = false;
    for (const it of this.data.items) if (!it.payable) { const b = document.getElementById('sel-' + it.noticeNumber); if (b) b.disabled = true; }
  }

  done(d) {
    for (const r of d.receipts) receipts.save(r);
    swap(this.main, h('section', { id: 'cart-done', class: 'stack' },
      h('div', { class: 'receipt-head' }, h('span', { class: 'tick', 'aria-hidden': 'true' }, '✓'), h('h1', { text: t('pl.paid.title') })),
      note('ok', t('pl.paid', { n: d.receipts.length, amount: money(d.totalCents) })),
      h('ul', { class: 'list', id: 'cart-receipts' }, d.receipts.map((r) => h('li', {},
        h('a', { class: 'row', href: `/receipts/${encodeURIComponent(r.receiptId)}`, 'data-link': '', 'data-receipt-id': r.receiptId },
          h('span', { class: 'row-main' }, h('strong', { text: money(r.amountCents) }), h('span', { class: 'muted', text: r.reportNumber })),
          h('span', { class: 'row-sub muted mono', text: r.receiptId.slice(0, 12) + '…' }))))),
      h('a', { class: 'btn btn-ghost', href: '/', 'data-link': '', text: t('rc.home') })));
    announce(t('pl.paid.title'));
  }
}
