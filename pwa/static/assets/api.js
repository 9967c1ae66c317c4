// fetch wrapper: JSON in and out, problem+json errors, timeouts. A network
// failure or timeout throws NetworkError; every HTTP answer resolves.

/** Thrown when no HTTP answer arrived (offline, timeout, aborted). */
export class NetworkError extends Error {}

/**
 * Calls the API. opts: json (a body to send as JSON), body + type (raw
 * body and its Content-Type), headers, token (bearer), timeout (ms).
 * Resolves to {status, ok, data, code, retryAfter, blob?}.
 */
export async function call(method, url, opts = {}) {
  // The server words its messages (a problem's detail, each field's) in
  // the language of Accept-Language: the app's, not the browser's.
  const headers = { Accept: 'application/json', 'Accept-Language': document.documentElement.lang || 'it', ...(opts.headers || {}) };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.type) {
    headers['Content-Type'] = opts.type;
  }
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout || 15000);
  try {
    const res = await fetch(url, {
      method, headers, body, signal: ctl.signal, credentials: 'same-origin', cache: 'no-store',
    });
    const out = {
      status: res.status, ok: res.ok, data: null, code: '',
      retryAfter: parseInt(res.headers.get('Retry-After') || '', 10) || 0,
    };
    const ct = res.headers.get('Content-Type') || '';
    if (opts.blob && res.ok) out.blob = await res.blob();
    else if (ct.includes('json')) out.data = await res.json().catch(() => null);
    out.code = (out.data && out.data.code) || '';
    return out;
  } catch (e) {
    throw new NetworkError(e && e.name === 'AbortError' ? 'timeout' : String(e));
  } finally {
    clearTimeout(timer);
  }
}
