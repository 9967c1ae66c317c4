// The verbale in the back office (issue 18), loaded on demand by office.js:
// on a fine's page, its content (offender, party jointly liable, vehicle,
// agents, statement or reason of deferral), its notifications and their
// outcomes, the void flag and the driver named under art. 126-bis; and the
// Notifications tab: fines near their notification term, the outcomes file
// of the postal provider or SEND, declarations to review, licence points.
import { t, extend, day, dateTime } from '{{/assets/i18n.js}}';
import { h, note } from '{{/assets/util.js}}';

extend({
  it: {
    'ov.tab': 'Notifiche',
    'ov.verbale': 'Verbale',
    'ov.edit': 'Modifica il verbale',
    'ov.save': 'Salva il verbale',
    'ov.saved': 'Verbale salvato.',
    'ov.none': '—',
    'ov.owner': 'Obbligato in solido (art. 196)',
    'ov.offender': 'Trasgressore',
    'ov.vehicle': 'Veicolo',
    'ov.agents': 'Matricole degli agenti (separate da virgole)',
    'ov.statement': 'Dichiarazioni del trasgressore',
    'ov.reason': 'Motivo della mancata contestazione',
    'ov.reason.camera': 'Apparecchio omologato senza agente',
    'ov.reason.driver_absent': 'Conducente assente',
    'ov.reason.stop_impossible': 'Impossibile fermare il veicolo',
    'ov.reason.other': 'Altro',
    'ov.reasonNote': 'Dettagli del motivo',
    'ov.kind': 'Persona o società',
    'ov.kind.person': 'Persona',
    'ov.kind.company': 'Società',
    'ov.role': 'Titolo',
    'ov.role.owner': 'Proprietario',
    'ov.role.usufructuary': 'Usufruttuario',
    'ov.role.buyer_reserved_title': 'Acquirente con riserva di proprietà',
    'ov.role.lessee': 'Locatario',
    'ov.f.name': 'Cognome e nome o ragione sociale',
    'ov.f.fiscalCode': 'Codice fiscale',
    'ov.f.vatNumber': 'Partita IVA',
    'ov.f.birthDate': 'Data di nascita',
    'ov.f.birthPlace': 'Luogo di nascita',
    'ov.f.address': 'Residenza o sede',
    'ov.f.country': 'Paese (sigla)',
    'ov.f.pec': 'PEC',
    'ov.f.licenceNumber': 'Numero patente',
    'ov.f.licenceCategory': 'Categoria patente',
    'ov.f.type': 'Tipo di veicolo',
    'ov.f.make': 'Marca',
    'ov.f.model': 'Modello',
    'ov.notifications': 'Notifiche',
    'ov.term': 'Da spedire entro il {date}',
    'ov.send': 'Registra una spedizione',
    'ov.send.submit': 'Registra la spedizione',
    'ov.recipient': 'Destinatario',
    'ov.recipient.owner': 'Obbligato in solido',
    'ov.recipient.offender': 'Trasgressore',
    'ov.channel': 'Canale',
    'ov.channel.post': 'Posta (atti giudiziari)',
    'ov.channel.pec': 'PEC',
    'ov.channel.send': 'SEND',
    'ov.channel.hand': 'A mano',
    'ov.sentOn': 'Spedita il',
    'ov.address': 'Indirizzo o PEC',
    'ov.evidence': 'Prova (raccomandata, ricevuta, IUN)',
    'ov.outcome': 'Esito',
    'ov.outcome.submit': 'Registra l\'esito',
    'ov.on': 'Data dell\'evento',
    'ov.collectedOn': 'Ritirata il (giacenza)',
    'ov.accessedOn': 'Letta su SEND il',
    'ov.pending': 'in attesa dell\'esito',
    'ov.perfected': 'perfezionata il {date}',
    'ov.failed': 'non riuscita',
    'ov.late': 'spedita oltre il termine',
    'ov.void': 'Notifica oltre il termine (art. 201 c.5): non pagabile finché un responsabile non decide. {reason}',
    'ov.void.lifted': 'Annullabilità esclusa da {by}: {note}',
    'ov.void.decide': 'Decidi',
    'ov.void.lift': 'Il termine è rispettato: rendi pagabile',
    'ov.void.confirm': 'Conferma: annulla il verbale',
    'ov.void.note': 'Motivazione',
    'ov.driver': 'Conducente indicato (art. 126-bis)',
    'ov.driver.term': 'Comunicazione entro il {date}',
    'ov.driver.accept': 'Accetta',
    'ov.driver.reject': 'Respingi',
    'ov.driver.note': 'Nota (obbligatoria per respingere)',
    'ov.driver.penalty': 'Emetti il verbale art. 126-bis c.2',
    'ov.driver.penalty.done': 'Emesso il verbale {n}.',
    'ov.terms': 'Verbali da notificare',
    'ov.terms.empty': 'Nessun verbale in scadenza nei prossimi 30 giorni.',
    'ov.terms.days': '{n} giorni',
    'ov.terms.overdue': 'scaduto',
    'ov.sweep': 'Segna come annullabili i verbali scaduti',
    'ov.sweep.done': 'Segnati: {n}.',
    'ov.import': 'Esiti da file (poste o SEND)',
    'ov.import.file': 'File CSV degli esiti',
    'ov.import.hint': 'Colonne: noticeNumber, outcome, on, collectedOn, accessedOn, at, evidence.',
    'ov.import.submit': 'Carica gli esiti',
    'ov.import.done': 'Esiti registrati: {applied}; scartati: {failed}.',
    'ov.declarations': 'Comunicazioni del conducente da verificare',
    'ov.declarations.empty': 'Nessuna comunicazione in attesa.',
    'ov.points': 'Punti da comunicare all\'Anagrafe (CSV)',
    'ov.open': 'Apri',
  },
  en: {
    'ov.tab': 'Notifications',
    'ov.verbale': 'Report',
    'ov.edit': 'Edit the report',
    'ov.save': 'Save the report',
    'ov.saved': 'Report saved.',
    'ov.owner': 'Party jointly liable (art. 196)',
    'ov.offender': 'Offender',
    'ov.vehicle': 'Vehicle',
    'ov.agents': 'Officers\' badge numbers (comma-separated)',
    'ov.statement': 'Offender\'s statement',
    'ov.reason': 'Why not contested on the spot',
    'ov.reason.camera': 'Approved device, no officer',
    'ov.reason.driver_absent': 'Driver absent',
    'ov.reason.stop_impossible': 'Could not stop the vehicle',
    'ov.reason.other': 'Other',
    'ov.reasonNote': 'Details of the reason',
    'ov.kind': 'Person or company',
    'ov.kind.person': 'Person',
    'ov.kind.company': 'Company',
    'ov.role': 'As',
    'ov.role.owner': 'Owner',
    'ov.role.usufructuary': 'Usufructuary',
    'ov.role.buyer_reserved_title': 'Buyer with reserved title',
    'ov.role.lessee': 'Lessee',
    'ov.f.name': 'Name or company name',
    'ov.f.fiscalCode': 'Tax code',
    'ov.f.vatNumber': 'VAT number',
    'ov.f.birthDate': 'Date of birth',
    'ov.f.birthPlace': 'Place of birth',
    'ov.f.address': 'Residence or registered office',
    'ov.f.country': 'Country (code)',
    'ov.f.pec': 'Certified e-mail (PEC)',
    'ov.f.licenceNumber': 'Licence number',
    'ov.f.licenceCategory': 'Licence category',
    'ov.f.type': 'Vehicle type',
    'ov.f.make': 'Make',
    'ov.f.model': 'Model',
    'ov.notifications': 'Notifications',
    'ov.term': 'To be sent by {date}',
    'ov.send': 'Record a dispatch',
    'ov.send.submit': 'Record the dispatch',
    'ov.recipient': 'Recipient',
    'ov.recipient.owner': 'Party jointly liable',
    'ov.recipient.offender': 'Offender',
    'ov.channel': 'Channel',
    'ov.channel.post': 'Post (registered)',
    'ov.channel.pec': 'PEC',
    'ov.channel.send': 'SEND',
    'ov.channel.hand': 'By hand',
    'ov.sentOn': 'Sent on',
    'ov.address': 'Address or PEC',
    'ov.evidence': 'Evidence (registered mail, receipt, IUN)',
    'ov.outcome': 'Outcome',
    'ov.outcome.submit': 'Record the outcome',
    'ov.on': 'Day of the event',
    'ov.collectedOn': 'Collected on (deposit)',
    'ov.accessedOn': 'Opened on SEND on',
    'ov.pending': 'awaiting its outcome',
    'ov.perfected': 'perfected on {date}',
    'ov.failed': 'failed',
    'ov.late': 'sent after the term',
    'ov.void': 'Notified after the term (art. 201 c.5): not payable until a supervisor decides. {reason}',
    'ov.void.lifted': 'Flag lifted by {by}: {note}',
    'ov.void.decide': 'Decide',
    'ov.void.lift': 'The term was kept: make it payable',
    'ov.void.confirm': 'Confirm: cancel the report',
    'ov.void.note': 'Reason',
    'ov.driver': 'Driver named (art. 126-bis)',
    'ov.driver.term': 'To be named by {date}',
    'ov.driver.accept': 'Accept',
    'ov.driver.reject': 'Reject',
    'ov.driver.note': 'Note (required to reject)',
    'ov.driver.penalty': 'Issue the art. 126-bis c.2 fine',
    'ov.driver.penalty.done': 'Issued report {n}.',
    'ov.terms': 'Reports to notify',
    'ov.terms.empty': 'No report is due in the next 30 days.',
    'ov.terms.days': '{n} days',
    'ov.terms.overdue': 'overdue',
    'ov.sweep': 'Flag overdue reports as void',
    'ov.sweep.done': 'Flagged: {n}.',
    'ov.import': 'Outcomes from a file (post or SEND)',
    'ov.import.file': 'CSV file of outcomes',
    'ov.import.hint': 'Columns: noticeNumber, outcome, on, collectedOn, accessedOn, at, evidence.',
    'ov.import.submit': 'Upload the outcomes',
    'ov.import.done': 'Outcomes recorded: {applied}; refused: {failed}.',
    'ov.declarations': 'Driver declarations to review',
    'ov.declarations.empty': 'No declaration is waiting.',
    'ov.points': 'Points for the national registry (CSV)',
    'ov.open': 'Open',
  },
});

