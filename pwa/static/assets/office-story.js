// The parts of a fine's page that tell its story: what is due today and
// until when, or the payment (day, amount, channel, receipt PDF, proof);
// the corrections with their old values; a supervisor's correction form;
// and the audit trail of every change, with who and when, as the ledger
// recorded it. office.js's renderDetail appends them to the page.
import { t, money, day, dateTime } from '{{/assets/i18n.js}}';
import { h, note, announce } from '{{/assets/util.js}}';
import { problemText } from '{{/assets/office-fines.js}}';

/**
 * Fills el with the story of fine f. ctx: api, canCorrect() (supervisors
 * and admins), reload(fine, flash) re-renders the page with a fine.
 */
export function render(el, f, ctx) {
  const open = f.status === 'issued' || f.status === 'notified';
  const parts = [];
  if (open && f.amountDue) parts.push(dueBox(f));
  if (f.receiptId) parts.push(paymentBox(f, ctx));
  if ((f.corrections || []).length) parts.push(correctionsBox(f));
  if (open && ctx.canCorrect()) parts.push(correctBlock(f, ctx));
  parts.push(historyBox(f, ctx));
  el.replaceChildren(...parts);
}

function dueBox(f) {
  const d = f.amountDue;
  return h('div', { class: 'card stack', id: 'fine-due' },
    h('h2', { text: t('sto.due') }),
    h('p', { class: 'amount money', text: money(d.cents) }),
    h('p', { class: 'muted', text: d.payBy ? t('sto.dueUntil', { d: day(d.payBy, true) }) : t('sto.dueOpen') }),
    d.stage === 'increased' ? note('warn', t('sto.overdue')) : null);
}

function paymentBox(f, ctx) {
  const links = (id) => {
    const base = `/api/v1/receipts/${encodeURIComponent(id)}`;
    return h('div', { class: 'toolbar' },
      h('a', { class: 'btn btn-secondary', id: 'fine-receipt-pdf', href: base + '.pdf', target: '_blank', rel: 'noopener', text: t('sto.receiptPdf') }),
      h('a', { class: 'btn btn-secondary', id: 'fine-receipt-proof', href: base + '/proof', target: '_blank', rel: 'noopener', text: t('sto.proof') }));
  };
  // The payments card (office.js) already lists day, amount and channel of
  // every payment: here only the settling receipt's documents.
  if (f.payments && f.payments.length) {
    return h('div', { class: 'card stack', id: 'fine-payment' }, h('h2', { text: t('sto.receipt') }), links(f.receiptId));
  }
  const box = h('div', { class: 'card stack', id: 'fine-payment' }, h('h2', { text: t('sto.payment') }), h('p', { class: 'muted', text: t('loading') }));
  (async () => {
    let res;
    try { res = await ctx.api('GET', `/api/v1/receipts/${encodeURIComponent(f.receiptId)}`); } catch { box.lastChild.textContent = t('offline'); return; }
    if (!res.ok || !res.data) { box.lastChild.textContent = problemText(res); return; }
    const r = res.data;
    const channel = r.channel ? t('sto.channel.' + r.channel) : '';
    const via = [channel, r.psp && r.psp.name, r.method && r.method.brand ? `${r.method.brand} •••• ${r.method.last4 || ''}` : ''].filter(Boolean).join(' · ');
    const rows = [
      [t('sto.paidAt'), dateTime(r.paidAt)],
      [t('sto.amount'), money(r.amountCents)],
      [t('sto.via'), via],
      [t('sto.receipt'), r.receiptId],
    ].filter((x) => x[1]);
    box.replaceChildren(h('h2', { text: t('sto.payment') }),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { class: k === t('sto.amount') ? 'money' : null, text: v })])),
      links(r.receiptId));
  })();
  return box;
}

const fieldLabel = (name) => t(name === 'plate' ? 'off.plate' : name === 'place' ? 'off.place' : name);

function correctionsBox(f) {
  return h('div', { class: 'card stack', id: 'fine-corrections' }, h('h2', { text: t('sto.corrections') }),
    h('ul', { class: 'plain' }, f.corrections.map((c) => h('li', { class: 'correction' },
      h('p', { class: 'lbl', text: t('sto.correctedBy', { by: c.by, at: dateTime(c.at) }) }),
      (c.changes || []).map((ch) => h('p', {}, `${fieldLabel(ch.field)}: `, h('del', { class: 'mono', text: ch.old }), ' → ', h('strong', { class: 'mono', text: ch.new }))),
      h('p', { class: 'muted', text: t('sto.reason', { r: c.reason }) })))));
}

