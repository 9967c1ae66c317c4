// Office app: sign in (access token in memory only, refresh cookie for
// reloads), issue a fine in under a minute, show its notice with QR codes,
// list and search fines, record notifications, cancel (supervisors).
import { t, lang, setLang, translate, extend, money, day, dateTime, labelLangButton, paidVia } from '{{/assets/i18n.js}}';
import strings from '{{/assets/office-i18n.js}}';
import workStrings from '{{/assets/office-i18n-work.js}}';
import driverStrings from '{{/assets/office-i18n-driver.js}}';
import { h, note, formatNAV, uuid, announce, watchNetwork } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';
import { registerSW } from '{{/assets/sw-client.js}}';
import { cameraField } from '{{/assets/office-camera.js}}';

extend(strings);
extend(workStrings);
extend(driverStrings);

const main = document.getElementById('main');
const tabsEl = document.getElementById('tabs');
const who = document.getElementById('whoami');
const logoutBtn = document.getElementById('logout-btn');

// ---- session: the access token lives in this variable only ----
let session = null; // {token, expiresAt (ms), user: {username, role}}
let refreshing = null;
let refreshTimer = 0;

function claims(jwt) {
  try {
    const b = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(b))));
  } catch { return {}; }
}

function setSession(d) {
  const c = claims(d.accessToken);
  const user = d.user || (session && session.user) || { username: c.sub || '', role: c.role || '' };
  const exp = Date.parse(d.expiresAt) || (c.exp ? c.exp * 1000 : Date.now() + 10 * 60e3);
  session = { token: d.accessToken, expiresAt: exp, user };
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { refresh(); }, Math.max(10e3, exp - Date.now() - 60e3));
}

/** Gets a new access token with the refresh cookie; resolves true on success. */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await call('POST', '/api/v1/auth/refresh', { timeout: 10000 });
        if (res.ok && res.data && res.data.accessToken) { setSession(res.data); return true; }
        return false;
      } catch { return null; } // offline: unknown
      finally { refreshing = null; }
    })();
  }
  return refreshing;
}

/** Calls the API as the signed-in user, refreshing the token when needed. */
async function api(method, url, opts = {}) {
  if (!session) throw new NetworkError('signed out');
  if (session.expiresAt - Date.now() < 30e3) await refresh();
  let res = await call(method, url, { ...opts, token: session.token });
  if (res.status === 401) {
    const ok = await refresh();
    if (ok) res = await call(method, url, { ...opts, token: session.token });
    else if (ok === false) { signedOut(t('off.expired')); }
  }
  return res;
}

const role = () => (session && session.user && session.user.role) || '';
const canIssue = () => role() === 'officer' || role() === 'supervisor';
const canCancel = () => role() === 'supervisor' || role() === 'admin';
const isFinance = () => role() === 'finance' || role() === 'admin';
const isAdmin = () => role() === 'admin';
const canImport = () => role() === 'supervisor' || role() === 'admin';

function signedOut(msg) {
  session = null;
  clearTimeout(refreshTimer);
  if (stopCamera) { stopCamera(); stopCamera = null; }
  closeNotice();
  showLogin(msg);
}

// ---- chrome ----
function chrome() {
  translate();
  document.title = t('off.title');
  labelLangButton(document.getElementById('lang-btn'));
  logoutBtn.textContent = t('off.logout');
  logoutBtn.hidden = !session;
  who.textContent = session ? t('off.role.line', { u: session.user.username, r: t('off.role.' + session.user.role) }) : '';
  who.hidden = !session;
}

document.getElementById('lang-btn').addEventListener('click', () => {
  setLang(lang === 'it' ? 'en' : 'it');
  chrome();
  if (session) showTab(currentTab); else showLogin();
});

logoutBtn.addEventListener('click', async () => {
  try { await call('POST', '/api/v1/auth/logout', { token: session && session.token, timeout: 8000 }); } catch { /* the cookie expires anyway */ }
  signedOut();
});

