// History-API router: views are functions (main, ...params) that may return
// a cleanup function. Links with data-link navigate without a reload.
let routes = [];
let cleanups = [];
let generation = 0;
let main = null;
let first = true;

/** Starts routing: table is [[RegExp, view], ...]; notFound is a view. */
export function start(el, table, notFound) {
  main = el;
  routes = table;
  routes.notFound = notFound;
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-link]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (a.origin !== location.origin) return;
    e.preventDefault();
    go(a.pathname + a.search);
  });
  window.addEventListener('popstate', render);
  render();
}

/** Navigates to path; state travels in history.state. replace avoids a new entry. */
export function go(path, state, replace) {
  history[replace ? 'replaceState' : 'pushState'](state || null, '', path);
  render();
}

/** Renders the current location again (e.g. after a language switch). */
export function render() {
  generation++;
  for (const fn of cleanups.splice(0)) { try { fn(); } catch { /* ignore */ } }
  main.replaceChildren();
  const path = location.pathname;
  let view = routes.notFound, params = [];
  for (const [re, v] of routes) {
    const m = re.exec(path);
    if (m) { view = v; params = m.slice(1).map(decodeURIComponent); break; }
  }
  const out = view(main, ...params);
  if (typeof out === 'function') cleanups.push(out);
  if (!first) {
    window.scrollTo(0, 0);
    focusHeading(main);
  }
  first = false;
}

/**
 * Moves focus to the view's heading after navigation, so that screen
 * readers start reading there and Tab continues from there. The heading
 * gets tabindex="-1": focusable by script, not a Tab stop; app.css draws no
 * focus ring on it (it is not a control), while real controls keep theirs.
 */
export function focusHeading(el) {
  const h1 = el.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
}

/**
 * Replaces the content of a view that finished loading. If focus was in
 * the old content (the heading that navigation focused), the new heading
 * takes it: otherwise it would fall back to <body> and a keyboard or
 * screen-reader user would start again from the top of the page.
 */
export function swap(el, ...nodes) {
  const had = el.contains(document.activeElement);
  el.replaceChildren(...nodes);
  if (had) focusHeading(el);
}

/** Runs fn when the user leaves the current view. */
export function onLeave(fn) { cleanups.push(fn); }

/** Returns a function telling whether the view that called it is still shown. */
export function here() {
  const g = generation;
  return () => g === generation;
}
