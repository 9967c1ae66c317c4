// Tiny i18n: Italian and English strings (German and French for the
// driver app, from their own modules), the chosen language (from
// localStorage, else navigator.language), and locale-aware formatting of
// money, dates and times (always in Europe/Rome, where fines happen).
import de from '{{/assets/i18n-de.js}}';
import fr from '{{/assets/i18n-fr.js}}';

const KEY = 'multa.lang';
const ZONE = 'Europe/Rome';

// Wording. Drivers read these screens while worried about money, so the
// amount stages keep the official terms of the Codice della strada
// (arts. 202-203: "scontato del 30%", "ridotto", the later amount) and add
// what they mean in plain words and the deadline ("entro 60 giorni"), so
// that "Importo ridotto" right after "scontato del 30%" cannot be read as a
// second discount. English says the same plainly, not word for word.
const dict = {
  it: {
    'app.title': 'Multa — paga le multe',
    'skip': 'Vai al contenuto',
    'lang.switch': 'English',
    'lang.switch.label': 'Switch to English',
    'home': 'Inizio',
    'home.title': 'Paga una multa in un tocco',
    'home.lead': 'Inquadra il codice QR sull\'avviso, controlla l\'importo di oggi e paga con la carta.',
    'home.scan': 'Inquadra il codice',
    'home.scan.sub': 'Punta la fotocamera sul QR dell\'avviso',
    'home.type': 'Scrivi il codice avviso',
    'home.type.sub': '18 cifre, le trovi sull\'avviso',
    'home.receipts': 'Le mie ricevute',
    'home.receipts.sub': 'Disponibili anche offline',
    'home.plate': 'I miei verbali',
    'home.plate.sub': 'Tutti i verbali di una targa, pagati insieme',
    'back': 'Indietro',
    'loading': 'Caricamento…',
    'retry': 'Riprova',
    'offline': 'Non riusciamo a raggiungere il servizio. Controlla la connessione e riprova.',
    'rate': 'Troppe richieste in poco tempo. Attendi qualche secondo e riprova.',
    'error': 'Qualcosa non ha funzionato. Riprova tra poco.',
    'update.text': 'È disponibile una nuova versione.',
    'update.btn': 'Ricarica',
    'net.offline': 'Sei offline. Le ricevute salvate restano disponibili; per pagare serve la connessione.',
    'net.online': 'Sei di nuovo online.',
    'scan.title': 'Inquadra il codice',
    'scan.hint': 'Inquadra il codice QR dell\'avviso di pagamento.',
    'scan.starting': 'Avvio della fotocamera…',
    'scan.looking': 'Cerco il codice QR…',
    'scan.found': 'Codice trovato.',
    'scan.denied': 'Non hai concesso l\'accesso alla fotocamera. Puoi scrivere il codice avviso o caricare una foto.',
    'scan.nocamera': 'Fotocamera non disponibile su questo dispositivo. Puoi scrivere il codice avviso o caricare una foto.',
    'scan.foreign': 'Questo QR non è un avviso pagoPA. Inquadra il QR dell\'avviso.',
    'scan.upload': 'Carica una foto del QR',
    'scan.uploading': 'Leggo la foto…',
    'scan.nocode': 'Nella foto non c\'è un codice QR leggibile. Riprova più vicino e con più luce.',
    'scan.slow': 'Troppe letture: rallento per qualche secondo…',
    'scan.video': 'Anteprima della fotocamera',
    'scan.type': 'Scrivi il codice a mano',
    'enter.title': 'Codice avviso',
    'enter.label': 'Codice avviso (18 cifre)',
    'enter.hint': 'Lo trovi sull\'avviso, sotto al QR. Spazi e trattini vanno bene.',
    'enter.submit': 'Continua',
    'enter.digits': 'Il codice avviso contiene solo cifre.',
    'enter.length': 'Il codice avviso ha 18 cifre: ne hai scritte {n}.',
    'enter.check': 'Questo codice non sembra giusto: controlla le cifre.',
    'co.title': 'Avviso di pagamento',
    'co.notfound': 'Avviso non trovato. Controlla il codice avviso.',
    'co.invalid': 'Questo codice avviso non è valido.',
    'co.cancelled': 'Questa multa è stata annullata: non c\'è nulla da pagare.',
    'co.creditor': 'Ente',
    'co.violation': 'Violazione',
    'co.place': 'Luogo',
    'co.when': 'Data e ora',
    'co.plate': 'Targa',
    'co.notice': 'Codice avviso',
    'co.due': 'Da pagare oggi',
    'co.sanction': 'Sanzione',
    'co.fees': 'Spese di notifica',
    'co.until': '{amount} fino a {date}, poi {next}',
    'co.untilLast': '{amount} fino a {date}',
    'co.stage.reduced': 'Importo scontato del 30%, entro 5 giorni',
    'co.stage.minimum': 'Importo ridotto (minimo), entro 60 giorni',
    'co.stage.increased': 'Importo dopo 60 giorni (metà del massimo)',
    'co.stage.reduced.last': 'Importo scontato del 30%, ultimo giorno oggi',
    'co.stage.minimum.last': 'Importo ridotto (minimo), ultimo giorno oggi',
    'co.calendar': 'Aggiungi le scadenze al calendario',
    'pay.btn': 'Paga {amount}',
    'pay.with': 'Paga {amount} con {brand} ••{last4}',
    'pay.other': 'Usa un\'altra carta',
    'pay.saved': 'Paga con {brand} ••{last4}',
    'pay.paying': 'Pagamento in corso… non chiudere l\'app.',
    'pay.offline': 'Sei offline: nessun addebito. Ricollegati e riprova.',
    'pay.secure': 'I dati della carta vanno solo al prestatore di servizi di pagamento.',
    'pay.declined': 'Carta rifiutata: nessun addebito. Paga con un\'altra carta.',
    'pay.insufficient': 'Fondi insufficienti su questa carta: nessun addebito. Paga con un\'altra carta.',
    'pay.forget': 'Dimentica {brand} ••{last4}',
    'pay.forget.confirm': 'Dimenticare la carta {brand} ••{last4} su questo telefono? Per pagare di nuovo con essa dovrai riscriverne i dati.',
    'pay.forgotten': 'Carta dimenticata su questo telefono.',
    'pay.changed': 'L\'importo è cambiato: ora sono {amount}.',
    'pay.already': 'Questo avviso risulta già pagato. Ecco la ricevuta.',
    'pay.alreadyOther': 'Questo avviso risulta già pagato. La ricevuta è di chi ha pagato: la trova nel link ricevuto al pagamento.',
    'pay.paidOn': 'Pagato il {date}.',
    'pay.cancelled': 'Questa multa è stata annullata: nessun addebito.',
    'pay.unconfirmed': 'Non siamo riusciti a confermare il pagamento.',
    'pay.unconfirmed.sub': 'Puoi controllare di nuovo senza rischi: non pagherai due volte.',
    'pay.check': 'Controlla di nuovo',
    'pay.wait': 'Troppe richieste: attendi {s} secondi e riprova.',
    'pay.failed': 'Il pagamento non è riuscito. Riprova.',
    'card.legend': 'Carta di pagamento',
    'card.number': 'Numero della carta',
    'card.exp': 'Scadenza (MM/AA)',
    'card.cvc': 'Codice di sicurezza (CVC)',
    'card.name': 'Intestatario',
    'card.remember': 'Ricorda questa carta su questo telefono',
    'card.bad.number': 'Controlla il numero della carta.',
    'card.bad.exp': 'Scrivi una scadenza valida, ad esempio 08/29.',
    'card.bad.cvc': 'Il CVC ha 3 o 4 cifre.',
    'card.psp': 'Il prestatore di servizi di pagamento non ha accettato la carta: controlla i dati.',
    'card.pspdown': 'Non riusciamo a raggiungere il prestatore di servizi di pagamento. Nessun addebito: riprova.',
    'rc.title': 'Pagamento riuscito',
    'rc.amount': 'Importo pagato',
    'rc.notice': 'Codice avviso',
    'rc.creditor': 'Ente',
    'rc.paidAt': 'Pagato il',
    'rc.tx': 'ID transazione',
    'rc.id': 'ID ricevuta',
    'rc.card': 'Carta',
    'rc.pdf': 'Scarica il PDF',
    'rc.share': 'Condividi',
    'rc.copied': 'Link copiato.',
    'rc.offline': 'Sei offline: il PDF e la condivisione tornano disponibili quando sei di nuovo online.',
    'rc.link': 'Link alla ricevuta',
    'rc.shareTitle': 'Ricevuta di pagamento Multa',
    'rc.notfound': 'Ricevuta non trovata.',
    'rc.list': 'Le mie ricevute',
    'rc.empty': 'Nessuna ricevuta su questo telefono. Le ricevute dei pagamenti fatti qui compaiono in questa lista, anche offline.',
    'rc.home': 'Torna all\'inizio',
    'rc.channel': 'Pagato con',
    'via.checkout': 'Multa, con carta',
    'via.pagopa': 'pagoPA · {psp}',
    'via.pagopaChannel': 'pagoPA · {psp} ({channel})',
    'co.elsewhere': 'Puoi pagare questo avviso anche in qualsiasi canale pagoPA: app della tua banca o home banking, app IO, uffici postali, tabaccherie, sportelli ATM. Servono il codice avviso {nav} e il codice fiscale dell\'ente {cf}. Paga una volta sola: un secondo pagamento viene rimborsato, non perso.',
  },
  en: {
    'app.title': 'Multa — pay your fines',
    'skip': 'Skip to content',
    'lang.switch': 'Italiano',
    'lang.switch.label': 'Passa all\'italiano',
    'home': 'Home',
    'home.title': 'Pay a fine in one tap',
    'home.lead': 'Scan the QR code on the notice, check what is due today and pay by card.',
    'home.scan': 'Scan the code',
    'home.scan.sub': 'Point the camera at the QR on the notice',
    'home.type': 'Type the notice number',
    'home.type.sub': '18 digits, printed on the notice',
    'home.receipts': 'My receipts',
    'home.receipts.sub': 'Available offline too',
    'home.plate': 'My fines',
    'home.plate.sub': 'Every fine of a plate, paid together',
    'back': 'Back',
    'loading': 'Loading…',
    'retry': 'Try again',
    'offline': 'We cannot reach the service. Check your connection and try again.',
    'rate': 'Too many requests in a short time. Wait a few seconds and try again.',
    'error': 'Something went wrong. Please try again shortly.',
    'update.text': 'A new version is available.',
    'update.btn': 'Reload',
    'net.offline': 'You are offline. Saved receipts are still here; paying needs a connection.',
    'net.online': 'You are back online.',
    'scan.title': 'Scan the code',
    'scan.hint': 'Point the camera at the QR code on the payment notice.',
    'scan.starting': 'Starting the camera…',
    'scan.looking': 'Looking for the QR code…',
    'scan.found': 'Code found.',
    'scan.denied': 'Camera access was refused. You can type the notice number or upload a photo.',
    'scan.nocamera': 'No camera is available on this device. You can type the notice number or upload a photo.',
    'scan.foreign': 'This QR code is not a pagoPA notice. Point at the QR on the notice.',
    'scan.upload': 'Upload a photo of the QR',
    'scan.uploading': 'Reading the photo…',
    'scan.nocode': 'No readable QR code in that photo. Try again closer and with more light.',
    'scan.slow': 'Too many scans: slowing down for a few seconds…',
    'scan.video': 'Camera preview',
    'scan.type': 'Type the number instead',
    'enter.title': 'Notice number',
    'enter.label': 'Notice number (18 digits)',
    'enter.hint': 'It is printed on the notice, under the QR code. Spaces and dashes are fine.',
    'enter.submit': 'Continue',
    'enter.digits': 'A notice number has digits only.',
    'enter.length': 'A notice number has 18 digits: you typed {n}.',
    'enter.check': 'This number does not look right: check the digits.',
    'co.title': 'Payment notice',
    'co.notfound': 'Notice not found. Check the notice number.',
    'co.invalid': 'This notice number is not valid.',
    'co.cancelled': 'This fine has been cancelled: there is nothing to pay.',
    'co.creditor': 'Issued by',
    'co.violation': 'Violation',
    'co.place': 'Place',
    'co.when': 'Date and time',
    'co.plate': 'Plate',
    'co.notice': 'Notice number',
    'co.due': 'Due today',
    'co.sanction': 'Penalty',
    'co.fees': 'Notification fees',
    'co.until': '{amount} until {date}, then {next}',
    'co.untilLast': '{amount} until {date}',
    'co.stage.reduced': '30% discount, within 5 days',
    'co.stage.minimum': 'Minimum amount, within 60 days',
    'co.stage.increased': 'After 60 days (half the maximum)',
    'co.stage.reduced.last': '30% discount, last day today',
    'co.stage.minimum.last': 'Minimum amount, last day today',
    'co.calendar': 'Add the deadlines to your calendar',
    'pay.btn': 'Pay {amount}',
    'pay.with': 'Pay {amount} with {brand} ••{last4}',
    'pay.other': 'Use another card',
    'pay.saved': 'Pay with {brand} ••{last4}',
    'pay.paying': 'Payment in progress… please keep the app open.',
    'pay.offline': 'You are offline: nothing was charged. Reconnect and try again.',
    'pay.secure': 'Card details go only to the payment provider.',
    'pay.declined': 'Card declined: nothing was charged. Pay with another card.',
    'pay.insufficient': 'Insufficient funds on this card: nothing was charged. Pay with another card.',
    'pay.forget': 'Forget {brand} ••{last4}',
    'pay.forget.confirm': 'Forget the card {brand} ••{last4} on this phone? To pay with it again you will type its details.',
    'pay.forgotten': 'Card forgotten on this phone.',
    'pay.changed': 'The amount has changed: it is now {amount}.',
    'pay.already': 'This notice was already paid. Here is the receipt.',
    'pay.alreadyOther': 'This notice was already paid. The receipt belongs to whoever paid: it is at the link they got when paying.',
    'pay.paidOn': 'Paid on {date}.',
    'pay.cancelled': 'This fine has been cancelled: nothing was charged.',
    'pay.unconfirmed': 'We could not confirm the payment.',
    'pay.unconfirmed.sub': 'Checking again is safe: you will not be charged twice.',
    'pay.check': 'Check again',
    'pay.wait': 'Too many requests: wait {s} seconds and try again.',
    'pay.failed': 'The payment did not go through. Please try again.',
    'card.legend': 'Payment card',
    'card.number': 'Card number',
    'card.exp': 'Expiry (MM/YY)',
    'card.cvc': 'Security code (CVC)',
    'card.name': 'Name on card',
    'card.remember': 'Remember this card on this phone',
    'card.bad.number': 'Check the card number.',
    'card.bad.exp': 'Enter a valid expiry date, for example 08/29.',
    'card.bad.cvc': 'The CVC has 3 or 4 digits.',
    'card.psp': 'The payment provider did not accept the card: check the details.',
    'card.pspdown': 'We cannot reach the payment provider. Nothing was charged: try again.',
    'rc.title': 'Payment complete',
    'rc.amount': 'Amount paid',
    'rc.notice': 'Notice number',
    'rc.creditor': 'Paid to',
    'rc.paidAt': 'Paid on',
    'rc.tx': 'Transaction ID',
    'rc.id': 'Receipt ID',
    'rc.card': 'Card',
    'rc.pdf': 'Download PDF',
    'rc.share': 'Share',
    'rc.copied': 'Link copied.',
    'rc.offline': 'You are offline: the PDF and sharing come back when you are online again.',
    'rc.link': 'Link to the receipt',
    'rc.shareTitle': 'Multa payment receipt',
    'rc.notfound': 'Receipt not found.',
    'rc.list': 'My receipts',
    'rc.empty': 'No receipts on this phone yet. Payments you make here show up in this list, offline too.',
    'rc.home': 'Back to home',
    'rc.channel': 'Paid with',
    'via.checkout': 'Multa, by card',
    'via.pagopa': 'pagoPA · {psp}',
    'via.pagopaChannel': 'pagoPA · {psp} ({channel})',
    'co.elsewhere': 'You can also pay this notice in any pagoPA channel: your bank\'s app or home banking, the IO app, post offices, tobacconists (tabaccherie), ATMs. You need the notice number {nav} and the creditor\'s fiscal code {cf}. Pay only once: a second payment is refunded, not lost.',
  },
  de,
  fr,
};