// ---- login ----
function showLogin(msg) {
  chrome();
  tabsEl.hidden = true;
  const err = h('div', { id: 'login-error', 'aria-live': 'assertive' }, msg ? note('warn', msg) : null);
  const user = h('input', { id: 'login-username', name: 'username', class: 'input', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', class: 'input', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', id: 'login-submit', class: 'btn btn-primary btn-big', text: t('off.signin') });
  const form = h('form', { id: 'login-form', class: 'card stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'login-username', text: t('off.username') }), user),
    h('div', { class: 'field' }, h('label', { for: 'login-password', text: t('off.password') }), pass),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value.trim() || !pass.value) { err.replaceChildren(note('error', t('off.badlogin'))); (user.value.trim() ? pass : user).focus(); return; }
    submit.disabled = true;
    let res;
    try {
      res = await call('POST', '/api/v1/auth/login', { json: { username: user.value.trim(), password: pass.value } });
    } catch {
      submit.disabled = false;
      err.replaceChildren(note('error', t('offline')));
      return;
    }
    submit.disabled = false;
    if (res.ok && res.data && res.data.accessToken) {
      setSession(res.data);
      start();
      return;
    }
    pass.value = '';
    err.replaceChildren(note('error', t(res.status === 429 ? 'rate' : (res.status === 401 || res.status === 400 || res.status === 422) ? 'off.badlogin' : 'error')));
    pass.focus();
  });
  main.replaceChildren(h('section', { class: 'stack', id: 'login' },
    h('h1', { text: t('off.login') }), h('p', { class: 'lead', text: t('off.login.lead') }), err, form));
  user.focus();
}

// ---- tabs ----
let currentTab = '';
let stopCamera = null; // releases the issue form's camera, if open
function tabs() {
  const list = [];
  if (canIssue()) list.push('issue');
  list.push('fines');
  if (canIssue() || canCancel()) list.push('verbale');
  if (canImport()) list.push('import');
  if (canIssue() || canCancel()) list.push('reviews');
  if (isFinance()) list.push('dashboard');
  // Like the dashboard, the Users tab is not rendered at all for other
  // roles (not merely hidden): the button never exists in their DOM.
  if (isAdmin()) list.push('users');
  return list;
}

// Each role lands where it works: officers on a new fine, supervisors on
// the list they check, finance on its dashboard, admins on the accounts.
const landing = { officer: 'issue', supervisor: 'fines', finance: 'dashboard', admin: 'users' };

function start() {
  chrome();
  showTab(landing[role()] || tabs()[0]);
}

function showTab(name) {
  if (!tabs().includes(name)) name = tabs()[0];
  currentTab = name;
  tabsEl.hidden = false;
  tabsEl.replaceChildren(...tabs().map((n) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: 'tab-' + n, 'aria-selected': String(n === name),
    'aria-controls': 'main', text: t('off.tab.' + n), tabIndex: n === name ? 0 : -1,
    on: { click: () => showTab(n) },
  })));
  if (stopCamera) { stopCamera(); stopCamera = null; } // the camera's light goes off with its tab
  main.replaceChildren();
  if (name === 'issue') issueView();
  else if (name === 'fines') finesView();
  else if (name === 'users') usersView();
  else if (name === 'verbale') verbaleTab();
  else if (name === 'import') importView();
  else if (name === 'reviews') reviewsView();
  else dashboardView();
}

tabsEl.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
  const list = tabs();
  const i = list.indexOf(currentTab) + (e.key === 'ArrowRight' ? 1 : -1);
  const next = list[(i + list.length) % list.length];
  showTab(next);
  document.getElementById('tab-' + next).focus();
});

// ---- issue ----
let catalogue = null;
async function loadCatalogue() {
  if (catalogue) return catalogue;
  const res = await call('GET', '/api/v1/violations');
  if (res.ok && Array.isArray(res.data)) catalogue = res.data;
  return catalogue || [];
}
const vdesc = (v) => (lang === 'it' && v.descriptionIt) || v.description;

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function field(id, label, input, hint) {
  const err = h('p', { class: 'field-error', id: id + '-error', hidden: true });
  input.setAttribute('aria-describedby', [hint ? id + '-hint' : '', id + '-error'].join(' ').trim());
  return {
    err, input,
    el: h('div', { class: 'field' }, h('label', { for: id, text: label }), hint ? h('p', { class: 'hint', id: id + '-hint', text: hint }) : null, input, err),
    bad(msg) { input.setAttribute('aria-invalid', 'true'); err.textContent = msg; err.hidden = false; },
    ok() { input.removeAttribute('aria-invalid'); err.hidden = true; },
  };
}

/** Lower-cases s and strips its accents, for searching as people type. */
const fold = (s) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

