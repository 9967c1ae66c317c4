// Finance dashboard: payments by day, hour and weekday, the discount
// stages, what is still outstanding, and the day's reconciliation.
//
// The office app calls render(el, api) when a finance or admin user opens
// the "Dashboard" tab; el is the empty <section id="dashboard"> and api
// calls the API as the signed-in user (see office.js).
//
// Charts are inline SVG drawn here, with no library: a few hundred bytes
// of code per chart instead of a charting bundle, and nothing that needs
// 'unsafe-inline' under the app's CSP (colours come from dashboard.css
// classes, never from style attributes). Every chart has a <title> and a
// <desc> that say what it shows and what stands out, and a visually hidden
// table with every number, so a screen reader gets the same facts as a
// glance does.
import { t, lang, extend, money, day } from '{{/assets/i18n.js}}';
import { h, note, formatNAV } from '{{/assets/util.js}}';
import { refundsPanel } from '{{/assets/refunds.js}}';

extend({
  it: {
    'dash.period': 'Periodo',
    'dash.days': '{n} giorni',
    'dash.days.one': '1 giorno',
    'dash.year': '1 anno',
    'dash.payments': 'Pagamenti',
    'dash.collected': 'Incassato',
    'dash.outstanding': 'Da incassare',
    'dash.outstanding.sub': '{n} multe, se pagate oggi',
    'dash.outstanding.sub.one': '1 multa, se pagata oggi',
    'dash.discount': 'Con lo sconto del 30%',
    'dash.discount.sub': 'dei pagamenti',
    'dash.byDay': 'Incassi per giorno',
    'dash.byWeek': 'Incassi per settimana',
    'dash.byDay.desc': 'Totale {total} in {n} giorni. Giorno migliore: {best}, {amount}.',
    'dash.byWeek.desc': 'Totale {total} in {n} settimane. Settimana migliore: dal {best}, {amount}.',
    'dash.byHour': 'Pagamenti per ora del giorno',
    'dash.byHour.note': 'Ora di Roma.',
    'dash.byHour.desc': 'Ora di punta: dalle {hour} alle {next}, {n} pagamenti su {total}.',
    'dash.byHour.descMany': 'Ore di punta: {hours}, con {n} pagamenti ciascuna su {total}.',
    'dash.byWeekday': 'Pagamenti per giorno della settimana',
    'dash.byWeekday.desc': 'Giorno più frequente: {day}, {n} pagamenti su {total}.',
    'dash.byWeekday.descMany': 'Giorni più frequenti: {days}, con {n} pagamenti ciascuno su {total}.',
    'dash.byStage': 'Pagamenti per fase',
    'dash.byStage.desc': 'Scontato 30%: {r}; minimo: {m}; maggiorato: {i}.',
    'dash.outBy': 'Multe non pagate, per importo dovuto oggi',
    'dash.outBy.desc': '{n} multe non pagate valgono {amount} se pagate oggi. Scontate: {r}; al minimo: {m}; maggiorate: {i}.',
    'dash.stage.reduced': 'Scontato 30%',
    'dash.stage.minimum': 'Minimo',
    'dash.stage.increased': 'Maggiorato (oltre 60 giorni)',
    'dash.col.hour': 'Ora',
    'dash.col.day': 'Giorno',
    'dash.col.week': 'Settimana dal',
    'dash.col.stage': 'Fase',
    'dash.col.payments': 'Pagamenti',
    'dash.col.fines': 'Multe',
    'dash.col.amount': 'Importo',
    'dash.none': 'Nessun pagamento nel periodo.',
    'dash.count': '{n} · {amount}',
    'dash.weekdays': 'Lun,Mar,Mer,Gio,Ven,Sab,Dom',
    'dash.weekdays.long': 'lunedì,martedì,mercoledì,giovedì,venerdì,sabato,domenica',
    'dash.recon': 'Riconciliazione',
    'dash.recon.lead': 'Ricevute del giorno, flussi di rendicontazione dei PSP ed estratto conto della banca, confrontati.',
    'dash.recon.date': 'Giorno',
    'dash.recon.to': 'Fino al (facoltativo)',
    'dash.recon.check': 'Verifica',
    'dash.recon.csv': 'Scarica CSV',
    'dash.recon.balanced': 'In pari: {n} ricevute per {amount}, tutte riversate e accreditate.',
    'dash.recon.balanced.one': 'In pari: 1 ricevuta per {amount}, riversata e accreditata.',
    'dash.recon.unbalanced': 'Da controllare: ricevute {r}, riversato {s}, accreditato {c}.',
    'dash.recon.receipts': 'Ricevute',
    'dash.recon.refunds': 'Da rimborsare',
    'dash.recon.settled': 'Riversato',
    'dash.recon.credited': 'Accreditato',
    'dash.recon.cat.matched': 'Abbinate',
    'dash.recon.cat.amount_differs': 'Importo diverso',
    'dash.recon.cat.pending': 'In attesa del flusso',
    'dash.recon.cat.receipt_without_line': 'Ricevute senza riversamento',
    'dash.recon.cat.line_without_receipt': 'Riversamenti senza ricevuta',
    'dash.recon.cat.stand_in': 'Pagamenti in stand-in',
    'dash.recon.cat.duplicate_line': 'Riversamenti doppi',
    'dash.recon.cat.revoked': 'Revocati',
    'dash.recon.cat.flow_total_differs': 'Totali dei flussi errati',
    'dash.recon.cat.bank_matched': 'Flussi accreditati',
    'dash.recon.cat.bank_amount_differs': 'Accrediti di importo diverso',
    'dash.recon.cat.bank_pending': 'Accrediti attesi',
    'dash.recon.cat.flow_not_credited': 'Flussi non accreditati',
    'dash.recon.cat.credit_without_flow': 'Accrediti senza flusso',
    'dash.recon.fine': 'Apri la multa',
    'dash.recon.withdraw': 'Ritira il flusso',
    'dash.recon.withdrawReason': 'Perché? (resta nel registro)',
    'dash.recon.withdrawGo': 'Ritira',
    'dash.recon.drop': 'Trascina qui i flussi (XML o zip) e l\'estratto conto (camt.053), anche più file insieme, o sceglili:',
    'dash.recon.flowsFile': 'Flussi di rendicontazione (XML, zip)',
    'dash.recon.bankFile': 'Estratto conto (camt.053)',
    'dash.recon.uploaded': '{file}: flusso {id} (revisione {rev}) {status}, {n} pagamenti.',
    'dash.recon.status.created': 'caricato',
    'dash.recon.status.revised': 'sostituisce la revisione precedente',
    'dash.recon.status.unchanged': 'già presente',
    'dash.recon.failed': '{file}: {detail}',
    'dash.recon.bankUploaded': '{file}: estratto conto {id}, {n} accrediti per {amount}.',
    'dash.recon.more': 'e altre {n} righe nel CSV.',
    'dash.recon.more.one': 'e un\'altra riga nel CSV.',
  },
  en: {
    'dash.period': 'Period',
    'dash.days': '{n} days',
    'dash.days.one': '1 day',
    'dash.year': '1 year',
    'dash.payments': 'Payments',
    'dash.collected': 'Collected',
    'dash.outstanding': 'Outstanding',
    'dash.outstanding.sub': '{n} fines, if paid today',
    'dash.outstanding.sub.one': '1 fine, if paid today',
    'dash.discount': 'With the 30% discount',
    'dash.discount.sub': 'of payments',
    'dash.byDay': 'Amounts by day',
    'dash.byWeek': 'Amounts by week',
    'dash.byDay.desc': '{total} in total over {n} days. Best day: {best}, {amount}.',
    'dash.byWeek.desc': '{total} in total over {n} weeks. Best week: from {best}, {amount}.',
    'dash.byHour': 'Payments by hour of day',
    'dash.byHour.note': 'Rome time.',
    'dash.byHour.desc': 'Busiest hour: {hour} to {next}, {n} of {total} payments.',
    'dash.byHour.descMany': 'Busiest hours: {hours}, {n} of {total} payments each.',
    'dash.byWeekday': 'Payments by weekday',
    'dash.byWeekday.desc': 'Busiest day: {day}, {n} of {total} payments.',
    'dash.byWeekday.descMany': 'Busiest days: {days}, {n} of {total} payments each.',
    'dash.byStage': 'Payments by stage',
    'dash.byStage.desc': '30% discount: {r}; minimum: {m}; increased: {i}.',
    'dash.outBy': 'Unpaid fines, by what they cost today',
    'dash.outBy.desc': '{n} unpaid fines are worth {amount} if paid today. Discounted: {r}; minimum: {m}; increased: {i}.',
    'dash.stage.reduced': '30% discount',
    'dash.stage.minimum': 'Minimum',
    'dash.stage.increased': 'Increased (after 60 days)',
    'dash.col.hour': 'Hour',
    'dash.col.day': 'Day',
    'dash.col.week': 'Week from',
    'dash.col.stage': 'Stage',
    'dash.col.payments': 'Payments',
    'dash.col.fines': 'Fines',
    'dash.col.amount': 'Amount',
    'dash.none': 'No payments in this period.',
    'dash.count': '{n} · {amount}',
    'dash.weekdays': 'Mon,Tue,Wed,Thu,Fri,Sat,Sun',
    'dash.weekdays.long': 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday',
    'dash.recon': 'Reconciliation',
    'dash.recon.lead': 'The day\'s receipts, the PSPs\' settlement flows and the bank statement, set against each other.',
    'dash.recon.date': 'Day',
    'dash.recon.to': 'Until (optional)',
    'dash.recon.check': 'Check',
    'dash.recon.csv': 'Download CSV',
    'dash.recon.balanced': 'Balanced: {n} receipts for {amount}, all settled and credited.',
    'dash.recon.balanced.one': 'Balanced: 1 receipt for {amount}, settled and credited.',
    'dash.recon.unbalanced': 'Needs attention: receipts {r}, settled {s}, credited {c}.',
    'dash.recon.receipts': 'Receipts',
    'dash.recon.refunds': 'To refund',
    'dash.recon.settled': 'Settled',
    'dash.recon.credited': 'Credited',
    'dash.recon.cat.matched': 'Matched',
    'dash.recon.cat.amount_differs': 'Amount differs',
    'dash.recon.cat.pending': 'Awaiting the flow',
    'dash.recon.cat.receipt_without_line': 'Receipts not settled',
    'dash.recon.cat.line_without_receipt': 'Settled without a receipt',
    'dash.recon.cat.stand_in': 'Stand-in payments',
    'dash.recon.cat.duplicate_line': 'Settled twice',
    'dash.recon.cat.revoked': 'Revoked',
    'dash.recon.cat.flow_total_differs': 'Flow totals wrong',
    'dash.recon.cat.bank_matched': 'Flows credited',
    'dash.recon.cat.bank_amount_differs': 'Credit amount differs',
    'dash.recon.cat.bank_pending': 'Credits expected',
    'dash.recon.cat.flow_not_credited': 'Flows not credited',
    'dash.recon.cat.credit_without_flow': 'Credits without a flow',
    'dash.recon.fine': 'Open the fine',
    'dash.recon.withdraw': 'Withdraw the flow',
    'dash.recon.withdrawReason': 'Why? (kept in the ledger)',
    'dash.recon.withdrawGo': 'Withdraw',
    'dash.recon.drop': 'Drop the flows (XML or zip) and the bank statement (camt.053) here, several at once, or choose them:',
    'dash.recon.flowsFile': 'Settlement flows (XML, zip)',
    'dash.recon.bankFile': 'Bank statement (camt.053)',
    'dash.recon.uploaded': '{file}: flow {id} (revision {rev}) {status}, {n} payments.',
    'dash.recon.status.created': 'imported',
    'dash.recon.status.revised': 'replaces the previous revision',
    'dash.recon.status.unchanged': 'already imported',
    'dash.recon.failed': '{file}: {detail}',
    'dash.recon.bankUploaded': '{file}: statement {id}, {n} credits for {amount}.',
    'dash.recon.more': 'and {n} more rows in the CSV.',
    'dash.recon.more.one': 'and one more row in the CSV.',
  },
});