const OUTCOMES = {
  post: ['post_delivered', 'post_refused', 'post_deposited', 'failed'],
  pec: ['pec_delivered', 'failed'],
  send: ['send_digital', 'send_undeliverable', 'send_paper', 'failed'],
  hand: ['on_the_spot', 'post_delivered', 'post_refused', 'failed'],
};
const TYPES = ['car', 'motorcycle', 'moped', 'truck', 'bus', 'trailer', 'other'];
const today = () => { const d = new Date(), p = (n) => String(n).padStart(2, '0'); return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`; };

let uid = 0;
/** A labelled field; returns [wrapper, input]. */
function field(label, input) {
  input.id = input.id || 'ov-' + (++uid);
  return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input);
}
const text = (name, value, extra) => h('input', { name, type: 'text', class: 'input', autocomplete: 'off', value: value || '', ...extra });
const date = (name, value) => h('input', { name, type: 'date', class: 'input', value: value || '' });
const select = (name, values, labelKey, value) => h('select', { name, class: 'input' },
  values.map((v) => h('option', { value: v, text: labelKey ? t(labelKey + v) : v, selected: v === value })));

/** The problem of a failed call, in words. */
function problem(res) {
  const d = res.data || {};
  if (d.errors) return d.errors.map((e) => `${e.field}: ${e.message}`).join(' · ');
  return d.detail || t('error');
}

/**
 * Appends the verbale's sections to a fine's page. ctx: api(method, path,
 * opts), refresh(fine, flash) to redraw the page, canIssue, canDecide.
 */
export function renderFine(el, f, ctx) {
  const msg = h('div', { id: 'verbale-status', 'aria-live': 'polite' });
  el.append(msg);
  const done = async (res, flash) => {
    if (res.ok) { ctx.refresh(res.data, flash); return; }
    if (res.status !== 401) msg.replaceChildren(note('error', problem(res)));
  };
  if (f.void) el.append(voidCard(f, ctx, done));
  el.append(verbaleCard(f, ctx, done));
  el.append(notificationsCard(f, ctx, done));
  if (f.driverIdentification || f.driverTerm) el.append(driverCard(f, ctx, done));
}

function summary(v) {
  if (!v) return h('p', { class: 'hint', text: t('ov.none') });
  const rows = [];
  const person = (p) => [p.name, p.fiscalCode || p.vatNumber, p.address, p.country].filter(Boolean).join(' · ');
  if (v.offender) rows.push([t('ov.offender'), person(v.offender) + (v.offender.licenceNumber ? ` · ${v.offender.licenceNumber} (${v.offender.licenceCategory || ''})` : '')]);
  if (v.owner) rows.push([t('ov.owner'), `${t('ov.role.' + v.owner.role)}: ${person(v.owner)}${v.owner.pec ? ' · ' + v.owner.pec : ''}`]);
  rows.push([t('ov.vehicle'), [v.vehicle && v.vehicle.type, v.vehicle && v.vehicle.make, v.vehicle && v.vehicle.model, v.vehicle && v.vehicle.country].filter(Boolean).join(' · ')]);
  if (v.agents && v.agents.length) rows.push([t('ov.agents').replace(/ \(.*\)$/, ''), v.agents.join(', ')]);
  if (v.statement) rows.push([t('ov.statement'), v.statement]);
  if (v.deferredReason) rows.push([t('ov.reason'), t('ov.reason.' + v.deferredReason) + (v.deferredNote ? ': ' + v.deferredNote : '')]);
  return h('dl', { class: 'facts', id: 'verbale-summary' }, rows.map(([k, val]) => [h('dt', { text: k }), h('dd', { text: val })]));
}

function verbaleCard(f, ctx, done) {
  const card = h('div', { class: 'card stack', id: 'verbale' }, h('h2', { text: t('ov.verbale') }), summary(f.verbale));
  if (!ctx.canIssue || f.status === 'paid' || f.status === 'cancelled') return card;
  const edit = h('button', { type: 'button', class: 'btn btn-secondary', id: 'verbale-edit', text: t('ov.edit') });
  edit.addEventListener('click', () => { edit.replaceWith(verbaleForm(f, ctx, done)); card.querySelector('input, select').focus(); });
  card.append(edit);
  return card;
}

function partyFields(prefix, p, withLicence) {
  p = p || {};
  const inputs = {
    name: text('name', p.name), fiscalCode: text('fiscalCode', p.fiscalCode, { maxlength: '16' }),
    birthDate: date('birthDate', p.birthDate), birthPlace: text('birthPlace', p.birthPlace),
    address: text('address', p.address), country: text('country', p.country || 'IT', { maxlength: '2' }),
  };
  if (withLicence) Object.assign(inputs, { licenceNumber: text('licenceNumber', p.licenceNumber), licenceCategory: text('licenceCategory', p.licenceCategory, { maxlength: '3' }) });
  else Object.assign(inputs, { vatNumber: text('vatNumber', p.vatNumber, { maxlength: '20' }), pec: text('pec', p.pec, { type: 'email' }) });
  for (const [k, el] of Object.entries(inputs)) el.id = `ov-${prefix}-${k}`;
  return inputs;
}

function collect(inputs) {
  const out = {};
  for (const [k, el] of Object.entries(inputs)) {
    let v = el.value.trim();
    if (['fiscalCode', 'country', 'licenceNumber', 'licenceCategory', 'vatNumber'].includes(k)) v = v.toUpperCase();
    if (k === 'country' && v === 'IT') v = '';
    if (v) out[k] = v;
  }
  return out;
}

function verbaleForm(f, ctx, done) {
  const v = f.verbale || {};
  const owner = partyFields('owner', v.owner, false);
  const kind = select('kind', ['person', 'company'], 'ov.kind.', (v.owner && v.owner.kind) || 'person');
  kind.id = 'ov-owner-kind';
  const role = select('role', ['owner', 'usufructuary', 'buyer_reserved_title', 'lessee'], 'ov.role.', (v.owner && v.owner.role) || 'owner');
  role.id = 'ov-owner-role';
  const offender = partyFields('offender', v.offender, true);
  const vt = select('type', TYPES, null, (v.vehicle && v.vehicle.type) || 'car');
  vt.id = 'ov-vehicle-type';
  const vehicle = { make: text('make', v.vehicle && v.vehicle.make), model: text('model', v.vehicle && v.vehicle.model), country: text('country', (v.vehicle && v.vehicle.country) || 'IT', { maxlength: '2' }) };
  for (const [k, el] of Object.entries(vehicle)) el.id = 'ov-vehicle-' + k;
  const agents = text('agents', (v.agents || []).join(', '), { id: 'ov-agents' });
  const deferred = f.contestation === 'deferred';
  const reason = select('deferredReason', ['camera', 'driver_absent', 'stop_impossible', 'other'], 'ov.reason.', v.deferredReason || 'camera');
  reason.id = 'ov-reason';
  const reasonNote = text('deferredNote', v.deferredNote, { id: 'ov-reason-note' });
  const statement = h('textarea', { id: 'ov-statement', name: 'statement', class: 'input', rows: '3', maxlength: '2000' }, v.statement || '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'verbale-save', text: t('ov.save') });
  const group = (title, inputs) => h('fieldset', { class: 'stack' }, h('legend', { text: title }),
    Object.entries(inputs).map(([k, el]) => field(t('ov.f.' + k), el)));
  const form = h('form', { id: 'verbale-form', class: 'stack', novalidate: true },
    h('fieldset', { class: 'stack' }, h('legend', { text: t('ov.owner') }), field(t('ov.kind'), kind), field(t('ov.role'), role),
      Object.entries(owner).map(([k, el]) => field(t('ov.f.' + k), el))),
    group(t('ov.offender'), offender),
    h('fieldset', { class: 'stack' }, h('legend', { text: t('ov.vehicle') }), field(t('ov.f.type'), vt),
      Object.entries(vehicle).map(([k, el]) => field(t('ov.f.' + k), el))),
    field(t('ov.agents'), agents),
    deferred ? [field(t('ov.reason'), reason), field(t('ov.reasonNote'), reasonNote)] : field(t('ov.statement'), statement),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { vehicle: { type: vt.value, ...collect(vehicle) } };
    const o = collect(owner);
    if (o.name) body.owner = { kind: kind.value, role: role.value, ...o, knownOn: v.owner && v.owner.knownOn };
    const off = collect(offender);
    if (off.name) body.offender = off;
    const a = agents.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (a.length) body.agents = a;
    if (deferred) { body.deferredReason = reason.value; if (reasonNote.value.trim()) body.deferredNote = reasonNote.value.trim(); }
    else if (statement.value.trim()) body.statement = statement.value.trim();
    submit.disabled = true;
    const res = await ctx.api('PUT', `/api/v1/fines/${encodeURIComponent(f.id)}/verbale`, { json: body }).catch(() => ({ ok: false, status: 0, data: { detail: t('offline') } }));
    submit.disabled = false;
    done(res, t('ov.saved'));
  });
  return form;
}

function attemptLine(a, i) {
  const d = a.delivery;
  let state = t('ov.pending');
  if (d && a.perfectedOn) state = `${d.outcome} — ${t('ov.perfected', { date: day(a.perfectedOn, true) })}`;
  else if (d) state = `${d.outcome} — ${t('ov.failed')}`;
  return h('li', { 'data-attempt': String(i + 1) },
    h('strong', { text: `${i + 1}. ${t('ov.channel.' + a.channel)}` }), ` → ${t('ov.recipient.' + a.recipient)}, ${t('ov.sentOn').toLowerCase()} ${day(a.sentOn)}`,
    a.late ? h('span', { class: 'chip', text: t('ov.late') }) : null,
    h('br'), state, a.evidence ? ` · ${a.evidence}` : '');
}

function notificationsCard(f, ctx, done) {
  const card = h('div', { class: 'card stack', id: 'notifications' }, h('h2', { text: t('ov.notifications') }));
  if (f.notificationTerm) card.append(note('info', t('ov.term', { date: day(f.notificationTerm.due, true) })));
  const list = f.notifications || [];
  if (list.length) card.append(h('ol', { class: 'plain', id: 'attempts' }, list.map(attemptLine)));
  if (!ctx.canIssue || f.status === 'cancelled') return card;
  const pending = list.findIndex((a) => !a.delivery);
  if (pending >= 0) card.append(outcomeForm(f, pending, list[pending], ctx, done));
  else if (f.verbale && (f.verbale.owner || f.verbale.offender) && f.status !== 'paid') card.append(sendForm(f, ctx, done));
  return card;
}

function sendForm(f, ctx, done) {
  const recipient = select('recipient', f.verbale.owner ? ['owner', 'offender'] : ['offender'], 'ov.recipient.', 'owner');
  recipient.id = 'ov-send-recipient';
  const channel = select('channel', ['post', 'pec', 'send', 'hand'], 'ov.channel.', 'post');
  channel.id = 'ov-send-channel';
  const sentOn = date('sentOn', today());
  sentOn.id = 'ov-send-on';
  const address = text('address', '', { id: 'ov-send-address' });
  const evidence = text('evidence', '', { id: 'ov-send-evidence' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ov-send-submit', text: t('ov.send.submit') });
  const form = h('form', { id: 'send-form', class: 'stack', novalidate: true }, h('h3', { text: t('ov.send') }),
    field(t('ov.recipient'), recipient), field(t('ov.channel'), channel), field(t('ov.sentOn'), sentOn),
    field(t('ov.address'), address), field(t('ov.evidence'), evidence), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { recipient: recipient.value, channel: channel.value, sentOn: sentOn.value };
    if (address.value.trim()) body.address = address.value.trim();
    if (evidence.value.trim()) body.evidence = evidence.value.trim();
    submit.disabled = true;
    const res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/notifications`, { json: body }).catch(() => ({ ok: false, data: { detail: t('offline') } }));
    submit.disabled = false;
    done(res);
  });
  return form;
}

