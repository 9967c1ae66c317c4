// The request for review in self-protection (istanza in autotutela) on the
// driver's checkout (issue 14): the state of the latest request and the
// office's answer, read by notice number; the form (plate as second
// factor, text, up to four photos or scans) while none awaits an answer.
// The fine stays payable meanwhile, and the appeal terms keep running.
import { t, extend, dateTime } from '{{/assets/i18n.js}}';
import { h, note } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';

extend({
  it: {
    'rv.title': 'Chiedi l\'annullamento (autotutela)',
    'rv.lead': 'Se ritieni il verbale sbagliato puoi chiedere al comando di annullarlo. Non sospende i termini di pagamento né quelli di ricorso.',
    'rv.open': 'Scrivi la richiesta',
    'rv.plate': 'Targa del veicolo',
    'rv.text': 'Perché il verbale va annullato',
    'rv.files': 'Foto o documenti (fino a 4 immagini)',
    'rv.send': 'Invia la richiesta',
    'rv.submitted': 'Richiesta inviata il {d}: in attesa di risposta. Il verbale resta pagabile.',
    'rv.accepted': 'Richiesta accolta il {d}: il verbale è annullato. Motivo: {a}',
    'rv.rejected': 'Richiesta respinta il {d}. Motivo: {a}',
    'rv.nomatch': 'La targa non corrisponde a questo verbale.',
    'rv.invalid': 'Spiega il motivo in almeno 10 caratteri; allega solo immagini.',
  },
  en: {
    'rv.title': 'Ask for cancellation (self-protection review)',
    'rv.lead': 'If you think the report is wrong you can ask the office to cancel it. This does not suspend the payment or appeal terms.',
    'rv.open': 'Write the request',
    'rv.plate': 'Vehicle plate',
    'rv.text': 'Why the report should be cancelled',
    'rv.files': 'Photos or documents (up to 4 images)',
    'rv.send': 'Send the request',
    'rv.submitted': 'Request sent on {d}: awaiting an answer. The fine can still be paid.',
    'rv.accepted': 'Request accepted on {d}: the report is cancelled. Reason: {a}',
    'rv.rejected': 'Request rejected on {d}. Reason: {a}',
    'rv.nomatch': 'The plate does not match this report.',
    'rv.invalid': 'Explain why in at least 10 characters; attach images only.',
  },
});

function status(r) {
  const d = dateTime(r.status === 'submitted' ? r.submittedAt : r.decidedAt);
  return note(r.status === 'accepted' ? 'ok' : r.status === 'rejected' ? 'warn' : 'info', t('rv.' + r.status, { d, a: r.answer || '' }));
}

/** Renders the review card of notice n into el. */
export function render(el, n, nav) {
  const card = h('div', { class: 'card stack', id: 'review-card', 'data-status': (n.review && n.review.status) || '' }, h('h2', { text: t('rv.title') }));
  if (n.review) card.append(h('div', { id: 'review-status' }, status(n.review)));
  if (n.status === 'paid' || n.status === 'cancelled' || (n.review && n.review.status === 'submitted')) {
    if (n.review) el.append(card);
    return;
  }
  card.append(h('p', { class: 'small', text: t('rv.lead') }));
  const open = h('button', { type: 'button', class: 'btn btn-secondary', id: 'review-open', text: t('rv.open') });
  open.addEventListener('click', () => { const f = form(nav, card); open.replaceWith(f); f.querySelector('input').focus(); });
  card.append(open);
  el.append(card);
}

function form(nav, card) {
  const msg = h('div', { id: 'review-msg', 'aria-live': 'polite' });
  const plate = h('input', { id: 'rv-plate', name: 'plate', class: 'input mono', autocapitalize: 'characters', autocomplete: 'off', maxlength: '12', required: true });
  const text = h('textarea', { id: 'rv-text', name: 'text', class: 'input', rows: '5', maxlength: '4000', required: true });
  const files = h('input', { id: 'rv-files', name: 'attachment', type: 'file', accept: 'image/*', multiple: true, class: 'input' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary', id: 'rv-send', text: t('rv.send') });
  const f = h('form', { id: 'review-form', class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'rv-plate', text: t('rv.plate') }), plate),
    h('div', { class: 'field' }, h('label', { for: 'rv-text', text: t('rv.text') }), text),
    h('div', { class: 'field' }, h('label', { for: 'rv-files', text: t('rv.files') }), files),
    send, msg);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (text.value.trim().length < 10 || files.files.length > 4) { msg.replaceChildren(note('error', t('rv.invalid'))); return; }
    const fd = new FormData();
    fd.append('plate', plate.value.trim());
    fd.append('text', text.value.trim());
    for (const file of files.files) fd.append('attachment', file);
    send.disabled = true;
    let res;
    try { res = await call('POST', `/api/v1/notices/${nav}/reviews`, { body: fd, timeout: 60000 }); } catch (err) {
      send.disabled = false;
      if (!(err instanceof NetworkError)) throw err;
      msg.replaceChildren(note('error', t('offline')));
      return;
    }
    send.disabled = false;
    if (res.status === 201 && res.data) {
      card.dataset.status = res.data.status;
      card.replaceChildren(h('h2', { text: t('rv.title') }), h('div', { id: 'review-status' }, status(res.data)));
      return;
    }
    msg.replaceChildren(note('error', res.status === 404 ? t('rv.nomatch') : res.status === 422 ? t('rv.invalid') : res.status === 429 ? t('rate') : ((res.data && res.data.detail) || t('error'))));
  });
  return f;
}