const SVG_NS = 'http://www.w3.org/2000/svg';
const STAGES = ['reduced', 'minimum', 'increased'];
const PERIODS = [30, 90, 365];
let period = 90; // enough days for the patterns to show; remembered while the page lives
let seq = 0; // unique ids for aria references

/** Builds an SVG element; kids are nodes or strings. */
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
  return el;
}

/** Today's date in Rome, YYYY-MM-DD, whatever the device's time zone. */
function romeToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  const x = new Date(Date.UTC(y, m - 1, d + n, 12));
  return x.toISOString().slice(0, 10);
}

const pct = (part, whole) => (whole ? Math.round((100 * part) / whole) : 0);
const count = (n, cents) => t('dash.count', { n, amount: money(cents) });

/** Fills el with the dashboard. */
export function render(el, api) {
  el.dataset.ready = 'false';
  ensureStyles();
  const periodGroup = h('div', { class: 'dash-period', role: 'group', 'aria-label': t('dash.period') });
  const body = h('div', { class: 'stack', id: 'dash-body', 'aria-live': 'polite', 'aria-busy': 'true' });
  const recon = reconPanel(api);
  const refunds = refundsPanel(api);
  el.replaceChildren(periodGroup, body, refunds.el, recon.el);
  refunds.load();

  const drawPeriods = () => periodGroup.replaceChildren(...PERIODS.map((n) => h('button', {
    type: 'button', class: 'btn btn-secondary dash-period-btn', 'aria-pressed': String(n === period),
    id: 'dash-period-' + n, text: n === 365 ? t('dash.year') : t('dash.days', { n }),
    on: { click: () => { if (n !== period) { period = n; drawPeriods(); load(); } } },
  })));

  async function load() {
    body.setAttribute('aria-busy', 'true');
    body.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
    const to = romeToday();
    const from = addDays(to, 1 - period);
    let res;
    try {
      res = await api.get(`/api/v1/stats?from=${from}&to=${to}`);
    } catch {
      body.replaceChildren(note('error', t('offline')));
      body.setAttribute('aria-busy', 'false');
      return;
    }
    if (!res.ok || !res.data) {
      body.replaceChildren(note('error', (res.data && res.data.detail) || t('error')));
      body.setAttribute('aria-busy', 'false');
      return;
    }
    body.replaceChildren(...statsView(res.data));
    body.setAttribute('aria-busy', 'false');
    // Reconcile the latest day with payments by default: yesterday is often
    // empty in a small office, and an empty day says nothing.
    const days = res.data.byDay || [];
    let last = '';
    for (const d of days) if (d.payments > 0 && d.date < to) last = d.date;
    recon.setDate(last || addDays(to, -1));
    el.dataset.ready = 'true';
  }
  drawPeriods();
  load();
}

