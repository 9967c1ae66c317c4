// Office "Verbali" tab: search (report number, notice number, part of a
// plate, status, days, unpaid only), the list with today's amount and next
// deadline, CSV export of the same filter, and batch work on the selected
// fines (one PDF of their notices, one notification for all). Loaded on
// demand by office.js; ctx carries its authenticated api() and navigation.
import { t, money, day, dateTime } from '{{/assets/i18n.js}}';
import { h, note, announce } from '{{/assets/util.js}}';

// The filter survives a trip to a fine's page and back.
let state = { q: '', status: '', from: '', to: '', unpaid: false };

/** The problem's detail and field messages, as one line. */
export function problemText(res) {
  const d = (res && res.data) || {};
  const fields = Array.isArray(d.errors) ? d.errors.map((e) => e && e.message).filter(Boolean) : [];
  return [d.detail, ...fields].filter(Boolean).join(' — ') || t('error');
}

function query(extra) {
  const q = new URLSearchParams(extra);
  if (state.q) q.set('q', state.q);
  if (state.status) q.set('status', state.status);
  if (state.from) q.set('from', state.from);
  if (state.to) q.set('to', state.to);
  if (state.unpaid) q.set('unpaid', 'true');
  return q;
}

// emptyReason says why a list is empty: no fines at all, or none that
// match the filter, named in words.
function emptyReason() {
  const parts = [];
  if (state.q) parts.push(t('fin.empty.q', { q: state.q }));
  if (state.status) parts.push(t('fin.empty.status', { s: t('off.status.' + state.status).toLowerCase() }));
  if (state.unpaid) parts.push(t('fin.empty.unpaid'));
  if (state.from) parts.push(t('fin.empty.from', { d: day(state.from) }));
  if (state.to) parts.push(t('fin.empty.to', { d: day(state.to) }));
  return parts.length ? t('fin.empty.filtered', { what: parts.join(', ') }) : t('fin.empty.none');
}

/** Saves a Blob under a file name through a temporary link. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60e3);
}

/**
 * Renders the tab into el. ctx: api(method, url, opts), open(id) shows a
 * fine's page, canIssue() whether the user may record notifications.
 */