function outcomeForm(f, i, a, ctx, done) {
  const outcome = select('outcome', OUTCOMES[a.channel] || ['failed'], null, (OUTCOMES[a.channel] || [])[0]);
  outcome.id = 'ov-outcome';
  const on = date('on', today());
  on.id = 'ov-outcome-on';
  const collected = date('collectedOn', '');
  collected.id = 'ov-outcome-collected';
  const accessed = date('accessedOn', '');
  accessed.id = 'ov-outcome-accessed';
  const evidence = text('evidence', a.evidence || '', { id: 'ov-outcome-evidence' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ov-outcome-submit', text: t('ov.outcome.submit') });
  const form = h('form', { id: 'outcome-form', class: 'stack', novalidate: true }, h('h3', { text: `${t('ov.outcome')} — ${i + 1}` }),
    field(t('ov.outcome'), outcome), field(t('ov.on'), on),
    a.channel === 'post' ? field(t('ov.collectedOn'), collected) : null,
    a.channel === 'send' ? field(t('ov.accessedOn'), accessed) : null,
    field(t('ov.evidence'), evidence), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { outcome: outcome.value, on: on.value, evidence: evidence.value.trim() };
    if (collected.value) body.collectedOn = collected.value;
    if (accessed.value) body.accessedOn = accessed.value;
    submit.disabled = true;
    const res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/notifications/${i + 1}/outcome`, { json: body }).catch(() => ({ ok: false, data: { detail: t('offline') } }));
    submit.disabled = false;
    done(res);
  });
  return form;
}

function voidCard(f, ctx, done) {
  const v = f.void;
  const card = h('div', { class: 'card stack', id: 'void' });
  if (v.decision === 'lifted') { card.append(note('info', t('ov.void.lifted', { by: v.decidedBy, note: v.note }))); return card; }
  if (v.decision) return card;
  card.append(note('warn', t('ov.void', { reason: v.reason })));
  if (!ctx.canDecide) return card;
  const noteEl = h('textarea', { id: 'ov-void-note', name: 'note', class: 'input', rows: '2', maxlength: '400' });
  const decide = (decision) => async () => {
    if (!noteEl.value.trim()) { noteEl.setAttribute('aria-invalid', 'true'); noteEl.focus(); return; }
    const res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/void-decision`, { json: { decision, note: noteEl.value.trim() } }).catch(() => ({ ok: false, data: { detail: t('offline') } }));
    done(res);
  };
  card.append(h('h3', { text: t('ov.void.decide') }), field(t('ov.void.note'), noteEl),
    h('button', { type: 'button', class: 'btn btn-secondary', id: 'ov-void-lift', text: t('ov.void.lift'), on: { click: decide('lift') } }),
    h('button', { type: 'button', class: 'btn btn-danger', id: 'ov-void-confirm', text: t('ov.void.confirm'), on: { click: decide('confirm') } }));
  return card;
}

function driverCard(f, ctx, done) {
  const d = f.driverIdentification;
  const card = h('div', { class: 'card stack', id: 'driver-identification', 'data-status': (d && d.status) || '' }, h('h2', { text: t('ov.driver') }));
  if (f.driverTerm) card.append(h('p', { text: t('ov.driver.term', { date: day(f.driverTerm, true) }) }));
  if (d && d.driver && d.driver.name) {
    const p = d.driver;
    card.append(h('dl', { class: 'facts' },
      h('dt', { text: t('ov.f.name') }), h('dd', { text: p.name }),
      h('dt', { text: t('ov.f.fiscalCode') }), h('dd', { text: p.fiscalCode || '—' }),
      h('dt', { text: t('ov.f.licenceNumber') }), h('dd', { text: `${p.licenceNumber} (${p.licenceCategory})` }),
      h('dt', { text: t('ov.f.address') }), h('dd', { text: p.address }),
      h('dt', { text: 'Status' }), h('dd', { text: `${d.status}${d.declaredBy ? ' · ' + d.declaredBy : ''} · ${dateTime(d.submittedAt)}` })));
  }
  if (ctx.canIssue && d && d.status === 'submitted') {
    const noteEl = h('textarea', { id: 'ov-driver-note', name: 'note', class: 'input', rows: '2', maxlength: '500' });
    const review = (accept) => async () => {
      const res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/driver-identification/review`, { json: { accept, note: noteEl.value.trim() || undefined } }).catch(() => ({ ok: false, data: { detail: t('offline') } }));
      done(res);
    };
    card.append(field(t('ov.driver.note'), noteEl),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'ov-driver-accept', text: t('ov.driver.accept'), on: { click: review(true) } }),
      h('button', { type: 'button', class: 'btn btn-secondary', id: 'ov-driver-reject', text: t('ov.driver.reject'), on: { click: review(false) } }));
  }
  if (ctx.canIssue && f.driverPenaltyDue) {
    const btn = h('button', { type: 'button', class: 'btn btn-danger', id: 'ov-driver-penalty', text: t('ov.driver.penalty') });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      const res = await ctx.api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/driver-penalty`).catch(() => ({ ok: false, data: { detail: t('offline') } }));
      btn.disabled = false;
      if (res.ok) { ctx.open(res.data.id, t('ov.driver.penalty.done', { n: res.data.reportNumber })); return; }
      done(res);
    });
    card.append(btn);
  }
  return card;
}

