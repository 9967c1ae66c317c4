// Driver app entry: header, language switch, routes, home and "type the
// number" views, service worker.
import { t, lang, setLang, translate } from '{{/assets/i18n.js}}';
import { h, checkNAV, watchNetwork } from '{{/assets/util.js}}';
import { start, go, render } from '{{/assets/router.js}}';
import { checkoutView } from '{{/assets/checkout.js}}';
import { scanView } from '{{/assets/scan.js}}';
import { receiptView, receiptList } from '{{/assets/receipt.js}}';
import { registerSW } from '{{/assets/sw-client.js}}';

const icons = {
  scan: 'M4 8V5a1 1 0 0 1 1-1h3M16 4h3a1 1 0 0 1 1 1v3M20 16v3a1 1 0 0 1-1 1h-3M8 20H5a1 1 0 0 1-1-1v-3M7 12h10',
  type: 'M4 7h16M4 12h16M4 17h10',
  receipts: 'M6 3h12v18l-3-2-3 2-3-2-3 2zM9 8h6M9 12h6',
  plate: 'M3 7h18v10H3zM7 12h2M11 12h2M15 12h2',
};

function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', icons[name]);
  svg.append(p);
  return svg;
}

function action(id, href, ic, title, sub) {
  return h('a', { id, class: 'action', href, 'data-link': '' },
    icon(ic),
    h('span', { class: 'action-text' }, h('span', { class: 'action-title', text: title }), h('span', { class: 'action-sub', text: sub })));
}

function home(main) {
  main.append(h('section', { class: 'stack', id: 'home' },
    h('h1', { text: t('home.title') }),
    h('p', { class: 'lead', text: t('home.lead') }),
    h('nav', { class: 'actions-big', 'aria-label': t('home') },
      action('scan-btn', '/scan', 'scan', t('home.scan'), t('home.scan.sub')),
      action('type-btn', '/enter', 'type', t('home.type'), t('home.type.sub')),
      action('receipts-btn', '/receipts', 'receipts', t('home.receipts'), t('home.receipts.sub')),
      action('plate-btn', '/plate', 'plate', t('home.plate'), t('home.plate.sub')))));
}

function enter(main) {
  const err = h('p', { class: 'field-error', id: 'nav-error', hidden: true, role: 'alert' });
  const input = h('input', {
    id: 'nav-input', name: 'nav', class: 'input input-big mono', inputmode: 'numeric', autocomplete: 'off',
    spellcheck: 'false', placeholder: '3020 3200 2700 0002 51', maxlength: '30', 'aria-describedby': 'nav-hint nav-error',
  });
  const form = h('form', { id: 'nav-form', class: 'stack', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'nav-input', text: t('enter.label') }),
      h('p', { class: 'hint', id: 'nav-hint', text: t('enter.hint') }),
      input, err),
    h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'nav-submit', text: t('enter.submit') }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const c = checkNAV(input.value);
    if (c.nav) { go(`/p/${c.nav}`); return; }
    err.textContent = t('enter.' + c.error, { n: c.n });
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  });
  input.addEventListener('input', () => { err.hidden = true; input.removeAttribute('aria-invalid'); });
  main.append(h('section', { class: 'stack' }, h('h1', { text: t('enter.title') }), form));
  if (!matchMedia('(pointer: coarse)').matches) input.focus();
}

function notFound(main) {
  main.append(h('h1', { text: t('co.title') }), h('p', {}, h('a', { href: '/', 'data-link': '', text: t('rc.home') })));
}

function chrome() {
  translate();
  document.title = t('app.title');
  document.getElementById('lang-select').value = lang;
}

// Drivers from abroad read their fine in English, German or French; the
// choice is remembered on the phone.
document.getElementById('lang-select').addEventListener('change', (e) => {
  setLang(e.target.value);
  chrome();
  render();
});

chrome();
watchNetwork(t);
start(document.getElementById('main'), [
  [/^\/$/, home],
  [/^\/scan\/?$/, scanView],
  [/^\/enter\/?$/, enter],
  [/^\/receipts\/?$/, receiptList],
  [/^\/receipts\/([^/]+)$/, receiptView],
  [/^\/p\/([^/]+)\/?$/, checkoutView],
  [/^\/plate\/?$/, (main) => { import('{{/assets/plates.js}}').then((m) => { if (location.pathname.startsWith('/plate')) m.platesView(main); }); }],
], notFound);
registerSW();