export function render(el, ctx) {
  const { api } = ctx;
  const selected = new Set();
  const q = h('input', { id: 'fines-q', name: 'q', class: 'input mono', type: 'search', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', value: state.q, 'aria-describedby': 'fines-q-hint' });
  const status = h('select', { id: 'fines-status', name: 'status', class: 'input' },
    ['', 'issued', 'notified', 'paid', 'cancelled'].map((s) => h('option', { value: s, selected: s === state.status, text: t('off.status.' + (s || 'all')) })));
  const from = h('input', { id: 'fines-from', name: 'from', type: 'date', class: 'input', value: state.from });
  const to = h('input', { id: 'fines-to', name: 'to', type: 'date', class: 'input', value: state.to });
  const unpaid = h('input', { id: 'fines-unpaid', name: 'unpaid', type: 'checkbox', checked: state.unpaid });
  const list = h('ul', { id: 'fines-list', class: 'list', 'aria-labelledby': 'fines-title' });
  const more = h('button', { type: 'button', id: 'fines-more', class: 'btn btn-secondary', hidden: true, text: t('off.more') });
  const msg = h('div', { id: 'fines-status-msg', 'aria-live': 'polite' });
  const exportBtn = h('button', { type: 'button', id: 'fines-export', class: 'btn btn-secondary', text: t('fin.export') });
  const all = h('input', { id: 'fines-select-all', type: 'checkbox' });
  const allLabel = h('label', { class: 'check select-all', hidden: true }, all, h('span', { text: t('fin.selectAll') }));
  const batch = h('div', { id: 'batch-bar', class: 'batch card stack', hidden: true, role: 'region', 'aria-label': t('fin.batch') });
  const batchStatus = h('div', { id: 'batch-status', 'aria-live': 'polite' });
  let cursor = '';
  let shown = [];

  const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id, text: label }), hint ? h('p', { class: 'hint', id: id + '-hint', text: hint }) : null, input);
  const form = h('form', { id: 'fines-form', class: 'search-form card stack', role: 'search', novalidate: true },
    field('fines-q', t('fin.q'), q, t('fin.q.hint')),
    h('div', { class: 'row2' }, field('fines-from', t('fin.from'), from), field('fines-to', t('fin.to'), to)),
    field('fines-status', t('off.status'), status),
    h('label', { class: 'check' }, unpaid, h('span', { text: t('fin.unpaid') })),
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'fines-search', text: t('off.find') }), exportBtn));

  const syncBatch = () => {
    batch.hidden = selected.size === 0;
    const n = selected.size;
    batch.querySelector('#batch-count').textContent = t(n === 1 ? 'fin.selected.one' : 'fin.selected.many', { n });
    all.checked = shown.length > 0 && shown.every((f) => selected.has(f.id));
  };

  const row = (f) => {
    const box = h('input', { type: 'checkbox', class: 'fine-select', 'data-fine-id': f.id, checked: selected.has(f.id), 'aria-label': t('fin.select', { r: f.reportNumber, p: f.plate }) });
    box.addEventListener('change', () => { if (box.checked) selected.add(f.id); else selected.delete(f.id); syncBatch(); });
    const due = f.amountDue || {};
    const open = f.status === 'issued' || f.status === 'notified';
    return h('li', { class: 'fine-item', 'data-fine-id': f.id },
      h('label', { class: 'pick' }, box),
      h('button', { type: 'button', class: 'row', 'data-fine-id': f.id, on: { click: () => ctx.open(f.id) } },
        h('span', { class: 'row-main' }, h('strong', { class: 'mono', text: f.plate }), h('span', { class: 'muted', text: f.reportNumber }), statusPill(f.status)),
        h('span', { class: 'row-sub muted' }, h('span', { text: f.violation ? f.violation.article : '' }), h('span', { text: dateTime(f.occurredAt) })),
        open && due.cents != null ? h('span', { class: 'row-due' + (due.stage === 'increased' ? ' overdue' : '') },
          h('span', { class: 'money', text: money(due.cents) }),
          h('span', { text: due.payBy ? t('fin.dueUntil', { d: day(due.payBy) }) : t('fin.dueOpen') }),
          due.stage === 'increased' ? h('span', { class: 'chip chip-warn', text: t('fin.overdue') }) : null) : null));
  };

  const load = async (append) => {
    more.disabled = true;
    list.setAttribute('aria-busy', 'true');
    if (!append) {
      list.replaceChildren();
      shown = [];
      msg.replaceChildren(h('p', { class: 'muted loading', id: 'fines-loading', text: t('loading') }));
    }
    const p = query({ limit: '20' });
    if (append && cursor) p.set('cursor', cursor);
    let res;
    try { res = await api('GET', '/api/v1/fines?' + p); } catch { msg.replaceChildren(note('error', t('offline'))); more.disabled = false; list.removeAttribute('aria-busy'); return; }
    more.disabled = false;
    list.removeAttribute('aria-busy');
    if (!res.ok) { if (res.status !== 401) msg.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : problemText(res))); return; }
    msg.replaceChildren();
    const items = (res.data && res.data.items) || [];
    cursor = (res.data && res.data.nextCursor) || '';
    shown = shown.concat(items);
    list.append(...items.map(row));
    if (!shown.length) msg.replaceChildren(note('info', h('span', { id: 'fines-empty', text: emptyReason() })));
    else announce(t(shown.length === 1 ? 'fin.count.one' : 'fin.count.many', { n: shown.length }));
    allLabel.hidden = !shown.length;
    more.hidden = !cursor;
    el.dataset.loaded = String(shown.length);
    syncBatch();
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state = { q: q.value.trim(), status: status.value, from: from.value, to: to.value, unpaid: unpaid.checked };
    selected.clear();
    load(false);
  });
  status.addEventListener('change', () => form.requestSubmit());
  unpaid.addEventListener('change', () => form.requestSubmit());
  more.addEventListener('click', () => load(true));
  all.addEventListener('change', () => {
    for (const f of shown) if (all.checked) selected.add(f.id); else selected.delete(f.id);
    for (const b of list.querySelectorAll('.fine-select')) b.checked = selected.has(b.dataset.fineId);
    syncBatch();
  });

  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    let res;
    try { res = await api('GET', '/api/v1/fines.csv?' + query({ locale: 'it' }), { blob: true, headers: { Accept: 'text/csv' }, timeout: 60000 }); } catch { exportBtn.disabled = false; msg.replaceChildren(note('error', t('offline'))); return; }
    exportBtn.disabled = false;
    if (!res.ok || !res.blob) { if (res.status !== 401) msg.replaceChildren(note('error', problemText(res))); return; }
    saveBlob(res.blob, `verbali-${new Date().toISOString().slice(0, 10)}.csv`);
    announce(t('fin.exported'));
  });

  // ---- batch work on the selection ----
  const printBtn = h('button', { type: 'button', id: 'batch-print', class: 'btn btn-primary', text: t('fin.batch.print') });
  const notifyBtn = h('button', { type: 'button', id: 'batch-notify', class: 'btn btn-secondary', text: t('fin.batch.notify') });
  const notifyArea = h('div', { id: 'batch-notify-area' });
  batch.append(h('p', { id: 'batch-count', class: 'lbl' }), h('div', { class: 'toolbar' }, printBtn, ctx.canIssue() ? notifyBtn : null), notifyArea, batchStatus);

  printBtn.addEventListener('click', async () => {
    const ids = shown.filter((f) => selected.has(f.id)).map((f) => f.id);
    const w = window.open('', '_blank');
    printBtn.disabled = true;
    batchStatus.replaceChildren(note('info', t('fin.batch.printing', { n: ids.length })));
    let res;
    try { res = await api('POST', '/api/v1/fines/notices.pdf', { json: { ids }, blob: true, headers: { Accept: 'application/pdf' }, timeout: 120000 }); } catch { printBtn.disabled = false; if (w) w.close(); batchStatus.replaceChildren(note('error', t('offline'))); return; }
    printBtn.disabled = false;
    if (!res.ok || !res.blob) { if (w) w.close(); if (res.status !== 401) batchStatus.replaceChildren(note('error', problemText(res))); return; }
    batch.dataset.pdfBytes = String(res.blob.size);
    const url = URL.createObjectURL(res.blob);
    if (w) w.location.href = url; else saveBlob(res.blob, 'avvisi.pdf');
    setTimeout(() => URL.revokeObjectURL(url), 60e3);
    batchStatus.replaceChildren(note('ok', t(ids.length === 1 ? 'fin.batch.printed.one' : 'fin.batch.printed.many', { n: ids.length })));
  });

  notifyBtn.addEventListener('click', () => {
    const p = (n) => String(n).padStart(2, '0');
    const d = new Date();
    const today = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
    const date = h('input', { id: 'batch-notify-date', type: 'date', class: 'input', value: today, max: today });
    const channel = h('select', { id: 'batch-notify-channel', class: 'input' }, ['post', 'pec', 'hand'].map((c) => h('option', { value: c, text: t('off.channel.' + c) })));
    const go = h('button', { type: 'submit', id: 'batch-notify-submit', class: 'btn btn-primary', text: t('fin.batch.notify.go') });
    const f = h('form', { class: 'stack', novalidate: true },
      h('p', { class: 'hint', text: t('fin.batch.notify.what') }),
      h('div', { class: 'row2' }, field('batch-notify-date', t('off.notify.date'), date), field('batch-notify-channel', t('off.notify.channel'), channel)), go);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const ids = shown.filter((x) => selected.has(x.id) && x.status === 'issued');
      const skipped = selected.size - ids.length;
      go.disabled = true;
      let ok = 0;
      const failed = [];
      for (const x of ids) {
        let res;
        try { res = await api('POST', `/api/v1/fines/${encodeURIComponent(x.id)}/notification`, { json: { notifiedOn: date.value, channel: channel.value } }); } catch { failed.push(`${x.reportNumber}: ${t('offline')}`); continue; }
        if (res.ok) ok++; else failed.push(`${x.reportNumber}: ${problemText(res)}`);
      }
      go.disabled = false;
      notifyArea.replaceChildren();
      batchStatus.replaceChildren(note(failed.length ? 'warn' : 'ok', t('fin.batch.notified', { n: ok }),
        skipped ? ' ' + t('fin.batch.skipped', { n: skipped }) : '', failed.length ? h('ul', {}, failed.map((s) => h('li', { text: s }))) : null));
      selected.clear();
      await load(false);
      batch.hidden = false;
    });
    notifyArea.replaceChildren(f);
    date.focus();
  });

  el.replaceChildren(h('h1', { id: 'fines-title', tabIndex: -1, text: t('off.tab.fines') }), form, msg, allLabel, batch, list, more);
  load(false);
}

function statusPill(s) {
  return h('span', { class: 'status-pill status-' + s, text: t('off.status.' + s) });
}
