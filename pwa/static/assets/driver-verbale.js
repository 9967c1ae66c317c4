// The verbale's part of the driver's checkout (issue 18): when the
// notification takes effect, the appeal terms, a fine that cannot be paid
// while a supervisor decides, the form to name the driver (art. 126-bis)
// and, for a vehicle or owner from abroad, the notice's fixed texts in
// English, German and French. Loaded on demand by checkout.js; nothing
// here shows personal data, which the public API never gives.
import { t, extend, day } from '{{/assets/i18n.js}}';
import { h, note } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';

extend({
  it: {
    'vb.title': 'Termini del verbale',
    'vb.perfects': 'La notifica si perfeziona il {date}: da quel giorno gli importi comprendono le spese di notifica e i termini ripartono.',
    'vb.void': 'Questo verbale non è stato notificato in tempo: non si può pagare finché il comando non decide.',
    'vb.prefetto': 'Ricorso al Prefetto entro',
    'vb.gdp': 'Ricorso al Giudice di Pace entro',
    'vb.appeal': 'Chi paga rinuncia al ricorso.',
    'vb.driver': 'Comunica chi guidava',
    'vb.driver.lead': 'Il conducente non è stato identificato: il proprietario deve comunicarne i dati e la patente entro il {date} (art. 126-bis), altrimenti si applica un\'altra sanzione. Questa violazione toglie {points} punti.',
    'vb.driver.open': 'Compila la comunicazione',
    'vb.driver.submitted': 'Comunicazione ricevuta: il comando la sta verificando.',
    'vb.driver.accepted': 'Comunicazione accettata: i punti sono attribuiti al conducente indicato.',
    'vb.driver.rejected': 'La comunicazione non è stata accettata: inviane una corretta.',
    'vb.driver.not_named': 'Il termine è scaduto senza comunicazione.',
    'vb.f.name': 'Cognome e nome del conducente',
    'vb.f.fiscalCode': 'Codice fiscale del conducente',
    'vb.f.birthDate': 'Data di nascita',
    'vb.f.address': 'Residenza (via, numero, CAP, comune)',
    'vb.f.country': 'Paese di residenza (sigla, es. IT)',
    'vb.f.licenceNumber': 'Numero della patente',
    'vb.f.licenceCategory': 'Categoria della patente',
    'vb.f.declaredBy': 'Chi firma (proprietario o legale rappresentante)',
    'vb.f.ownerCode': 'Codice fiscale o partita IVA del proprietario',
    'vb.f.ownerCode.hint': 'Come scritto nel verbale: serve a verificare che sei tu.',
    'vb.f.declaration': 'Dichiaro sotto la mia responsabilità che i dati sono veri (art. 47 DPR 445/2000).',
    'vb.f.submit': 'Invia la comunicazione',
    'vb.f.mismatch': 'Il codice fiscale o la partita IVA non sono quelli del proprietario nel verbale.',
    'vb.f.invalid': 'Controlla i campi evidenziati.',
    'vb.f.offline': 'Non riusciamo a raggiungere il servizio. Riprova.',
    'vb.texts': 'Informazioni in altre lingue',
  },
  en: {
    'vb.title': 'Terms of the report',
    'vb.perfects': 'The notification takes effect on {date}: from that day the amounts include the notification costs and the terms start again.',
    'vb.void': 'This report was not notified in time: it cannot be paid until the police command decides.',
    'vb.prefetto': 'Appeal to the Prefetto by',
    'vb.gdp': 'Appeal to the Giudice di Pace by',
    'vb.appeal': 'Paying gives up the right to appeal.',
    'vb.driver': 'Name the driver',
    'vb.driver.lead': 'The driver was not identified: the owner must give the driver\'s details and licence by {date} (art. 126-bis), or a further fine follows. This violation takes {points} points.',
    'vb.driver.open': 'Fill in the form',
    'vb.driver.submitted': 'Received: the police command is checking it.',
    'vb.driver.accepted': 'Accepted: the points go to the driver named.',
    'vb.driver.rejected': 'Not accepted: send a corrected one.',
    'vb.driver.not_named': 'The term passed with nobody named.',
    'vb.f.name': 'Driver\'s surname and name',
    'vb.f.fiscalCode': 'Driver\'s tax code',
    'vb.f.birthDate': 'Date of birth',
    'vb.f.address': 'Residence (street, number, postcode, town)',
    'vb.f.country': 'Country of residence (code, e.g. IT)',
    'vb.f.licenceNumber': 'Licence number',
    'vb.f.licenceCategory': 'Licence category',
    'vb.f.declaredBy': 'Who signs (owner or legal representative)',
    'vb.f.ownerCode': 'Owner\'s tax code or VAT number',
    'vb.f.ownerCode.hint': 'As written on the report: it shows that you are the owner.',
    'vb.f.declaration': 'I declare under my own responsibility that these details are true.',
    'vb.f.submit': 'Send',
    'vb.f.mismatch': 'That tax code or VAT number is not the owner\'s on the report.',
    'vb.f.invalid': 'Check the highlighted fields.',
    'vb.f.offline': 'We cannot reach the service. Try again.',
    'vb.texts': 'Information in other languages',
  },
  de: {
    'vb.title': 'Fristen des Protokolls',
    'vb.perfects': 'Die Zustellung wird am {date} wirksam: ab diesem Tag enthalten die Beträge die Zustellungskosten und die Fristen beginnen neu.',
    'vb.void': 'Dieses Protokoll wurde nicht rechtzeitig zugestellt: es kann nicht bezahlt werden, bis die Polizeibehörde entscheidet.',
    'vb.prefetto': 'Einspruch beim Präfekten (Prefetto) bis',
    'vb.gdp': 'Einspruch beim Friedensrichter (Giudice di Pace) bis',
    'vb.appeal': 'Wer bezahlt, verzichtet auf den Einspruch.',
    'vb.driver': 'Fahrer angeben',
    'vb.driver.lead': 'Der Fahrer wurde nicht festgestellt: der Halter muss bis {date} die Daten und den Führerschein des Fahrers mitteilen (Art. 126-bis), sonst folgt ein weiteres Bußgeld. Dieser Verstoß kostet {points} Punkte.',
    'vb.driver.open': 'Formular ausfüllen',
    'vb.driver.submitted': 'Eingegangen: die Polizeibehörde prüft die Angaben.',
    'vb.driver.accepted': 'Angenommen: die Punkte gehen an den angegebenen Fahrer.',
    'vb.driver.rejected': 'Nicht angenommen: senden Sie eine korrigierte Mitteilung.',
    'vb.driver.not_named': 'Die Frist ist ohne Mitteilung abgelaufen.',
    'vb.f.name': 'Nachname und Vorname des Fahrers',
    'vb.f.fiscalCode': 'Steuernummer des Fahrers',
    'vb.f.birthDate': 'Geburtsdatum',
    'vb.f.address': 'Wohnsitz (Straße, Nummer, PLZ, Ort)',
    'vb.f.country': 'Wohnsitzland (Kürzel, z. B. DE)',
    'vb.f.licenceNumber': 'Führerscheinnummer',
    'vb.f.licenceCategory': 'Führerscheinklasse',
    'vb.f.declaredBy': 'Wer unterschreibt (Halter oder gesetzlicher Vertreter)',
    'vb.f.ownerCode': 'Steuernummer oder USt-IdNr. des Halters',
    'vb.f.ownerCode.hint': 'Wie im Protokoll angegeben: so zeigen Sie, dass Sie der Halter sind.',
    'vb.f.declaration': 'Ich erkläre in eigener Verantwortung, dass diese Angaben wahr sind.',
    'vb.f.submit': 'Senden',
    'vb.f.mismatch': 'Diese Steuernummer oder USt-IdNr. ist nicht die des Halters im Protokoll.',
    'vb.f.invalid': 'Prüfen Sie die markierten Felder.',
    'vb.f.offline': 'Der Dienst ist nicht erreichbar. Versuchen Sie es erneut.',
    'vb.texts': 'Informationen in anderen Sprachen',
  },
  fr: {
    'vb.title': 'Délais du procès-verbal',
    'vb.perfects': 'La notification prend effet le {date} : à partir de ce jour, les montants comprennent les frais de notification et les délais repartent.',
    'vb.void': 'Ce procès-verbal n\'a pas été notifié à temps : il ne peut pas être payé tant que la police n\'a pas décidé.',
    'vb.prefetto': 'Recours auprès du préfet (Prefetto) jusqu\'au',
    'vb.gdp': 'Recours auprès du juge de paix (Giudice di Pace) jusqu\'au',
    'vb.appeal': 'Payer, c\'est renoncer au recours.',
    'vb.driver': 'Désigner le conducteur',
    'vb.driver.lead': 'Le conducteur n\'a pas été identifié : le propriétaire doit communiquer ses données et son permis avant le {date} (art. 126-bis), faute de quoi une autre amende s\'applique. Cette infraction retire {points} points.',
    'vb.driver.open': 'Remplir le formulaire',
    'vb.driver.submitted': 'Reçu : la police vérifie les données.',
    'vb.driver.accepted': 'Accepté : les points sont retirés au conducteur désigné.',
    'vb.driver.rejected': 'Non accepté : envoyez une communication corrigée.',
    'vb.driver.not_named': 'Le délai est passé sans désignation.',
    'vb.f.name': 'Nom et prénom du conducteur',
    'vb.f.fiscalCode': 'Code fiscal du conducteur',
    'vb.f.birthDate': 'Date de naissance',
    'vb.f.address': 'Résidence (rue, numéro, code postal, commune)',
    'vb.f.country': 'Pays de résidence (code, ex. FR)',
    'vb.f.licenceNumber': 'Numéro du permis',
    'vb.f.licenceCategory': 'Catégorie du permis',
    'vb.f.declaredBy': 'Qui signe (propriétaire ou représentant légal)',
    'vb.f.ownerCode': 'Code fiscal ou numéro de TVA du propriétaire',
    'vb.f.ownerCode.hint': 'Tel qu\'écrit sur le procès-verbal : il montre que vous êtes le propriétaire.',
    'vb.f.declaration': 'Je déclare sous ma responsabilité que ces données sont exactes.',
    'vb.f.submit': 'Envoyer',
    'vb.f.mismatch': 'Ce code fiscal ou ce numéro de TVA n\'est pas celui du propriétaire indiqué sur le procès-verbal.',
    'vb.f.invalid': 'Vérifiez les champs signalés.',
    'vb.f.offline': 'Le service est injoignable. Réessayez.',
    'vb.texts': 'Informations dans d\'autres langues',
  },
});

