// Office "Importa" tab (supervisors): choose or drop a camera export,
// check the server's reading of it (separator, columns, first rows, each
// row's outcome) without saving, import, and download the refused rows as
// a CSV with row number, field and reason in the user's language. The
// server parses and validates: the preview is its dry run, not a guess.
import { t } from '{{/assets/i18n.js}}';
import { h, note, announce } from '{{/assets/util.js}}';
import { problemText } from '{{/assets/office-fines.js}}';

const COLUMNS = ['plate', 'violationCode', 'occurredAt', 'place', 'lat', 'lon'];
const MAX_BYTES = 8 << 20;

const fieldName = (f) => t('imp.field.' + f) === 'imp.field.' + f ? f : t('imp.field.' + f);

/** The refused and duplicate rows as CSV (BOM, ";", CRLF), for Excel set to Italian. */
export function refusedCSV(rows) {
  const esc = (s) => (/[";\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [[t('imp.col.row'), t('imp.col.field'), t('imp.col.reason')].join(';')];
  for (const r of rows) {
    if (r.status !== 'refused' && r.status !== 'duplicate') continue;
    for (const e of r.errors || [{ field: 'row', message: t('imp.duplicate') }]) {
      lines.push([String(r.row), esc(fieldName(e.field)), esc(e.message)].join(';'));
    }
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

/** Renders the tab into el; api is office.js's authenticated call. */
export function render(el, api) {
  let file = null;
  const status = h('div', { id: 'import-status', 'aria-live': 'polite' });
  const input = h('input', { id: 'import-file', name: 'file', type: 'file', accept: '.csv,text/csv', class: 'file-input', 'aria-describedby': 'import-hint' });
  const chosen = h('p', { class: 'chosen', id: 'import-chosen' });
  const drop = h('label', { id: 'import-drop', class: 'drop card', for: 'import-file' },
    h('span', { class: 'lbl', text: t('imp.choose') }), h('span', { class: 'muted', text: t('imp.drop') }), input);
  const preview = h('div', { id: 'import-preview', class: 'stack' });
  const result = h('div', { id: 'import-result', class: 'stack' });

  const table = (id, caption, head, rows) => h('div', { class: 'table-wrap' }, h('table', { id, class: 'table' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', { class: /^[A-Z0-9]{2,10}$|^\d\d\/\d\d\/\d{4}/.test(c) ? 'nowrap' : null, text: c })))))));

  const send = async (dry) => {
    const url = '/api/v1/fines/import' + (dry ? '?dryRun=true' : '');
    let res;
    try { res = await api('POST', url, { body: file, type: 'text/csv', timeout: 120000 }); } catch { status.replaceChildren(note('error', t('offline'))); return null; }
    if (res.status === 401) return null;
    if (!res.ok) { status.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : problemText(res))); return null; }
    return res.data;
  };

  const refusedTable = (rows) => {
    const bad = rows.filter((r) => r.status === 'refused' || r.status === 'duplicate');
    if (!bad.length) return null;
    return table('import-errors', t('imp.refused.caption'), [t('imp.col.row'), t('imp.col.field'), t('imp.col.reason')],
      bad.flatMap((r) => (r.errors || [{ field: 'row', message: t('imp.duplicate') }]).map((e) => [String(r.row), fieldName(e.field), e.message])));
  };

  const showPreview = (d) => {
    const mapping = COLUMNS.map((c) => [fieldName(c), d.columns[c] || t('imp.absent')]);
    const sample = (d.preview || []).map((p) => [String(p.row), ...(p.fields ? COLUMNS.slice(0, 4).map((c) => p.fields[c] || '') : [t('imp.unreadable'), '', '', ''])]);
    const go = h('button', { type: 'button', id: 'import-submit', class: 'btn btn-primary btn-big', disabled: !d.valid,
      text: t(d.valid === 1 ? 'imp.go.one' : 'imp.go.many', { n: d.valid }) });
    go.addEventListener('click', async () => {
      go.disabled = true;
      status.replaceChildren(note('info', t('imp.importing')));
      const out = await send(false);
      go.disabled = false;
      if (!out) return;
      status.replaceChildren();
      preview.replaceChildren();
      showResult(out);
    });
    preview.replaceChildren(
      h('h2', { text: t('imp.preview') }),
      note(d.failed ? 'warn' : 'info', t('imp.summary', { ok: d.valid, bad: d.failed, sep: d.separator === ';' ? t('imp.sep.semicolon') : t('imp.sep.comma') })),
      table('import-mapping', t('imp.mapping'), [t('imp.col.field'), t('imp.col.header')], mapping),
      sample.length ? table('import-sample', t('imp.sample'), [t('imp.col.row'), ...COLUMNS.slice(0, 4).map(fieldName)], sample) : null,
      refusedTable(d.rows || []),
      go);
  };

  const showResult = (d) => {
    const rows = d.rows || [];
    const bad = rows.filter((r) => r.status === 'refused' || r.status === 'duplicate').length;
    let link = null;
    if (bad) {
      const url = URL.createObjectURL(new Blob([refusedCSV(rows)], { type: 'text/csv;charset=utf-8' }));
      link = h('a', { id: 'import-errors-download', class: 'btn btn-secondary', href: url, download: 'righe-rifiutate.csv', text: t('imp.download') });
    }
    result.replaceChildren(
      h('h2', { id: 'import-result-title', tabIndex: -1, text: t('imp.done') }),
      note(bad ? 'warn' : 'ok', h('span', { id: 'import-counts', text: t('imp.counts', { ok: d.imported, dup: d.duplicates, bad: d.failed }) })),
      refusedTable(rows), link);
    el.dataset.imported = String(d.imported);
    result.querySelector('h2').focus();
    announce(t('imp.counts', { ok: d.imported, dup: d.duplicates, bad: d.failed }));
  };

  const take = async (f) => {
    result.replaceChildren();
    preview.replaceChildren();
    status.replaceChildren();
    if (!f) return;
    if (f.size > MAX_BYTES) { status.replaceChildren(note('error', t('imp.tooBig'))); return; }
    file = f;
    chosen.textContent = t('imp.chosen', { name: f.name });
    status.replaceChildren(note('info', t('imp.reading')));
    const d = await send(true);
    if (!d) return;
    status.replaceChildren();
    showPreview(d);
  };
  input.addEventListener('change', () => take(input.files && input.files[0]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
  });

  el.replaceChildren(
    h('h1', { tabIndex: -1, text: t('imp.title') }),
    h('p', { class: 'lead', id: 'import-hint', text: t('imp.lead') }),
    h('details', { class: 'card' }, h('summary', { text: t('imp.columns') }),
      h('ul', {}, ['plate', 'violationCode', 'occurredAt', 'place', 'latlon'].map((c) => h('li', { text: t('imp.columns.' + c) })))),
    drop, chosen, status, preview, result);
}