/** The languages a driver can choose, each named in itself. */
export const LANGUAGES = { it: 'Italiano', en: 'English', de: 'Deutsch', fr: 'Français' };
const LOCALES = { it: 'it-IT', en: 'en-GB', de: 'de-DE', fr: 'fr-FR' };

function pick() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved in LANGUAGES) return saved;
  } catch { /* storage unavailable */ }
  const nav = ((navigator.languages && navigator.languages[0]) || navigator.language || 'it').toLowerCase();
  const primary = nav.split('-')[0];
  return primary in LANGUAGES ? primary : 'it';
}

/** The current language: 'it', 'en', 'de' or 'fr'. */
export let lang = pick();
document.documentElement.lang = lang;

const locale = () => LOCALES[lang];

/** Returns the string for key in the current language, with {name} filled from vars. */
export function t(key, vars) {
  // Plurals: with vars.n === 1 a key's ".one" form wins when it exists
  // ("1 ricevuta", not "1 ricevute"); every other count takes the key.
  const one = vars && Number(vars.n) === 1 ? (dict[lang][key + '.one'] ?? (dict[lang][key] === undefined ? dict.en[key + '.one'] : undefined)) : undefined;
  let s = one ?? dict[lang][key] ?? dict.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Switches and remembers the language. */
export function setLang(l) {
  lang = l in LANGUAGES ? l : 'it';
  document.documentElement.lang = lang;
  try { localStorage.setItem(KEY, lang); } catch { /* ignore */ }
}

/** Adds strings (e.g. the office app's) to the dictionary. */
export function extend(more) {
  for (const l of Object.keys(more)) Object.assign(dict[l] || (dict[l] = {}), more[l]);
}

/** Fills every [data-i18n] element's text under root. */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

/**
 * How a payment was made, from a receipt or a payment reference: Multa's
 * checkout, or pagoPA with the PSP and its channel (bank, post office…).
 */
export function paidVia(p) {
  if (!p) return '';
  if (p.channel === 'pagopa') {
    const pp = p.pagopa || {};
    const psp = p.psp && typeof p.psp === 'string' ? p.psp : (pp.pspCompanyName || (p.psp && p.psp.name) || '');
    const channel = p.channelDescription || pp.channelDescription || '';
    return channel ? t('via.pagopaChannel', { psp, channel }) : t('via.pagopa', { psp });
  }
  return t('via.checkout');
}

/** Formats integer euro cents as money in the current locale. */
export function money(cents) {
  // useGrouping 'always': Italian leaves four-digit amounts ungrouped by
  // default (1234,00 €), where people write and expect 1.234,00 €.
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR', useGrouping: 'always' }).format((cents || 0) / 100);
}

/** Formats a YYYY-MM-DD calendar date, e.g. "Tue 2 Dec" / "mar 2 dic". */
export function day(ymd, long) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
  if (!m) return ymd || '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], 12));
  const opts = long ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
    : { weekday: 'short', day: 'numeric', month: 'short' };
  return new Intl.DateTimeFormat(locale(), { ...opts, timeZone: 'UTC' }).format(d).replace(/,/g, '');
}

/** Formats an RFC 3339 instant as date and time in Europe/Rome. */
export function dateTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return iso || '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', timeZone: ZONE,
  }).format(d);
}

// labelLangButton makes the language switch name the other language, in
// that language, for both apps.
export function labelLangButton(btn) {
  btn.textContent = t('lang.switch');
  btn.setAttribute('lang', lang === 'it' ? 'en' : 'it');
  btn.setAttribute('aria-label', t('lang.switch.label'));
}