/** An accessible combobox over the violation catalogue. */
function violationPicker(onPick) {
  const input = h('input', {
    id: 'fine-violation', name: 'violation', class: 'input', role: 'combobox', autocomplete: 'off',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'fine-violation-list', spellcheck: 'false',
  });
  const list = h('ul', { id: 'fine-violation-list', role: 'listbox', class: 'listbox', hidden: true, 'aria-label': t('off.violation') });
  const chosen = h('p', { class: 'chosen', id: 'fine-violation-chosen', 'aria-live': 'polite' });
  let items = [], active = -1, picked = null;
  const label = (v) => `${v.code} · ${v.article} — ${vdesc(v)}`;
  const open = (on) => { list.hidden = !on; input.setAttribute('aria-expanded', String(on)); if (!on) input.removeAttribute('aria-activedescendant'); };
  const mark = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0 && list.children[i]) {
      input.setAttribute('aria-activedescendant', list.children[i].id);
      list.children[i].scrollIntoView({ block: 'nearest' });
    }
  };
  const pick = (v) => {
    picked = v;
    input.value = label(v);
    input.dataset.code = v.code;
    chosen.textContent = t('off.chosen', { v: `${v.article} (${money(v.minCents)}–${money(v.maxCents)})` });
    open(false);
    onPick(v);
  };
  const filter = async () => {
    const all = await loadCatalogue();
    if (document.activeElement !== input) return;
    // Accents and case do not matter: "velocita" finds "velocità".
    const q = fold(input.value.trim());
    items = all.filter((v) => !q || [v.code, v.article, v.description, v.descriptionIt || ''].some((s) => fold(s).includes(q)));
    list.replaceChildren(...(items.length ? items.map((v, i) => h('li', {
      id: 'violation-opt-' + i, role: 'option', 'aria-selected': 'false', 'data-code': v.code,
      on: { mousedown: (e) => e.preventDefault(), click: () => pick(v) },
    }, h('span', { class: 'code', text: v.code }), `${v.article} — ${vdesc(v)}`)) : [h('li', { role: 'option', 'aria-disabled': 'true', text: t('off.violation.none') })]));
    open(true);
    mark(items.length === 1 ? 0 : -1);
  };
  input.addEventListener('input', () => { picked = null; delete input.dataset.code; chosen.textContent = ''; onPick(null); filter(); });
  input.addEventListener('focus', () => { if (!picked) filter(); });
  input.addEventListener('blur', () => {
    setTimeout(() => {
      open(false);
      if (!picked) { // an exact code typed counts as a choice
        const q = input.value.trim().toLowerCase();
        const v = (catalogue || []).find((x) => x.code.toLowerCase() === q);
        if (v) pick(v);
      }
    }, 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) { filter(); return; }
      const n = items.length;
      if (!n) return;
      mark(e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n);
    } else if (e.key === 'Enter' && !list.hidden) {
      const v = items[active] || (items.length === 1 ? items[0] : (catalogue || []).find((x) => x.code.toLowerCase() === input.value.trim().toLowerCase()));
      if (v) { e.preventDefault(); pick(v); }
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault(); open(false);
    }
  });
  return { input, list, chosen, get value() { return picked; } };
}