function correctBlock(f, ctx) {
  const wrap = h('div', { id: 'correct-block' });
  const btn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'correct-btn', text: t('sto.correct') });
  btn.addEventListener('click', () => {
    const msg = h('div', { id: 'correct-status', 'aria-live': 'polite' });
    const mk = (id, name, label, value, attrs = {}) => {
      const input = h(attrs.rows ? 'textarea' : 'input', { id, name, class: 'input' + (name === 'plate' ? ' mono' : ''), value, 'aria-describedby': id + '-error', ...attrs });
      if (attrs.rows) input.value = value;
      const err = h('p', { class: 'field-error', id: id + '-error', hidden: true });
      return { input, err, el: h('div', { class: 'field' }, h('label', { for: id, text: label }), input, err) };
    };
    const plate = mk('correct-plate', 'plate', t('off.plate'), f.plate, { autocapitalize: 'characters', autocomplete: 'off', spellcheck: 'false', maxlength: '12' });
    const place = mk('correct-place', 'place', t('off.place'), f.place, { autocomplete: 'off' });
    const reason = mk('correct-reason', 'reason', t('sto.correct.reason'), '', { rows: '2', maxlength: '500' });
    const fields = { plate, place, reason };
    const submit = h('button', { type: 'submit', id: 'correct-submit', class: 'btn btn-primary', text: t('sto.correct.submit') });
    const form = h('form', { id: 'correct-form', class: 'card stack', novalidate: true },
      h('h2', { text: t('sto.correct') }), h('p', { class: 'hint', text: t('sto.correct.what') }), plate.el, place.el, reason.el, msg, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const x of Object.values(fields)) { x.input.removeAttribute('aria-invalid'); x.err.hidden = true; }
      msg.replaceChildren();
      const body = {
        plate: plate.input.value.trim() === f.plate ? '' : plate.input.value.trim(),
        place: place.input.value.trim() === f.place ? '' : place.input.value.trim(),
        reason: reason.input.value.trim(),
      };
      submit.disabled = true;
      let res;
      try { res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/correction`, { json: body }); } catch { submit.disabled = false; msg.replaceChildren(note('error', t('offline'))); return; }
      submit.disabled = false;
      if (res.ok && res.data) { ctx.reload(res.data, t('sto.corrected')); return; }
      if (res.status === 401) return;
      showFieldErrors(res, fields, msg);
    });
    wrap.replaceChildren(form);
    reason.input.focus();
  });
  wrap.append(btn);
  return wrap;
}

/**
 * Puts each of a problem's field errors next to its field, marks the field
 * invalid, scrolls the first into view and focuses it; what has no field
 * goes to msg.
 */
export function showFieldErrors(res, fields, msg) {
  const d = res.data || {};
  let first = null;
  const loose = [];
  for (const fe of d.errors || []) {
    const f = fields[fe.field];
    if (!f) { loose.push(fe.message); continue; }
    f.input.setAttribute('aria-invalid', 'true');
    f.err.textContent = fe.message;
    f.err.hidden = false;
    first = first || f;
  }
  msg.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : [d.detail, ...loose].filter(Boolean).join(' — ') || t('error')));
  if (first) {
    first.input.scrollIntoView({ block: 'center' });
    first.input.focus({ preventScroll: true });
  }
}

function historyBox(f, ctx) {
  const list = h('ol', { class: 'trail', id: 'fine-history-list', 'aria-busy': 'true' });
  const box = h('div', { class: 'card stack', id: 'fine-history' }, h('h2', { text: t('sto.history') }), list);
  (async () => {
    let res;
    try { res = await ctx.api('GET', `/api/v1/fines/${encodeURIComponent(f.id)}/history`); } catch { list.replaceChildren(h('li', { text: t('offline') })); return; }
    list.removeAttribute('aria-busy');
    if (!res.ok || !res.data) { list.replaceChildren(h('li', { text: problemText(res) })); return; }
    const corrections = (res.data.corrections || []).slice();
    const events = res.data.events || [];
    list.replaceChildren(...events.map((ev, i) => {
      let what = t('sto.ev.' + ev.op + '.' + ev.status);
      if (what.startsWith('sto.ev.')) what = t('sto.ev.' + ev.op);
      // An update of an open fine that is not a status change is a
      // correction when one was recorded: name it.
      if (ev.op === 'update' && i > 0 && events[i - 1].status === ev.status && corrections.length) {
        const c = corrections.shift();
        what = t('sto.ev.corrected', { what: (c.changes || []).map((x) => fieldLabel(x.field).toLowerCase()).join(', ') });
      }
      return h('li', { 'data-op': ev.op },
        h('span', { class: 'lbl', text: what }), ' ',
        h('span', { class: 'muted', text: [ev.by ? t('sto.by', { u: ev.by }) : (ev.op === 'pay' ? t('sto.byPayer') : ''), dateTime(ev.at)].filter(Boolean).join(' · ') }));
    }));
    box.dataset.loaded = String(events.length);
    announce(t('sto.history'));
  })();
  return box;
}
