// Office "Users" tab (admins only): list the accounts, add one, and per
// account change the role, disable or re-enable it, reset its password.
// Loaded on demand by office.js (like dashboard.js), so officers never
// download it and office.js stays small. The server is the authority: it
// enforces the admin role, the password policy and "never leave no enabled
// admin"; this screen only shows its problem `detail` when it says no.
import { t, dateTime } from '{{/assets/i18n.js}}';
import { h, note, announce } from '{{/assets/util.js}}';

const ROLES = ['officer', 'supervisor', 'finance', 'admin'];

/** The text of a problem+json answer: its detail, plus the field messages of a validation error. */
function problemText(res) {
  const d = res.data || {};
  const fields = Array.isArray(d.errors) ? d.errors.map((e) => e && e.message).filter(Boolean) : [];
  const text = [d.detail, ...fields].filter(Boolean).join(' — ');
  if (res.status === 403) return t('off.forbidden');
  return text || t('error');
}

function roleSelect(id, value) {
  return h('select', { id, name: 'role', class: 'input' },
    ROLES.map((r) => h('option', { value: r, selected: r === value, text: t('off.role.' + r) })));
}

function passwordInput(id, hintId) {
  // new-password: password managers offer to generate one, and never fill
  // the admin's own password into another account's field.
  return h('input', { id, name: 'password', type: 'password', class: 'input', autocomplete: 'new-password', minlength: '15', 'aria-describedby': hintId });
}

/**
 * Renders the tab into el. api(method, path, opts) is office.js's
 * authenticated call; me is the signed-in username.
 */