function issueView() {
  let key = null, keyBody = '';
  let coords = null;
  const msg = h('div', { id: 'fine-status', 'aria-live': 'polite' });
  const plate = field('fine-plate', t('off.plate'), h('input', { id: 'fine-plate', name: 'plate', class: 'input input-big mono', autocapitalize: 'characters', autocomplete: 'off', spellcheck: 'false', maxlength: '12' }));
  plate.input.addEventListener('input', () => {
    const i = plate.input;
    const up = i.value.toUpperCase().replace(/\s+/g, '');
    if (up !== i.value) { const pos = i.selectionStart; i.value = up; try { i.setSelectionRange(pos, pos); } catch { /* ignore */ } }
  });
  const picker = violationPicker(() => {});
  const viol = field('fine-violation', t('off.violation'), picker.input, t('off.violation.hint'));
  viol.el.append(picker.list, picker.chosen);
  const place = field('fine-place', t('off.place'), h('input', { id: 'fine-place', name: 'place', class: 'input', autocomplete: 'street-address' }));
  const coordsOut = h('output', { id: 'fine-coords', class: 'mono muted', for: 'fine-locate', hidden: true });
  const locMsg = h('p', { class: 'hint', id: 'fine-locate-status', 'aria-live': 'polite' });
  const locate = h('button', { type: 'button', class: 'btn btn-secondary', id: 'fine-locate', text: t('off.locate') });
  locate.addEventListener('click', () => {
    if (!navigator.geolocation) { locMsg.textContent = t('off.nolocation'); return; }
    locMsg.textContent = t('off.locating');
    navigator.geolocation.getCurrentPosition((p) => {
      // The coordinates go with the fine in their own fields; the place
      // stays a street address the officer types (no reverse geocoding
      // offline, and raw coordinates mean nothing on a notice).
      coords = { lat: +p.coords.latitude.toFixed(6), lon: +p.coords.longitude.toFixed(6) };
      coordsOut.value = t('off.coords', { c: `${coords.lat.toFixed(5)}, ${coords.lon.toFixed(5)}` });
      coordsOut.hidden = false;
      locMsg.textContent = t('off.located', { m: Math.round(p.coords.accuracy || 0) }) + ' ' + t('off.locate.coords');
      if (!place.input.value.trim()) place.input.focus();
    }, () => { locMsg.textContent = t('off.nolocation'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  place.el.append(locate, coordsOut, locMsg);
  const when = field('fine-time', t('off.time'), h('input', { id: 'fine-time', name: 'occurredAt', type: 'datetime-local', class: 'input', value: localNow(), max: localNow() }));
  // Each radio sits inside its label: the whole 44 px row is the touch target.
  const radio = (val, label, checked) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'contestation', id: 'fine-contest-' + val, value: val, checked }),
    h('span', { text: label }));
  const contest = h('fieldset', { class: 'field' }, h('legend', { class: 'lbl', text: t('off.contest') }),
    h('div', { class: 'radios' }, radio('immediate', t('off.immediate'), true), radio('deferred', t('off.deferred'), false)));
  // Evidence photos (issue 14): the phone's camera, uploaded once the fine exists.
  const photos = field('fine-photos', t('off.photos.files'), h('input', { id: 'fine-photos', name: 'photos', type: 'file', accept: 'image/*', multiple: true, class: 'input' }));
  const camera = cameraField();
  stopCamera = camera.stop;
  const submit = h('button', { type: 'submit', id: 'fine-submit', class: 'btn btn-primary btn-big', text: t('off.submit') });
  const form = h('form', { id: 'fine-form', class: 'card stack', novalidate: true }, plate.el, viol.el, place.el, when.el, contest, camera.el, photos.el, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const f of [plate, viol, place, when]) f.ok();
    msg.replaceChildren();
    const errs = [];
    if (!plate.input.value.trim()) { plate.bad(t('off.required')); errs.push(plate); }
    if (!picker.value) { viol.bad(t('off.violation.pick')); errs.push(viol); }
    if (!place.input.value.trim()) { place.bad(t('off.required')); errs.push(place); }
    const at = new Date(when.input.value);
    if (!when.input.value || isNaN(at)) { when.bad(t('off.required')); errs.push(when); }
    if (errs.length) { errs[0].input.focus(); return; }
    const body = {
      plate: plate.input.value.trim().toUpperCase(),
      violationCode: picker.value.code,
      occurredAt: at.toISOString(),
      place: place.input.value.trim(),
      contestation: form.querySelector('input[name=contestation]:checked').value,
    };
    if (coords) { body.lat = coords.lat; body.lon = coords.lon; }
    const text = JSON.stringify(body);
    if (!key || text !== keyBody) { key = uuid(); keyBody = text; } // same form, same key on retry
    submit.disabled = true;
    msg.replaceChildren(note('info', t('off.issuing')));
    let res;
    try {
      res = await api('POST', '/api/v1/fines', { json: body, headers: { 'Idempotency-Key': key }, timeout: 20000 });
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      submit.disabled = false;
      msg.replaceChildren(note('error', t('off.neterror')));
      return;
    }
    submit.disabled = false;
    if (res.status === 201 || res.status === 200) {
      key = null;
      msg.replaceChildren();
      camera.stop();
      const failed = await uploadPhotos(res.data.id, [...camera.shots, ...photos.input.files]);
      if (failed) announce(t('off.photos.failed', { n: failed }));
      showNotice(res.data, () => { showTab('issue'); if (failed) main.prepend(note('warn', t('off.photos.failed', { n: failed }))); });
      return;
    }
    if (res.status === 401) return;
    if (res.status >= 500) { msg.replaceChildren(note('error', t('off.neterror'))); return; }
    key = null;
    const d = res.data || {};
    const map = { plate, violationCode: viol, violation: viol, place, occurredAt: when };
    let first = null;
    for (const fe of d.errors || []) if (map[fe.field]) { map[fe.field].bad(fe.message); first = first || map[fe.field]; }
    if (first) { first.input.scrollIntoView({ block: 'center' }); first.input.focus({ preventScroll: true }); }
    msg.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : res.status === 429 ? t('rate') : (d.detail || d.title || t('error'))));
  });
  main.replaceChildren(h('section', { class: 'stack', id: 'issue' }, h('h1', { text: t('off.issue') }), msg, form));
  loadCatalogue().catch(() => {});
}

/** Uploads the officer's photos of a new fine; returns how many failed. */
async function uploadPhotos(id, files) {
  let failed = 0;
  for (const f of files || []) {
    try {
      const r = await api('POST', `/api/v1/fines/${encodeURIComponent(id)}/photos`, { body: f, type: f.type || 'image/jpeg', timeout: 60000 });
      if (r.status !== 201) failed++;
    } catch { failed++; }
  }
  if (files && files.length && !failed) announce(t('off.photos.saved', { n: files.length }));
  return failed;
}

