// Finance dashboard — a hook for another developer to fill.
//
// The office app calls render(el, api) when a finance or admin user opens
// the "Dashboard" tab. el is the empty <section id="dashboard">; api is
//   api.get(path)                 → Promise<{status, ok, data, code}>
//   api.call(method, path, opts)  → the same, for any method (opts as in api.js)
// both already carrying the user's bearer token and refreshing it when
// needed. Data: GET /api/v1/stats?from=&to=, GET /api/v1/reconciliation?date=.

/** Fills el with the dashboard. */
export function render(el, api) { // eslint-disable-line no-unused-vars
  el.dataset.ready = 'true';
}