/** The Notifications tab. ctx: api, open(id), canDecide. */
export async function renderTab(el, ctx) {
  const msg = h('div', { id: 'ov-tab-status', 'aria-live': 'polite' });
  const terms = h('div', { class: 'card stack', id: 'terms' }, h('h2', { text: t('ov.terms') }));
  const decl = h('div', { class: 'card stack', id: 'declarations' }, h('h2', { text: t('ov.declarations') }));
  el.replaceChildren(msg, terms, decl, importCard(ctx, msg),
    h('p', {}, h('a', { class: 'btn btn-ghost', id: 'ov-points', href: '#', text: t('ov.points'), on: { click: (e) => { e.preventDefault(); download(ctx, msg); } } })));
  const [tr, dr] = await Promise.all([
    ctx.api('GET', '/api/v1/notification-terms?within=30').catch(() => null),
    ctx.api('GET', '/api/v1/driver-identifications?status=submitted').catch(() => null),
  ]);
  const items = (tr && tr.ok && tr.data.items) || [];
  terms.append(items.length ? h('ul', { class: 'plain', id: 'terms-list' }, items.map((it) => h('li', {},
    h('button', { type: 'button', class: 'btn btn-ghost', text: `${it.reportNumber} · ${it.plate}`, on: { click: () => ctx.open(it.id) } }),
    ` ${day(it.term.due, true)} — ${it.daysLeft < 0 ? t('ov.terms.overdue') : t('ov.terms.days', { n: it.daysLeft })}`,
    it.void ? h('span', { class: 'chip', text: 'void' }) : null)))
    : h('p', { class: 'hint', text: t('ov.terms.empty') }));
  if (ctx.canDecide) {
    const sweep = h('button', { type: 'button', class: 'btn btn-secondary', id: 'ov-sweep', text: t('ov.sweep') });
    sweep.addEventListener('click', async () => {
      const res = await ctx.api('POST', '/api/v1/notification-terms/sweep').catch(() => null);
      if (res && res.ok) msg.replaceChildren(note('ok', t('ov.sweep.done', { n: res.data.flagged.length })));
    });
    terms.append(sweep);
  }
  const ds = (dr && dr.ok && dr.data.items) || [];
  decl.append(ds.length ? h('ul', { class: 'plain', id: 'declarations-list' }, ds.map((it) => h('li', {},
    h('button', { type: 'button', class: 'btn btn-ghost', 'data-fine-id': it.id, text: `${it.reportNumber} · ${it.plate}`, on: { click: () => ctx.open(it.id) } }),
    ` ${it.owner || ''} → ${(it.driverIdentification && it.driverIdentification.driver.name) || ''} (${it.points})`)))
    : h('p', { class: 'hint', text: t('ov.declarations.empty') }));
}