// ---- requests for review in autotutela (office-reviews.js, issue 14) ----
function reviewsView() {
  const el = h('section', { class: 'stack', id: 'reviews', 'aria-labelledby': 'reviews-title' });
  main.replaceChildren(h('h1', { id: 'reviews-title', text: t('rq.title') }), el);
  import('{{/assets/office-reviews.js}}').then((m) => m.render(el, { api, canDecide: canCancel() })).catch(() => { el.append(note('error', t('error'))); });
}

// ---- the notice: full screen, bright, QR first ----
let noticeEl = null;
let lastFocus = null;
// While the notice shows, the rest of the page is hidden (for eyes and
// screen readers alike), so the notice is the whole screen.
// The update and offline banners stay: printing the notice needs the network.
const pageParts = () => [...document.body.children].filter((el) => el !== noticeEl && !el.classList.contains('sr-only') && el.id !== 'update' && el.id !== 'offline' && el.tagName !== 'NOSCRIPT');
let hiddenParts = [];
function closeNotice() {
  if (!noticeEl) return;
  noticeEl.remove();
  noticeEl = null;
  for (const el of hiddenParts) el.hidden = false;
  hiddenParts = [];
  if (lastFocus && lastFocus.isConnected) lastFocus.focus();
}

async function openPDF(fine, format) {
  const w = window.open('', '_blank');
  let res;
  try {
    res = await api('GET', `/api/v1/fines/${encodeURIComponent(fine.id)}/notice.pdf?format=${format}`, { blob: true, headers: { Accept: 'application/pdf' }, timeout: 30000 });
  } catch {
    if (w) w.close();
    announce(t('offline'));
    return;
  }
  if (!res.ok || !res.blob) { if (w) w.close(); announce(t('error')); return; }
  const url = URL.createObjectURL(res.blob);
  if (w) {
    w.location.href = url;
  } else {
    const a = h('a', { href: url, download: `avviso-${fine.reportNumber || fine.id}-${format}.pdf` });
    document.body.append(a); a.click(); a.remove();
    announce(t('off.popup'));
  }
  setTimeout(() => URL.revokeObjectURL(url), 60e3);
}

function showNotice(fine, onClose) {
  closeNotice();
  lastFocus = document.activeElement;
  const opts = fine.options || [];
  const first = opts[0] && opts[0].noticeNumber;
  let kind = 'link';
  const qrSrc = () => `/api/v1/notices/${first}/qr.svg${kind === 'link' ? '?kind=link' : ''}`;
  const img = h('img', { id: 'notice-qr', class: 'qr', src: qrSrc(), alt: t('off.qr.alt', { nav: formatNAV(first) }), width: '340', height: '340', 'data-kind': kind });
  const caption = h('p', { class: 'muted', id: 'notice-qr-caption', text: t('off.qr.link') });
  const toggle = h('button', { type: 'button', class: 'btn btn-secondary', id: 'qr-toggle', text: t('off.qr.showPagopa') });
  toggle.addEventListener('click', () => {
    kind = kind === 'link' ? 'pagopa' : 'link';
    img.src = qrSrc();
    img.dataset.kind = kind;
    caption.textContent = t(kind === 'link' ? 'off.qr.link' : 'off.qr.pagopa');
    toggle.textContent = t(kind === 'link' ? 'off.qr.showPagopa' : 'off.qr.showLink');
  });
  const close = () => { closeNotice(); if (onClose) onClose(); };
  noticeEl = h('main', { class: 'notice-view', id: 'notice-view', 'aria-labelledby': 'notice-title', 'data-fine-id': fine.id },
    h('div', { class: 'inner stack' },
      h('h1', { id: 'notice-title', tabIndex: -1, text: t('off.notice') }),
      h('p', { class: 'muted' }, t('off.report', { n: fine.reportNumber || fine.id }), ' · ', h('strong', { class: 'mono', text: fine.plate || '' })),
      h('p', { text: fine.violation ? `${fine.violation.article} — ${vdesc(fine.violation)}` : '' }),
      first ? img : null, first ? caption : null, first ? toggle : null,
      h('div', { class: 'options', id: 'notice-options' }, opts.map((o) => h('div', { class: 'option', 'data-nav': o.noticeNumber },
        h('p', { class: 'label' }, h('span', { class: 'chip', text: t('off.option.' + o.kind) }), o.dueDate ? t('off.dueBy', { date: day(o.dueDate) }) : ''),
        h('p', { class: 'amount', text: money(o.amountCents) }),
        h('p', { class: 'mono', text: formatNAV(o.noticeNumber) })))),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', class: 'btn btn-primary', id: 'print-a4', text: t('off.printA4'), on: { click: () => openPDF(fine, 'a4') } }),
        h('button', { type: 'button', class: 'btn btn-primary', id: 'print-thermal', text: t('off.printThermal'), on: { click: () => openPDF(fine, 'thermal') } })),
      h('button', { type: 'button', class: 'btn btn-secondary btn-big', id: 'notice-close', text: onClose ? t('off.newFine') : t('off.close'), on: { click: close } })));
  noticeEl.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  hiddenParts = pageParts().filter((el) => !el.hidden);
  for (const el of hiddenParts) el.hidden = true;
  document.body.append(noticeEl);
  window.scrollTo(0, 0);
  noticeEl.querySelector('#notice-title').focus();
  announce(t('off.notice'));
}