/** Loads dashboard.css once (a hashed asset, cached like the others). */
function ensureStyles() {
  if (document.getElementById('dash-css')) return;
  document.head.append(h('link', { id: 'dash-css', rel: 'stylesheet', href: '{{/assets/dashboard.css}}' }));
}

function statsView(st) {
  const out = [];
  const reduced = st.byStage.reduced;
  out.push(h('div', { class: 'dash-kpis', id: 'dash-kpis' },
    kpi('dash-kpi-payments', t('dash.payments'), String(st.payments), ''),
    kpi('dash-kpi-amount', t('dash.collected'), money(st.amountCents), ''),
    kpi('dash-kpi-outstanding', t('dash.outstanding'), money(st.outstanding.amountCents),
      t('dash.outstanding.sub', { n: st.outstanding.fines })),
    kpi('dash-kpi-discount', t('dash.discount'), pct(reduced.payments, st.payments) + '%', t('dash.discount.sub'))));
  if (!st.payments) out.push(note('info', t('dash.none')));
  out.push(dayChart(st), hourChart(st), weekdayChart(st), stageChart(st), outstandingChart(st));
  return out;
}

function kpi(id, label, value, sub) {
  return h('div', { class: 'dash-kpi', id },
    h('p', { class: 'dash-kpi-label', text: label }),
    h('p', { class: 'dash-kpi-value', text: value }),
    sub ? h('p', { class: 'dash-kpi-sub', text: sub }) : null);
}