const LANGS = { en: 'English', de: 'Deutsch', fr: 'Français' };
const CATEGORIES = ['AM', 'A1', 'A2', 'A', 'B1', 'B', 'BE', 'C1', 'C1E', 'C', 'CE', 'D1', 'D1E', 'D', 'DE'];

/** Renders the verbale's part of the checkout of notice n into el. */
export function render(el, n, nav) {
  const parts = [];
  if (n.void) parts.push(note('warn', t('vb.void')));
  if (n.perfectsOn) parts.push(note('info', t('vb.perfects', { date: day(n.perfectsOn, true) })));
  if (n.terms && n.status !== 'paid') {
    parts.push(h('dl', { class: 'facts', id: 'verbale-terms' },
      h('dt', { text: t('vb.prefetto') }), h('dd', { text: day(n.terms.prefetto, true) }),
      h('dt', { text: t('vb.gdp') }), h('dd', { text: day(n.terms.giudiceDiPace, true) })),
    h('p', { class: 'hint', text: t('vb.appeal') }));
  }
  if (parts.length) el.append(h('div', { class: 'card stack', id: 'verbale-card' }, h('h2', { text: t('vb.title') }), parts));
  if (n.nameDriver) el.append(driverCard(n, nav));
  if (n.fixedTexts) {
    el.append(h('div', { class: 'card stack', id: 'verbale-texts' }, h('h2', { text: t('vb.texts') }),
      Object.keys(LANGS).filter((l) => n.fixedTexts[l]).map((l) => h('details', { lang: l },
        h('summary', { class: 'btn btn-ghost', text: LANGS[l] }),
        n.fixedTexts[l].map((s) => h('p', { text: s }))))));
  }
}