// ---- fines list (office-fines.js, loaded on demand) and detail ----
function statusPill(s) {
  return h('span', { class: 'status-pill status-' + s, text: t('off.status.' + s) });
}

function finesView() {
  const el = h('section', { class: 'stack', id: 'fines' });
  main.replaceChildren(el);
  import('{{/assets/office-fines.js}}')
    .then((m) => m.render(el, { api, open: detailView, canIssue }))
    .catch(() => { el.append(note('error', t('error'))); });
}

// ---- camera import (supervisors): office-import.js ----
function importView() {
  const el = h('section', { class: 'stack', id: 'import' });
  main.replaceChildren(el);
  import('{{/assets/office-import.js}}')
    .then((m) => m.render(el, api))
    .catch(() => { el.append(note('error', t('error'))); });
}

async function detailView(id) {
  main.replaceChildren(h('h1', { text: t('loading') }));
  let res;
  try { res = await api('GET', `/api/v1/fines/${encodeURIComponent(id)}`); } catch { main.replaceChildren(h('h1', { text: t('off.detail') }), note('error', t('offline'))); return; }
  if (!res.ok) { if (res.status !== 401) main.replaceChildren(h('h1', { text: t('off.detail') }), note('error', t('error'))); return; }
  renderDetail(res.data);
}

function renderDetail(f, flash) {
  const msg = h('div', { id: 'fine-detail-status', 'aria-live': 'polite' }, flash ? note('ok', flash) : null);
  const rows = [
    ['off.report', null, f.reportNumber],
    ['off.plate', 'mono', f.plate],
    ['off.violation', null, f.violation && `${f.violation.article} — ${vdesc(f.violation)}`],
    ['off.place', null, f.place],
    ['off.time', null, dateTime(f.occurredAt)],
    ['off.contest', null, f.contestation && t('off.' + f.contestation)],
    ['off.notifiedOn', null, f.notifiedOn && day(f.notifiedOn, true) + (f.channel ? ` (${t('off.channel.' + f.channel)})` : '')],
    ['off.fees', null, f.feesCents != null ? money(f.feesCents) : ''],
    ['off.officer', null, f.officer],
    ['off.created', null, f.createdAt && dateTime(f.createdAt)],
  ].filter((r) => r[2]);
  const sec = h('section', { class: 'stack', id: 'fine-detail', 'data-fine-id': f.id, 'data-status': f.status },
    h('button', { type: 'button', class: 'btn btn-ghost', id: 'detail-back', text: '← ' + t('off.back'), on: { click: () => showTab('fines') } }),
    h('h1', { tabIndex: -1 }, t('off.detail'), ' ', statusPill(f.status)),
    msg,
    f.status === 'cancelled' && f.cancelReason ? note('warn', t('off.cancelled', { by: f.cancelledBy || '', reason: f.cancelReason })) : null,
    h('div', { class: 'card' }, h('dl', { class: 'facts' }, rows.map(([k, cls, v]) => [h('dt', { text: k === 'off.report' ? t('off.report', { n: '' }).trim() : t(k) }), h('dd', { class: cls, text: v })]))),
    paymentsCard(f.payments),
    h('div', { class: 'options' }, (f.options || []).map((o) => h('div', { class: 'option card' },
      h('p', { class: 'label' }, h('span', { class: 'chip', text: t('off.option.' + o.kind) }), o.dueDate ? t('off.dueBy', { date: day(o.dueDate) }) : ''),
      o.amountCents != null ? h('p', { class: 'amount', text: money(o.amountCents) }) : null,
      h('p', { class: 'mono', text: formatNAV(o.noticeNumber) })))),
    (f.options || []).length && f.status !== 'cancelled' ? h('button', { type: 'button', class: 'btn btn-secondary', id: 'detail-notice', text: t('off.showNotice'), on: { click: () => showNotice(f) } }) : null);
  sec.append(verbaleSections(f));
  sec.append(storySection(f));
  if (f.status === 'issued' && canIssue()) sec.append(notifyForm(f, msg));
  if ((f.status === 'issued' || f.status === 'notified') && canCancel()) sec.append(cancelBlock(f, msg));
  main.replaceChildren(sec);
  sec.querySelector('h1').focus();
}

