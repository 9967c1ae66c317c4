// Receipt screen and the "My receipts" list (saved on the phone, so the
// list works offline).
import { t, money, dateTime, paidVia } from '{{/assets/i18n.js}}';
import { h, note, formatNAV, announce, brandName, isOnline, onNetwork } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';
import { receipts } from '{{/assets/store.js}}';
import { here, onLeave } from '{{/assets/router.js}}';

/** Renders receipt r into main; lead is an optional message above it. */
export function showReceipt(main, r, lead) {
  receipts.save(r);
  const rows = [
    ['rc.notice', formatNAV(r.noticeNumber), 'rc-notice'],
    ['rc.creditor', r.creditor && r.creditor.name],
    ['rc.paidAt', dateTime(r.paidAt)],
    ['rc.channel', paidVia(r), 'rc-channel'],
    ['rc.card', r.method && r.method.last4 ? `${brandName(r.method.brand)} ••${r.method.last4}` : ''],
    ['rc.tx', r.psp && [r.psp.transactionId, r.psp.name ? ` (${r.psp.name})` : ''].join(''), 'rc-tx'],
    ['rc.id', r.receiptId, 'rc-id'],
  ].filter((x) => x[1]);
  const shareURL = `${location.origin}/receipts/${encodeURIComponent(r.receiptId)}`;
  const shareBtn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'receipt-share', text: t('rc.share') });
  shareBtn.addEventListener('click', async () => {
    if (navigator.share) {
      try { await navigator.share({ title: t('rc.shareTitle'), text: `${t('rc.shareTitle')} — ${money(r.amountCents)}`, url: shareURL }); } catch { /* cancelled */ }
      return;
    }
    try {
      await navigator.clipboard.writeText(shareURL);
      announce(t('rc.copied'));
      shareBtn.textContent = t('rc.copied');
    } catch {
      // No clipboard: show the link to copy by hand, with a real label.
      shareBtn.replaceWith(h('label', { class: 'field' }, h('span', { class: 'lbl', text: t('rc.link') }),
        h('input', { class: 'input', readOnly: true, value: shareURL, on: { focus: (e) => e.target.select() } })));
    }
  });
  // The PDF and sharing need the network (the PDF is made by the server;
  // a shared link opens the receipt from the server). Offline they are
  // disabled and a note right above them says why; everything else on
  // the screen comes from the phone and stays.
  const pdfURL = `/api/v1/receipts/${encodeURIComponent(r.receiptId)}.pdf`;
  const pdf = h('a', { class: 'btn btn-primary', id: 'receipt-pdf', href: pdfURL, download: `ricevuta-${r.receiptId}.pdf`, text: t('rc.pdf') });
  const offNote = h('p', { class: 'note note-warn', id: 'receipt-offline', text: t('rc.offline'), hidden: true });
  const sync = (online) => {
    // A link cannot be disabled: without href it is no link at all (not
    // focusable, not followed), and aria-disabled tells assistive tech.
    if (online) { pdf.href = pdfURL; pdf.removeAttribute('aria-disabled'); } else { pdf.removeAttribute('href'); pdf.setAttribute('aria-disabled', 'true'); }
    shareBtn.disabled = !online;
    offNote.hidden = online;
  };
  sync(isOnline());
  onLeave(onNetwork(sync));
  main.replaceChildren(h('section', { id: 'receipt', class: 'stack', 'data-receipt-id': r.receiptId },
    lead ? note('info', lead) : null,
    h('div', { class: 'receipt-head' },
      h('span', { class: 'tick', 'aria-hidden': 'true' }, '✓'),
      h('h1', { text: t('rc.title') })),
    h('div', { class: 'card' },
      h('p', { class: 'label', text: t('rc.amount') }),
      h('p', { class: 'amount', id: 'receipt-amount', text: money(r.amountCents) }),
      h('dl', { class: 'facts' }, rows.map(([k, v, id]) => [h('dt', { text: t(k) }), h('dd', { id, text: v })]))),
    offNote,
    h('div', { class: 'actions' },
      pdf,
      shareBtn,
      h('a', { class: 'btn btn-ghost', href: '/', 'data-link': '', text: t('rc.home') }))));
  announce(t('rc.title'));
  const h1 = main.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus(); }
}

/** Loads a receipt by id from the phone, else from the API, and shows it. */
export async function receiptView(main, id, lead) {
  const alive = here();
  const saved = receipts.get(id);
  if (saved) { showReceipt(main, saved, lead); return; }
  main.replaceChildren(h('h1', { text: t('loading') }));
  let res;
  try { res = await call('GET', `/api/v1/receipts/${encodeURIComponent(id)}`); } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    if (alive()) main.replaceChildren(h('h1', { text: t('rc.list') }), note('error', t('offline')));
    return;
  }
  if (!alive()) return;
  if (res.ok && res.data) { showReceipt(main, res.data, lead); return; }
  main.replaceChildren(h('h1', { text: t('rc.list') }), note('error', t(res.status === 404 ? 'rc.notfound' : 'error')));
}

/** The list of receipts saved on this phone. */
export function receiptList(main) {
  const list = receipts.list();
  main.append(h('h1', { text: t('rc.list') }));
  if (!list.length) {
    main.append(note('info', t('rc.empty')), h('ul', { id: 'receipt-list', class: 'list' }));
    return;
  }
  main.append(h('ul', { id: 'receipt-list', class: 'list' }, list.map((r) => h('li', {},
    h('a', { class: 'row', href: `/receipts/${encodeURIComponent(r.receiptId)}`, 'data-link': '', 'data-receipt-id': r.receiptId },
      h('span', { class: 'row-main' },
        h('strong', { text: money(r.amountCents) }),
        h('span', { class: 'muted', text: (r.creditor && r.creditor.name) || '' })),
      h('span', { class: 'row-sub muted' },
        h('span', { text: dateTime(r.paidAt) }),
        h('span', { class: 'mono', text: formatNAV(r.noticeNumber) })))))));
}