export function render(el, api, me) {
  // One polite live region for the outcome of every action, so a screen
  // reader hears "User created" or the server's refusal without a focus jump.
  const status = h('div', { id: 'users-status', 'aria-live': 'polite' });
  const list = h('ul', { id: 'users-list', class: 'list' });
  const say = (kind, msg) => {
    status.replaceChildren(note(kind, msg));
    if (kind !== 'error') announce(msg); // errors use role=alert already
  };

  const run = async (method, path, json, done) => {
    let res;
    try { res = await api(method, path, { json }); } catch { say('error', t('offline')); return false; }
    if (res.status === 401) return false; // office.js shows the sign-in page
    if (!res.ok) { say('error', problemText(res)); return false; }
    say('ok', done);
    await load();
    return true;
  };

  // ---- add a user ----
  const name = h('input', { id: 'user-new-name', name: 'username', class: 'input', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const pass = passwordInput('user-new-password', 'user-new-password-hint');
  const role = roleSelect('user-new-role', 'officer');
  const add = h('button', { type: 'submit', id: 'user-new-submit', class: 'btn btn-primary', text: t('off.users.add.submit') });
  const form = h('form', { id: 'user-new-form', class: 'card stack', novalidate: true },
    h('h2', { text: t('off.users.add') }),
    h('div', { class: 'field' }, h('label', { for: 'user-new-name', text: t('off.username') }), name),
    h('div', { class: 'field' }, h('label', { for: 'user-new-password', text: t('off.password') }),
      h('p', { class: 'hint', id: 'user-new-password-hint', text: t('off.users.policy') }), pass),
    h('div', { class: 'field' }, h('label', { for: 'user-new-role', text: t('off.users.role') }), role),
    add);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const i of [name, pass]) i.removeAttribute('aria-invalid');
    if (!name.value.trim()) { name.setAttribute('aria-invalid', 'true'); name.focus(); say('error', t('off.users.needName')); return; }
    if ([...pass.value].length < 15) { pass.setAttribute('aria-invalid', 'true'); pass.focus(); say('error', t('off.users.policy')); return; }
    add.disabled = true;
    const u = name.value.trim();
    const ok = await run('POST', '/api/v1/users', { username: u, password: pass.value, role: role.value }, t('off.users.created', { u }));
    add.disabled = false;
    if (ok) { name.value = ''; pass.value = ''; role.value = 'officer'; name.focus(); }
  });

  // ---- one account ----
  const row = (u, i) => {
    const base = `/api/v1/users/${encodeURIComponent(u.username)}`;
    const id = (s) => `user-${i}-${s}`; // usernames may hold characters unfit for ids
    const state = h('span', { class: 'status-pill ' + (u.disabled ? 'status-cancelled' : 'status-paid'), text: t(u.disabled ? 'off.users.disabled' : 'off.users.enabled') });

    const rsel = roleSelect(id('role'), u.role);
    const rform = h('form', { class: 'inline-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: id('role'), text: t('off.users.role') }), rsel),
      h('button', { type: 'submit', class: 'btn btn-secondary user-role-save', text: t('off.users.role.save') }));
    // A role change ends the user's sessions: it asks first, saying so.
    const rconfirm = h('div', { class: 'role-confirm' });
    rform.addEventListener('submit', (e) => {
      e.preventDefault();
      if (rsel.value === u.role) return;
      const r = t('off.role.' + rsel.value);
      const yes = h('button', { type: 'button', class: 'btn btn-danger user-role-confirm', text: t('off.users.role.yes') });
      const no = h('button', { type: 'button', class: 'btn btn-secondary', text: t('off.users.no') });
      const q = h('p', { class: 'user-question', id: id('role-question'), text: t('off.users.role.q', { u: u.username, r }) });
      yes.addEventListener('click', () => { rconfirm.replaceChildren(); run('PATCH', base, { role: rsel.value }, t('off.users.role.done', { u: u.username, r })); });
      no.addEventListener('click', () => { rconfirm.replaceChildren(); rsel.value = u.role; rsel.focus(); });
      rconfirm.replaceChildren(h('div', { class: 'stack', role: 'group', 'aria-labelledby': id('role-question') }, q, h('div', { class: 'toolbar' }, yes, no)));
      yes.focus();
    });

    const pin = passwordInput(id('password'), id('password-hint'));
    const pform = h('form', { class: 'inline-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: id('password'), text: t('off.users.reset') }),
        h('p', { class: 'hint', id: id('password-hint'), text: t('off.users.policy') }), pin),
      h('button', { type: 'submit', class: 'btn btn-secondary user-password-save', text: t('off.users.reset.save') }));
    pform.addEventListener('submit', (e) => {
      e.preventDefault();
      pin.removeAttribute('aria-invalid');
      if ([...pin.value].length < 15) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say('error', t('off.users.policy')); return; }
      run('PATCH', base, { password: pin.value }, t('off.users.reset.done', { u: u.username }));
    });

    // Disabling locks someone out at once, so it takes a second, explicit
    // tap; enabling is harmless and goes through the same step for symmetry.
    const toggleArea = h('div', { class: 'toolbar' });
    const toggle = h('button', {
      type: 'button', class: 'btn ' + (u.disabled ? 'btn-secondary' : 'btn-danger') + ' user-toggle',
      text: t(u.disabled ? 'off.users.enable' : 'off.users.disable'),
    });
    toggle.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'btn btn-danger user-confirm', text: t(u.disabled ? 'off.users.enable.yes' : 'off.users.disable.yes') });
      const no = h('button', { type: 'button', class: 'btn btn-secondary user-cancel', text: t('off.users.no') });
      const q = h('p', { class: 'user-question', id: id('question'), text: t(u.disabled ? 'off.users.enable.q' : 'off.users.disable.q', { u: u.username }) });
      const box = h('div', { class: 'stack', role: 'group', 'aria-labelledby': id('question') }, q, h('div', { class: 'toolbar' }, yes, no));
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        const ok = await run('PATCH', base, { disabled: !u.disabled }, t(u.disabled ? 'off.users.enabled.done' : 'off.users.disabled.done', { u: u.username }));
        if (!ok) { toggleArea.replaceChildren(toggle); toggle.focus(); }
      });
      no.addEventListener('click', () => { toggleArea.replaceChildren(toggle); toggle.focus(); });
      toggleArea.replaceChildren(box);
      yes.focus();
    });
    toggleArea.append(toggle);

    return h('li', { class: 'card stack user-row', 'data-username': u.username, 'data-role': u.role, 'data-disabled': String(!!u.disabled) },
      h('div', { class: 'row-main' },
        h('strong', { class: 'user-name', text: u.username + (u.username === me ? ` (${t('off.users.you')})` : '') }), state),
      h('p', { class: 'muted' }, t('off.role.' + u.role), u.createdAt ? ' · ' + t('off.users.since', { d: dateTime(u.createdAt) }) : ''),
      rform, rconfirm, pform, toggleArea);
  };

  const load = async () => {
    let res;
    try { res = await api('GET', '/api/v1/users'); } catch { say('error', t('offline')); return; }
    if (res.status === 401) return;
    if (!res.ok || !Array.isArray(res.data)) { say('error', problemText(res)); return; }
    // Re-rendering moves focus out of a row that was just replaced; keep
    // it in the tab by sending it to the live list's heading.
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren(...res.data.map(row));
    el.dataset.loaded = String(res.data.length);
    filter();
    if (hadFocus) listTitle.focus();
  };

  const listTitle = h('h2', { id: 'users-list-title', tabIndex: -1, text: t('off.users.list') });
  // Search: by name or role, as typed, case and accents ignored.
  const search = h('input', { id: 'users-search', type: 'search', class: 'input', autocomplete: 'off', spellcheck: 'false' });
  const none = h('p', { class: 'muted', id: 'users-none', hidden: true, text: t('off.users.none') });
  const fold = (s) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
  const filter = () => {
    const q = fold(search.value.trim());
    let shown = 0;
    for (const li of list.children) {
      const hit = !q || fold(li.dataset.username + ' ' + t('off.role.' + li.dataset.role)).includes(q);
      li.hidden = !hit;
      if (hit) shown++;
    }
    none.hidden = shown > 0;
  };
  search.addEventListener('input', filter);
  el.replaceChildren(status, form, listTitle,
    h('div', { class: 'field' }, h('label', { for: 'users-search', text: t('off.users.search') }), search), none, list);
  return load();
}