/**
 * Every payment of the fine, however it arrived (Multa's checkout, or a
 * pagoPA channel with its PSP), and what finance must give back of any.
 */
function paymentsCard(payments) {
  if (!payments || !payments.length) return null;
  return h('div', { class: 'card', id: 'fine-payments' },
    h('h2', { text: t('off.payments') }),
    h('ul', { class: 'list' }, payments.map((p) => h('li', { 'data-receipt-id': p.receiptId, 'data-channel': p.channel, 'data-anomaly': p.anomaly || '' },
      h('strong', { text: money(p.amountCents) }), ' · ', dateTime(p.paidAt), ' · ', h('span', { class: 'paid-via', text: paidVia(p) }),
      p.refundCents ? note('warn', t('off.refund', { amount: money(p.refundCents), why: t('off.anomaly.' + p.anomaly, { expected: money(p.expectedCents) }) })) : null))));
}

// storySection holds what is due or paid, corrections, the correction
// form and the audit trail (office-story.js, loaded on demand).
function storySection(f) {
  const el = h('div', { class: 'stack', id: 'fine-story' });
  import('{{/assets/office-story.js}}')
    .then((m) => m.render(el, f, { api, canCorrect: canCancel, reload: renderDetail }))
    .catch(() => { el.append(note('error', t('error'))); });
  return el;
}