function driverCard(n, nav) {
  const nd = n.nameDriver;
  const card = h('div', { class: 'card stack', id: 'name-driver', 'data-status': nd.status || '' },
    h('h2', { text: t('vb.driver') }));
  const msg = h('div', { id: 'name-driver-status', 'aria-live': 'polite' });
  if (nd.status && nd.status !== 'rejected') {
    card.append(note(nd.status === 'accepted' ? 'ok' : 'info', t('vb.driver.' + nd.status)));
    return card;
  }
  card.append(h('p', { text: t('vb.driver.lead', { date: day(nd.until, true), points: nd.points }) }));
  if (nd.status === 'rejected') card.append(note('warn', t('vb.driver.rejected')));
  const open = h('button', { type: 'button', class: 'btn btn-secondary', id: 'name-driver-open', text: t('vb.driver.open') });
  open.addEventListener('click', () => { open.replaceWith(form(nav, card, msg)); card.querySelector('input').focus(); });
  card.append(open, msg);
  return card;
}

function form(nav, card, msg) {
  const input = (id, type, extra) => h('input', { id: 'nd-' + id, name: id, type, class: 'input', autocomplete: 'off', ...extra });
  const fields = {
    name: input('name', 'text', { required: true, maxlength: '120' }),
    fiscalCode: input('fiscalCode', 'text', { maxlength: '16', autocapitalize: 'characters' }),
    birthDate: input('birthDate', 'date', {}),
    address: input('address', 'text', { required: true, maxlength: '200' }),
    country: input('country', 'text', { maxlength: '2', value: 'IT', autocapitalize: 'characters' }),
    licenceNumber: input('licenceNumber', 'text', { required: true, maxlength: '20', autocapitalize: 'characters' }),
    licenceCategory: h('select', { id: 'nd-licenceCategory', name: 'licenceCategory', class: 'input' },
      CATEGORIES.map((c) => h('option', { value: c, text: c, selected: c === 'B' }))),
    declaredBy: input('declaredBy', 'text', { required: true, maxlength: '120' }),
    ownerCode: input('ownerCode', 'text', { required: true, maxlength: '16', autocapitalize: 'characters', 'aria-describedby': 'nd-ownerCode-hint' }),
  };
  const decl = h('input', { type: 'checkbox', id: 'nd-declaration', name: 'declaration' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'nd-submit', text: t('vb.f.submit') });
  const f = h('form', { id: 'name-driver-form', class: 'stack', novalidate: true },
    Object.entries(fields).map(([k, el]) => h('div', { class: 'field' },
      h('label', { for: el.id, text: t('vb.f.' + k) }),
      k === 'ownerCode' ? h('p', { class: 'hint', id: 'nd-ownerCode-hint', text: t('vb.f.ownerCode.hint') }) : null,
      el)),
    h('label', { class: 'check' }, decl, h('span', { text: t('vb.f.declaration') })),
    submit);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of Object.values(fields)) el.removeAttribute('aria-invalid');
    const v = (k) => fields[k].value.trim();
    const body = {
      driver: {
        name: v('name'), fiscalCode: v('fiscalCode').toUpperCase() || undefined, birthDate: v('birthDate') || undefined,
        address: v('address'), country: v('country').toUpperCase() === 'IT' ? undefined : v('country').toUpperCase() || undefined,
        licenceNumber: v('licenceNumber').toUpperCase(), licenceCategory: v('licenceCategory'),
      },
      declaredBy: v('declaredBy'), ownerCode: v('ownerCode'), declaration: decl.checked,
    };
    submit.disabled = true;
    let res;
    try { res = await call('POST', `/api/v1/notices/${nav}/driver`, { json: body }); } catch (err) {
      submit.disabled = false;
      msg.replaceChildren(note('error', t(err instanceof NetworkError ? 'vb.f.offline' : 'error')));
      return;
    }
    submit.disabled = false;
    if (res.ok) {
      card.dataset.status = 'submitted';
      card.replaceChildren(h('h2', { text: t('vb.driver') }), note('ok', t('vb.driver.submitted')));
      return;
    }
    const d = res.data || {};
    if (d.code === 'owner_mismatch') { fields.ownerCode.setAttribute('aria-invalid', 'true'); msg.replaceChildren(note('error', t('vb.f.mismatch'))); return; }
    for (const fe of d.errors || []) {
      const key = String(fe.field || '').replace(/^driver\./, '');
      if (fields[key]) fields[key].setAttribute('aria-invalid', 'true');
    }
    msg.replaceChildren(note('error', d.errors ? t('vb.f.invalid') : (d.detail || t('error'))));
  });
  return h('div', { class: 'stack' }, f, msg);
}