function importCard(ctx, msg) {
  const file = h('input', { type: 'file', id: 'ov-import-file', name: 'file', accept: '.csv,text/csv', class: 'input', 'aria-describedby': 'ov-import-hint' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ov-import-submit', text: t('ov.import.submit') });
  const form = h('form', { id: 'import-outcomes', class: 'card stack', novalidate: true }, h('h2', { text: t('ov.import') }),
    h('div', { class: 'field' }, h('label', { for: file.id, text: t('ov.import.file') }), h('p', { class: 'hint', id: 'ov-import-hint', text: t('ov.import.hint') }), file),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files && file.files[0];
    if (!f) { file.setAttribute('aria-invalid', 'true'); file.focus(); return; }
    submit.disabled = true;
    const res = await ctx.api('POST', '/api/v1/notification-outcomes/import', { body: await f.text(), type: 'text/csv' }).catch(() => null);
    submit.disabled = false;
    if (!res || !res.ok) { msg.replaceChildren(note('error', res ? problem(res) : t('offline'))); return; }
    const bad = res.data.rows.filter((r) => r.errors);
    msg.replaceChildren(note(bad.length ? 'warn' : 'ok', t('ov.import.done', res.data),
      bad.length ? h('ul', {}, bad.map((r) => h('li', { text: `#${r.row}: ${r.errors.map((x) => x.field + ' ' + x.message).join('; ')}` }))) : null));
  });
  return form;
}

async function download(ctx, msg) {
  const res = await ctx.api('GET', '/api/v1/licence-points', { headers: { Accept: 'text/csv' }, blob: true }).catch(() => null);
  if (!res || !res.ok || !res.blob) { msg.replaceChildren(note('error', t('error'))); return; }
  const a = h('a', { href: URL.createObjectURL(res.blob), download: 'punti-patente.csv' });
  document.body.append(a);
  a.click();
  a.remove();
}