/**
 * A chart card: a heading, the SVG (role img, labelled by its own title
 * and desc) and a visually hidden table of the same numbers.
 */
function figure(id, title, desc, svgKids, height, table, extra) {
  const n = ++seq;
  const svg = s('svg', {
    viewBox: `0 0 320 ${height}`, width: '100%', class: 'dash-svg', role: 'img',
    'aria-labelledby': `dash-t${n} dash-d${n}`, focusable: 'false',
  }, s('title', { id: `dash-t${n}` }, title), s('desc', { id: `dash-d${n}` }, desc), svgKids);
  return h('figure', { class: 'card dash-chart', id },
    h('figcaption', {}, h('h2', { text: title }), extra ? h('p', { class: 'dash-note', text: extra }) : null, h('p', { class: 'dash-desc', text: desc })),
    svg, table);
}

/**
 * A table only screen readers see: caption, header row, rows. The wrapper
 * carries .sr-only because a table ignores width and overflow, and would
 * otherwise widen the page.
 */
function srTable(caption, head, rows) {
  return h('div', { class: 'sr-only' }, h('table', {},
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row', text: c }) : h('td', { text: c }))))))));
}

/**
 * Vertical bars. values are numbers; labels[i] is drawn under bar i when
 * set; valueLabels draws each non-zero value above its bar.
 */
function columns(values, labels, { height = 150, valueLabels = true, cls = () => 'dash-bar', max, top = valueLabels ? 16 : 8 } = {}) {
  const bottom = 20;
  const plot = height - top - bottom;
  const n = values.length;
  const slot = 320 / n;
  const w = Math.max(1, slot * (n > 60 ? 0.9 : 0.72));
  const hi = max || Math.max(1, ...values);
  const kids = [s('line', { x1: 0, x2: 320, y1: top + plot + 0.5, y2: top + plot + 0.5, class: 'dash-axis' })];
  values.forEach((v, i) => {
    const bh = v > 0 ? Math.max(2, (v / hi) * plot) : 0;
    const x = i * slot + (slot - w) / 2;
    if (bh) kids.push(s('rect', { x: x.toFixed(2), y: (top + plot - bh).toFixed(2), width: w.toFixed(2), height: bh.toFixed(2), rx: n > 60 ? 0 : 2, class: cls(i) }));
    if (valueLabels && v > 0) {
      kids.push(s('text', { x: (x + w / 2).toFixed(2), y: (top + plot - bh - 4).toFixed(2), class: 'dash-val', 'text-anchor': 'middle' }, String(v)));
    }
    if (labels[i]) {
      kids.push(s('text', { x: (i * slot + slot / 2).toFixed(2), y: height - 5, class: 'dash-lbl', 'text-anchor': 'middle' }, labels[i]));
    }
  });
  return kids;
}

function dayChart(st) {
  let buckets = st.byDay.map((d) => ({ date: d.date, payments: d.payments, amountCents: d.amountCents }));
  const weekly = buckets.length > 92; // a year of days would be bars a pixel wide
  if (weekly) {
    const weeks = [];
    buckets.forEach((d, i) => {
      if (i % 7 === 0) weeks.push({ date: d.date, payments: 0, amountCents: 0 });
      const w = weeks[weeks.length - 1];
      w.payments += d.payments;
      w.amountCents += d.amountCents;
    });
    buckets = weeks;
  }
  const values = buckets.map((b) => b.amountCents);
  const best = buckets.reduce((a, b) => (b.amountCents > a.amountCents ? b : a), buckets[0]);
  const labels = buckets.map(() => '');
  const short = (ymd) => new Intl.DateTimeFormat(lang === 'it' ? 'it-IT' : 'en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(new Date(ymd + 'T12:00:00Z'));
  labels[0] = short(buckets[0].date);
  labels[Math.floor((buckets.length - 1) / 2)] = short(buckets[Math.floor((buckets.length - 1) / 2)].date);
  labels[buckets.length - 1] = short(buckets[buckets.length - 1].date);
  const height = 170;
  const top = 22; // room for the scale's label above the plot
  const kids = columns(values, labels, { height, top, valueLabels: false, cls: (i) => (buckets[i] === best && best.amountCents > 0 ? 'dash-bar dash-bar-peak' : 'dash-bar') });
  // The highest value as a reference line, so bars have a scale.
  const hi = Math.max(...values);
  if (hi > 0) {
    kids.unshift(s('line', { x1: 0, x2: 320, y1: top - 0.5, y2: top - 0.5, class: 'dash-grid' }));
    kids.push(s('text', { x: 320, y: top - 6, class: 'dash-lbl', 'text-anchor': 'end' }, money(hi)));
  }
  // Labels under the first and last bars would spill out of the frame.
  for (const k of kids) {
    if (k.tagName === 'text' && k.getAttribute('y') === String(height - 5)) {
      const x = +k.getAttribute('x');
      if (x < 30) { k.setAttribute('x', '0'); k.setAttribute('text-anchor', 'start'); }
      if (x > 290) { k.setAttribute('x', '320'); k.setAttribute('text-anchor', 'end'); }
    }
  }
  const key = weekly ? 'dash.byWeek' : 'dash.byDay';
  const desc = !st.payments ? t('dash.none') : t(key + '.desc', { total: money(st.amountCents), n: buckets.length, best: day(best.date), amount: money(best.amountCents) });
  const table = srTable(t(key), [t(weekly ? 'dash.col.week' : 'dash.col.day'), t('dash.col.payments'), t('dash.col.amount')],
    buckets.map((b) => [day(b.date), String(b.payments), money(b.amountCents)]));
  return figure('dash-chart-day', t(key), desc, kids, height, table);
}

function peakIndex(values) {
  let best = 0;
  values.forEach((v, i) => { if (v > values[best]) best = i; });
  return best;
}

/** The indexes of every value equal to the highest (ties are common). */
function peaks(values) {
  const hi = values[peakIndex(values)];
  return hi > 0 ? values.flatMap((v, i) => (v === hi ? [i] : [])) : [];
}

function hourChart(st) {
  const values = st.byHour.map((b) => b.payments);
  const labels = values.map((_, i) => (i % 3 === 0 ? String(i) : ''));
  const peak = peakIndex(values);
  const hh = (n) => String(n % 24).padStart(2, '0') + ':00';
  const top = peaks(values);
  const desc = !top.length ? t('dash.none') : top.length > 1
    ? t('dash.byHour.descMany', { hours: top.map((i) => hh(i) + '–' + hh(i + 1)).join(', '), n: values[peak], total: st.payments })
    : t('dash.byHour.desc', { hour: hh(peak), next: hh(peak + 1), n: values[peak], total: st.payments });
  const kids = columns(values, labels, { cls: (i) => (values[i] === values[peak] && values[i] > 0 ? 'dash-bar dash-bar-peak' : 'dash-bar') });
  const table = srTable(t('dash.byHour'), [t('dash.col.hour'), t('dash.col.payments'), t('dash.col.amount')],
    st.byHour.map((b, i) => [hh(i) + '–' + hh(i + 1), String(b.payments), money(b.amountCents)]));
  return figure('dash-chart-hour', t('dash.byHour'), desc, kids, 150, table, t('dash.byHour.note'));
}

function weekdayChart(st) {
  const names = t('dash.weekdays').split(',');
  const long = t('dash.weekdays.long').split(',');
  const values = st.byWeekday.map((b) => b.payments); // Monday first, as the API sends them
  const peak = peakIndex(values);
  const top = peaks(values);
  const desc = !top.length ? t('dash.none') : top.length > 1
    ? t('dash.byWeekday.descMany', { days: top.map((i) => long[i]).join(', '), n: values[peak], total: st.payments })
    : t('dash.byWeekday.desc', { day: long[peak], n: values[peak], total: st.payments });
  const kids = columns(values, names, { cls: (i) => (values[i] === values[peak] && values[i] > 0 ? 'dash-bar dash-bar-peak' : 'dash-bar') });
  const table = srTable(t('dash.byWeekday'), [t('dash.col.day'), t('dash.col.payments'), t('dash.col.amount')],
    st.byWeekday.map((b, i) => [long[i], String(b.payments), money(b.amountCents)]));
  return figure('dash-chart-weekday', t('dash.byWeekday'), desc, kids, 150, table);
}

/**
 * Horizontal bars, one per stage: the label and the figures on a line of
 * text above each bar, so nothing is squeezed at 360 px.
 */
function stageBars(rows, by) {
  const hi = Math.max(1, ...rows.map((r) => r[by]));
  const kids = [];
  rows.forEach((r, i) => {
    const y = i * 46;
    kids.push(s('text', { x: 0, y: y + 14, class: 'dash-stage-lbl' }, r.label));
    kids.push(s('text', { x: 320, y: y + 14, class: 'dash-val', 'text-anchor': 'end' }, r.text));
    kids.push(s('rect', { x: 0, y: y + 21, width: 320, height: 14, rx: 3, class: 'dash-track' }));
    const w = r[by] > 0 ? Math.max(3, (r[by] / hi) * 320) : 0;
    if (w) kids.push(s('rect', { x: 0, y: y + 21, width: w.toFixed(2), height: 14, rx: 3, class: 'dash-bar dash-st-' + r.stage }));
  });
  return kids;
}

function stageChart(st) {
  const rows = STAGES.map((k) => ({
    stage: k, label: t('dash.stage.' + k), value: st.byStage[k].payments,
    text: count(st.byStage[k].payments, st.byStage[k].amountCents),
  }));
  const desc = t('dash.byStage.desc', { r: rows[0].text, m: rows[1].text, i: rows[2].text });
  const table = srTable(t('dash.byStage'), [t('dash.col.stage'), t('dash.col.payments'), t('dash.col.amount')],
    STAGES.map((k) => [t('dash.stage.' + k), String(st.byStage[k].payments), money(st.byStage[k].amountCents)]));
  return figure('dash-chart-stage', t('dash.byStage'), desc, stageBars(rows, 'value'), 3 * 46, table);
}

function outstandingChart(st) {
  const o = st.outstanding;
  const by = o.byStage || {};
  const rows = STAGES.map((k) => {
    const v = by[k] || { fines: 0, amountCents: 0 };
    return { stage: k, label: t('dash.stage.' + k), value: v.amountCents, text: count(v.fines, v.amountCents), v };
  });
  const desc = t('dash.outBy.desc', { n: o.fines, amount: money(o.amountCents), r: rows[0].text, m: rows[1].text, i: rows[2].text });
  const table = srTable(t('dash.outBy'), [t('dash.col.stage'), t('dash.col.fines'), t('dash.col.amount')],
    rows.map((r) => [r.label, String(r.v.fines), money(r.v.amountCents)]));
  return figure('dash-chart-outstanding', t('dash.outBy'), desc, stageBars(rows, 'value'), 3 * 46, table);
}

// ---- reconciliation ----

function reconPanel(api) {
  const date = h('input', { id: 'recon-date', type: 'date', class: 'input', max: romeToday(), required: true });
  // An optional last day makes it a period (the API allows 92 days).
  const until = h('input', { id: 'recon-to', type: 'date', class: 'input', max: romeToday() });
  const query = () => (until.value && until.value !== date.value
    ? 'from=' + encodeURIComponent(date.value) + '&to=' + encodeURIComponent(until.value)
    : 'date=' + encodeURIComponent(date.value));
  const check = h('button', { type: 'submit', class: 'btn btn-primary', id: 'recon-check', text: t('dash.recon.check') });
  const csv = h('button', { type: 'button', class: 'btn btn-secondary', id: 'recon-csv', text: t('dash.recon.csv'), disabled: true });
  const result = h('div', { id: 'recon-result', class: 'stack', 'aria-live': 'polite' });
  const file = h('input', { id: 'recon-file', type: 'file', accept: '.xml,.zip,application/xml,application/zip', multiple: true, class: 'input' });
  const bank = h('input', { id: 'recon-bank', type: 'file', accept: '.xml,application/xml', class: 'input' });
  const uploadMsg = h('ul', { id: 'recon-upload-msg', class: 'dash-problems', 'aria-live': 'polite' });
  const form = h('form', { class: 'dash-recon-form', id: 'recon-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'recon-date', text: t('dash.recon.date') }), date),
    h('div', { class: 'field' }, h('label', { for: 'recon-to', text: t('dash.recon.to') }), until), check);

  // withdraw takes a flow out of reconciliation; it resolves to an error
  // message, or to '' once done (and the day is checked again).
  async function withdraw(id, reason) {
    let res;
    try {
      res = await api.call('POST', `/api/v1/reconciliation/flows/${encodeURIComponent(id)}/withdrawal`, { json: { reason } });
    } catch { return t('offline'); }
    if (!res.ok) return problemText(res.data || {});
    run();
    return '';
  }

  async function run() {
    if (!date.value) return;
    check.disabled = true;
    result.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
    let res;
    // The panel shows the first PROBLEMS_SHOWN problems (they come first)
    // and counts the rest from the counts: a big city's day has thousands
    // of rows, which only the CSV needs.
    try { res = await api.get('/api/v1/reconciliation?' + query() + '&limit=' + PROBLEMS_SHOWN); } catch { res = null; }
    check.disabled = false;
    if (!res) { result.replaceChildren(note('error', t('offline'))); return; }
    if (!res.ok || !res.data) { result.replaceChildren(note('error', (res.data && res.data.detail) || t('error'))); return; }
    csv.disabled = false;
    result.replaceChildren(...reconView(res.data, api.openFine, withdraw));
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); run(); });

  csv.addEventListener('click', async () => {
    csv.disabled = true;
    try {
      // In Italian, the file Excel set to Italian opens with a double click
      // (semicolons, decimal commas); otherwise plain RFC 4180.
      const locale = lang === 'it' ? '&locale=it' : '';
      const res = await api.call('GET', '/api/v1/reconciliation?' + query() + locale, { headers: { Accept: 'text/csv' }, blob: true });
      if (res.ok && res.blob) {
        const url = URL.createObjectURL(res.blob);
        const a = h('a', { href: url, download: `riconciliazione-${date.value}${until.value && until.value !== date.value ? '_' + until.value : ''}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 30000);
      } else {
        result.prepend(note('error', t('error')));
      }
    } catch {
      result.prepend(note('error', t('offline')));
    } finally {
      csv.disabled = false;
    }
  });

  // Flows (XML, or zips of them) and camt.053 statements, chosen or
  // dropped several at once; a statement is told from a flow by its
  // namespace.
  async function upload(files) {
    uploadMsg.replaceChildren(h('li', { class: 'muted', text: t('loading') }));
    const lines = [];
    let firstDay = '';
    for (const f of files) {
      const zip = /\.zip$/i.test(f.name) || f.type === 'application/zip';
      const body = zip ? await f.arrayBuffer() : await f.text();
      const isBank = !zip && /camt\.053/.test(body.slice(0, 4000));
      let res;
      try {
        res = await api.call('POST', isBank ? '/api/v1/reconciliation/bank-statements' : '/api/v1/reconciliation/flows',
          { body, type: zip ? 'application/zip' : 'application/xml', timeout: 120000 });
      } catch { res = null; }
      if (!res) { lines.push(['error', t('offline')]); break; }
      const d = res.data || {};
      if (!res.ok) { lines.push(['error', t('dash.recon.failed', { file: f.name, detail: problemText(d) })]); continue; }
      if (isBank) {
        for (const st of d.statements || []) lines.push(['ok', t('dash.recon.bankUploaded', { file: f.name, id: st.id, n: st.credits, amount: money(st.creditCents) })]);
        continue;
      }
      for (const r of zip ? (d.files || []) : [d]) {
        if (r.error) { lines.push(['error', t('dash.recon.failed', { file: r.file, detail: problemText(r.error) })]); continue; }
        lines.push(['ok', t('dash.recon.uploaded', { file: r.file || f.name, id: r.id, rev: r.revision, status: t('dash.recon.status.' + r.status), n: r.lines })]);
        if (r.firstDay && (!firstDay || r.firstDay < firstDay)) firstDay = r.firstDay;
      }
    }
    uploadMsg.replaceChildren(...lines.map(([kind, text]) => h('li', { class: kind === 'ok' ? '' : 'dash-bad', 'data-kind': kind, text })));
    if (firstDay && !date.value) date.value = firstDay;
    if (date.value) run();
  }
  const pick = (input) => input.addEventListener('change', () => {
    const fs = [...(input.files || [])];
    input.value = '';
    if (fs.length) upload(fs);
  });
  pick(file);
  pick(bank);
  const drop = h('div', { class: 'dash-drop stack', id: 'recon-drop' },
    h('p', { text: t('dash.recon.drop') }),
    h('div', { class: 'field' }, h('label', { for: 'recon-file', text: t('dash.recon.flowsFile') }), file),
    h('div', { class: 'field' }, h('label', { for: 'recon-bank', text: t('dash.recon.bankFile') }), bank));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('dash-drop-over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('dash-drop-over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dash-drop-over');
    const fs = [...((e.dataTransfer && e.dataTransfer.files) || [])];
    if (fs.length) upload(fs);
  });

  const el = h('section', { class: 'card stack dash-recon', id: 'recon', 'aria-labelledby': 'recon-title' },
    h('h2', { id: 'recon-title', text: t('dash.recon') }),
    h('p', { class: 'muted', text: t('dash.recon.lead') }),
    form, result, csv, drop, uploadMsg);
  return {
    el,
    setDate(ymd) {
      if (date.value) return; // the user's choice wins over a reload
      date.value = ymd;
      run();
    },
  };
}

// CATEGORIES are the reconciliation's categories, problems first (as
// notices.Categories); FINE are those that need nobody.
const CATEGORIES = ['amount_differs', 'receipt_without_line', 'line_without_receipt', 'duplicate_line', 'revoked',
  'flow_total_differs', 'bank_amount_differs', 'flow_not_credited', 'credit_without_flow',
  'stand_in', 'pending', 'bank_pending', 'matched', 'bank_matched'];
const FINE = ['pending', 'matched', 'bank_pending', 'bank_matched'];
// FLOW_ROWS are the rows about a flow as a whole.
const FLOW_ROWS = ['flow_total_differs', 'bank_amount_differs', 'flow_not_credited'];
// PROBLEMS_SHOWN is how many problem rows the panel lists.
const PROBLEMS_SHOWN = 50;

function problemText(p) {
  const errs = (p.errors || []).slice(0, 3).map((x) => `${x.field}: ${x.message}`);
  return [p.detail || t('error'), ...errs].join(' — ');
}

function reconView(r, openFine, withdraw) {
  const out = [];
  const c = r.counts || {};
  out.push(r.balanced
    ? note('ok', t('dash.recon.balanced', { n: r.receipts.count, amount: money(r.receipts.amountCents) }))
    : note('warn', t('dash.recon.unbalanced', { r: count(r.receipts.count, r.receipts.amountCents), s: count(r.settled.count, r.settled.amountCents), c: count(r.credited.count, r.credited.amountCents) })));
  const facts = [
    ['receipts', t('dash.recon.receipts'), count(r.receipts.count, r.receipts.amountCents), false],
    ['settled', t('dash.recon.settled'), count(r.settled.count, r.settled.amountCents), false],
    ['credited', t('dash.recon.credited'), count(r.credited.count, r.credited.amountCents), false],
    ['refunds', t('dash.recon.refunds'), count((r.refunds || {}).count || 0, (r.refunds || {}).amountCents || 0), ((r.refunds || {}).count || 0) > 0],
    ...CATEGORIES.map((k) => [k, t('dash.recon.cat.' + k), String(c[k] || 0), !FINE.includes(k) && c[k] > 0]),
  ];
  out.push(h('dl', { class: 'dash-facts', id: 'recon-facts' }, facts.map(([k, label, v, bad]) => [
    h('dt', { text: label }),
    h('dd', { class: bad ? 'dash-bad' : '', 'data-key': k, text: v }),
  ])));
  const rows = (r.items || []).filter((it) => !FINE.includes(it.category));
  // Every problem, also those past the rows the answer was limited to.
  const problems = CATEGORIES.filter((k) => !FINE.includes(k)).reduce((n, k) => n + (c[k] || 0), 0);
  if (rows.length) {
    const shown = rows.slice(0, PROBLEMS_SHOWN);
    out.push(h('ul', { class: 'dash-problems', id: 'recon-problems' }, shown.map((it) => {
      const li = h('li', { 'data-category': it.category },
        h('strong', { text: t('dash.recon.cat.' + it.category) }),
        h('span', { text: (it.explanation && it.explanation[lang === 'it' ? 'it' : 'en']) || '' }),
        h('span', { class: 'mono muted', text: [it.noticeNumber ? formatNAV(it.noticeNumber) : (it.iuv ? 'IUV ' + it.iuv : ''), it.flowId || '', it.bankRef || ''].filter(Boolean).join(' · ') }));
      if (it.fineId && openFine) {
        const b = h('button', { type: 'button', class: 'btn btn-secondary dash-fine', 'data-fine': it.fineId, text: t('dash.recon.fine') });
        b.addEventListener('click', () => openFine(it.fineId));
        li.append(b);
      }
      // A flow's own rows offer to withdraw it (a wrong upload), with a
      // reason that the ledger keeps.
      if (withdraw && it.flowId && FLOW_ROWS.includes(it.category)) {
        const b = h('button', { type: 'button', class: 'btn btn-secondary dash-fine dash-withdraw', 'data-flow': it.flowId, text: t('dash.recon.withdraw') });
        b.addEventListener('click', () => {
          b.disabled = true;
          const reason = h('input', { class: 'input', type: 'text', required: true, maxlength: 500, 'aria-label': t('dash.recon.withdrawReason'), placeholder: t('dash.recon.withdrawReason') });
          const msg = h('span', { class: 'dash-bad', 'aria-live': 'polite' });
          const go = h('button', { type: 'submit', class: 'btn btn-primary', text: t('dash.recon.withdrawGo') });
          const form = h('form', { class: 'stack dash-withdraw-form' }, reason, go, msg);
          form.addEventListener('submit', async (e) => {
            e.preventDefault();
            if (!reason.value.trim()) { msg.textContent = t('dash.recon.withdrawReason'); return; }
            go.disabled = true;
            const err = await withdraw(it.flowId, reason.value.trim());
            if (err) { msg.textContent = err; go.disabled = false; }
          });
          li.append(form);
          reason.focus();
        });
        li.append(b);
      }
      return li;
    })));
    if (problems > shown.length) out.push(h('p', { class: 'muted', text: t('dash.recon.more', { n: problems - shown.length }) }));
  }
  return out;
}