function notifyForm(f, msg) {
  const p = (n) => String(n).padStart(2, '0');
  const d = new Date();
  const today = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const date = h('input', { id: 'notify-date', name: 'notifiedOn', type: 'date', class: 'input', value: today, max: today, required: true });
  const channel = h('select', { id: 'notify-channel', name: 'channel', class: 'input' },
    ['post', 'pec', 'hand'].map((c) => h('option', { value: c, text: t('off.channel.' + c) })));
  const fees = h('input', { id: 'notify-fees', name: 'fees', class: 'input', inputmode: 'decimal', autocomplete: 'off', placeholder: '13,00', 'aria-describedby': 'notify-fees-hint' });
  const submit = h('button', { type: 'submit', id: 'notify-submit', class: 'btn btn-primary', text: t('off.notify.submit') });
  const form = h('form', { id: 'notify-form', class: 'card stack', novalidate: true },
    h('h2', { text: t('off.notify') }),
    h('div', { class: 'field' }, h('label', { for: 'notify-date', text: t('off.notify.date') }), date),
    h('div', { class: 'field' }, h('label', { for: 'notify-channel', text: t('off.notify.channel') }), channel),
    h('div', { class: 'field' }, h('label', { for: 'notify-fees', text: t('off.notify.fees') }), h('p', { class: 'hint', id: 'notify-fees-hint', text: t('off.notify.fees.hint') }), fees),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { notifiedOn: date.value, channel: channel.value };
    const raw = fees.value.trim().replace(/\s|€/g, '');
    if (raw) {
      const m = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(raw);
      if (!m) { fees.setAttribute('aria-invalid', 'true'); fees.focus(); return; }
      body.feesCents = +m[1] * 100 + +(m[2] || '0').padEnd(2, '0');
    }
    if (!date.value) { date.setAttribute('aria-invalid', 'true'); date.focus(); return; }
    submit.disabled = true;
    let res;
    try { res = await api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/notification`, { json: body }); } catch { submit.disabled = false; msg.replaceChildren(note('error', t('offline'))); return; }
    submit.disabled = false;
    if (res.ok) { renderDetail(res.data && res.data.id ? res.data : { ...f, ...body, status: 'notified' }, t('off.notify.done')); return; }
    if (res.status !== 401) msg.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : ((res.data && res.data.detail) || t('error'))));
  });
  return form;
}

/** The cancel button exists only for supervisors and admins (checked by the caller). */
function cancelBlock(f, msg) {
  const wrap = h('div', { class: 'stack', id: 'cancel-block' });
  const btn = h('button', { type: 'button', class: 'btn btn-danger', id: 'cancel-btn', text: t('off.cancel') });
  btn.addEventListener('click', () => {
    const reason = h('textarea', { id: 'cancel-reason', name: 'reason', class: 'input', rows: '3', required: true, maxlength: '500' });
    const submit = h('button', { type: 'submit', id: 'cancel-submit', class: 'btn btn-danger', text: t('off.cancel.submit') });
    const form = h('form', { id: 'cancel-form', class: 'card stack', novalidate: true },
      h('h2', { text: t('off.cancel') }),
      note('warn', h('span', { id: 'cancel-warning', text: t('off.cancel.warn') })),
      h('div', { class: 'field' }, h('label', { for: 'cancel-reason', text: t('off.cancelReason') }), reason),
      submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) { reason.setAttribute('aria-invalid', 'true'); reason.focus(); return; }
      submit.disabled = true;
      let res;
      try { res = await api('POST', `/api/v1/fines/${encodeURIComponent(f.id)}/cancellation`, { json: { reason: reason.value.trim() } }); } catch { submit.disabled = false; msg.replaceChildren(note('error', t('offline'))); return; }
      submit.disabled = false;
      if (res.ok) { renderDetail(res.data && res.data.id ? res.data : { ...f, status: 'cancelled', cancelReason: reason.value.trim() }, t('off.cancel.done')); return; }
      if (res.status !== 401) msg.replaceChildren(note('error', res.status === 403 ? t('off.forbidden') : ((res.data && res.data.detail) || t('error'))));
    });
    wrap.replaceChildren(form);
    reason.focus();
  });
  wrap.append(btn);
  return wrap;
}

// ---- the verbale (issue 18): filled by office-verbale.js ----
function verbaleCtx() {
  return {
    api: (method, path, opts) => api(method, path, opts),
    refresh: (fine, flash) => renderDetail(fine, flash),
    open: (id, flash) => (flash ? api('GET', `/api/v1/fines/${encodeURIComponent(id)}`).then((r) => r.ok && renderDetail(r.data, flash)) : detailView(id)),
    canIssue: canIssue(), canDecide: canCancel(),
  };
}

function verbaleSections(f) {
  const el = h('div', { class: 'stack', id: 'verbale-sections' });
  import('{{/assets/office-verbale.js}}').then((m) => m.renderFine(el, f, verbaleCtx())).catch(() => { el.append(note('error', t('error'))); });
  return el;
}

function verbaleTab() {
  const el = h('section', { id: 'verbale-tab', class: 'stack', 'aria-labelledby': 'verbale-title' });
  main.replaceChildren(h('h1', { id: 'verbale-title', text: t('off.tab.verbale') }), el);
  import('{{/assets/office-verbale.js}}').then((m) => m.renderTab(el, verbaleCtx())).catch(() => { el.append(note('error', t('error'))); });
}

// ---- dashboard (finance): filled by dashboard.js ----
function dashboardView() {
  const el = h('section', { id: 'dashboard', class: 'stack', 'aria-labelledby': 'dashboard-title' });
  main.replaceChildren(h('h1', { id: 'dashboard-title', text: t('off.dashboard') }), el);
  import('{{/assets/dashboard.js}}').then((m) => m.render(el, {
    get: (path) => api('GET', path),
    call: (method, path, opts) => api(method, path, opts),
    openFine: (id) => detailView(id),
  })).catch(() => { el.append(note('error', t('error'))); });
}

// ---- users (admins): filled by office-users.js, loaded on demand ----
function usersView() {
  const el = h('section', { id: 'users', class: 'stack', 'aria-labelledby': 'users-title' });
  main.replaceChildren(h('h1', { id: 'users-title', text: t('off.tab.users') }), el);
  import('{{/assets/office-users.js}}')
    .then((m) => m.render(el, api, session && session.user.username))
    .catch(() => { el.append(note('error', t('error'))); });
  main.append(backupCard());
}

// backupCard lets an admin download a consistent copy of the database
// (GET /api/v1/admin/backup), taken while the office goes on working.
function backupCard() {
  const msg = h('div', { id: 'backup-status', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', id: 'backup-btn', class: 'btn btn-secondary', text: t('off.backup.go') });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    let res;
    try { res = await api('GET', '/api/v1/admin/backup', { blob: true, headers: { Accept: 'application/octet-stream' }, timeout: 300000 }); } catch { btn.disabled = false; msg.replaceChildren(note('error', t('offline'))); return; }
    btn.disabled = false;
    if (!res.ok || !res.blob) { if (res.status !== 401) msg.replaceChildren(note('error', t('error'))); return; }
    const url = URL.createObjectURL(res.blob);
    const a = h('a', { href: url, download: `multa-${new Date().toISOString().slice(0, 10)}.db`, hidden: true });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60e3);
    msg.replaceChildren(note('ok', t('off.backup.done')));
  });
  return h('section', { class: 'card stack', id: 'backup', 'aria-labelledby': 'backup-title' },
    h('h2', { id: 'backup-title', text: t('off.backup') }), h('p', { class: 'muted', text: t('off.backup.lead') }), btn, msg);
}

// ---- boot: a reload keeps the session through the refresh cookie ----
(async () => {
  chrome();
  watchNetwork(t);
  main.replaceChildren(h('p', { class: 'muted', text: t('loading') }));
  const ok = await refresh();
  if (ok) start(); else showLogin(ok === null ? t('offline') : undefined);
})();
registerSW();
