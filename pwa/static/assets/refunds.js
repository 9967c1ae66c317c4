// Finance: the receipts with money to give back. Money that reaches the
// creditor is never refused — a fine paid twice (say at the bank and in
// the IO app), paid after its cancellation, or paid with another amount
// than due is stored and listed here, with how it was paid and how much
// goes back to the payer.
import { t, extend, money, dateTime, paidVia } from '{{/assets/i18n.js}}';
import { h, note, formatNAV } from '{{/assets/util.js}}';

extend({
  it: {
    'refunds.title': 'Rimborsi da fare',
    'refunds.none': 'Nessun pagamento da rimborsare.',
    'refunds.total': '{n} pagamenti da rimborsare, in tutto {amount}.',
    'refunds.double_payment': 'Pagata due volte',
    'refunds.paid_after_cancellation': 'Pagata dopo l\'annullamento',
    'refunds.amount_mismatch': 'Importo diverso dal dovuto ({expected})',
    'refunds.line': 'Verbale {report} · {nav} · {via} · {when}',
    'refunds.give': 'Rimborsare {amount}',
    'refunds.fine': 'Apri la multa',
  },
  en: {
    'refunds.title': 'Refunds due',
    'refunds.none': 'No payment to refund.',
    'refunds.total': '{n} payments to refund, {amount} in all.',
    'refunds.double_payment': 'Paid twice',
    'refunds.paid_after_cancellation': 'Paid after cancellation',
    'refunds.amount_mismatch': 'Not the amount due ({expected})',
    'refunds.line': 'Report {report} · {nav} · {via} · {when}',
    'refunds.give': 'Refund {amount}',
    'refunds.fine': 'Open the fine',
  },
});

/** The refunds panel: call load() to fill it; api.openFine opens a fine. */
export function refundsPanel(api) {
  const body = h('div', { id: 'refunds-body', 'aria-live': 'polite' });
  const el = h('section', { class: 'card stack', id: 'refunds', 'aria-labelledby': 'refunds-title' },
    h('h2', { id: 'refunds-title', text: t('refunds.title') }), body);
  async function load() {
    let res;
    try { res = await api.get('/api/v1/refunds'); } catch { body.replaceChildren(note('error', t('offline'))); return; }
    if (!res.ok || !res.data) { body.replaceChildren(note('error', t('error'))); return; }
    const r = res.data;
    if (!r.count) { body.replaceChildren(h('p', { class: 'muted', id: 'refunds-none', text: t('refunds.none') })); return; }
    body.replaceChildren(
      note('warn', t('refunds.total', { n: r.count, amount: money(r.refundCents) })),
      h('ul', { class: 'dash-problems', id: 'refunds-list' }, r.items.map((it) => h('li', { 'data-anomaly': it.anomaly, 'data-receipt-id': it.receiptId },
        h('strong', { text: t('refunds.' + it.anomaly, { expected: money(it.expectedCents) }) }),
        h('span', { text: t('refunds.give', { amount: money(it.refundCents) }) }),
        h('span', { class: 'muted', text: t('refunds.line', { report: it.reportNumber, nav: formatNAV(it.noticeNumber), via: paidVia(it), when: dateTime(it.paidAt) }) }),
        api.openFine ? h('button', { type: 'button', class: 'btn btn-secondary refunds-fine', 'data-fine': it.fineId, text: t('refunds.fine'), on: { click: () => api.openFine(it.fineId) } }) : null))));
  }
  return { el, load };
}
