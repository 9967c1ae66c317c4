// The office's queue of requests for review in autotutela (issue 14):
// each request with its text and attachments; a supervisor answers it —
// accepting cancels the fine with the answer as the reason, rejecting
// keeps it payable — and the citizen reads the answer by notice number.
import { t, dateTime } from '{{/assets/i18n.js}}';
import { h, note, announce } from '{{/assets/util.js}}';

/** Renders the queue into el; ctx: {api, canDecide}. */
export async function render(el, ctx) {
  el.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  let res;
  try { res = await ctx.api('GET', '/api/v1/reviews'); } catch { el.replaceChildren(note('error', t('off.neterror'))); return; }
  if (!res.ok) { el.replaceChildren(note('error', t('error'))); return; }
  const items = res.data.items || [];
  const msg = h('div', { id: 'reviews-msg', 'aria-live': 'polite' });
  if (!items.length) { el.replaceChildren(msg, note('info', t('rq.none'))); return; }
  el.replaceChildren(msg, h('ul', { class: 'list stack', id: 'review-queue' }, items.map((it) => item(it, ctx, msg))));
}

function item(it, ctx, msg) {
  const li = h('li', { class: 'card stack', 'data-fine-id': it.fineId, 'data-report': it.reportNumber },
    h('h2', { text: t('rq.item', { r: it.reportNumber, p: it.plate, d: dateTime(it.submittedAt) }) }),
    h('p', { class: 'review-text', text: it.text }));
  const pics = h('div', { class: 'photos' });
  li.append(pics);
  for (const n of it.attachments || []) attachment(ctx, it, n, pics);
  if (!ctx.canDecide) return li;
  const id = 'rq-answer-' + it.fineId;
  const answer = h('textarea', { id, class: 'input', rows: '3', maxlength: '480' });
  const decide = async (accept) => {
    if (!answer.value.trim()) { answer.setAttribute('aria-invalid', 'true'); msg.replaceChildren(note('error', t('rq.needAnswer'))); answer.focus(); return; }
    for (const b of li.querySelectorAll('button')) b.disabled = true;
    let res;
    try { res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(it.fineId)}/review-decision`, { json: { accept, answer: answer.value.trim() } }); } catch {
      for (const b of li.querySelectorAll('button')) b.disabled = false;
      msg.replaceChildren(note('error', t('off.neterror')));
      return;
    }
    if (!res.ok) {
      for (const b of li.querySelectorAll('button')) b.disabled = false;
      msg.replaceChildren(note('error', (res.data && res.data.detail) || t('error')));
      return;
    }
    const text = t(accept ? 'rq.done.accepted' : 'rq.done.rejected', { r: it.reportNumber });
    msg.replaceChildren(note('ok', text));
    announce(text);
    li.remove();
  };
  li.append(h('div', { class: 'field' }, h('label', { for: id, text: t('rq.answer') }), answer),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'btn btn-primary', id: 'rq-accept-' + it.fineId, text: t('rq.accept'), on: { click: () => decide(true) } }),
      h('button', { type: 'button', class: 'btn btn-secondary', id: 'rq-reject-' + it.fineId, text: t('rq.reject'), on: { click: () => decide(false) } })));
  return li;
}

async function attachment(ctx, it, n, el) {
  let res;
  try { res = await ctx.api('GET', `/api/v1/fines/${encodeURIComponent(it.fineId)}/photos/${n}`, { blob: true, headers: { Accept: 'image/jpeg' } }); } catch { return; }
  if (res.ok && res.blob) el.append(h('img', { class: 'evidence', src: URL.createObjectURL(res.blob), alt: t('rq.attachment', { n, r: it.reportNumber }) }));
}
