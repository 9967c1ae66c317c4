// Scanner: the camera in a <video>; QR codes decoded on the phone with
// BarcodeDetector where the browser has it, else frames sent as JPEG to
// /api/v1/scan about three times a second. A photo upload works everywhere.
import { t } from '{{/assets/i18n.js}}';
import { h, note, parseQR, announce, sleep } from '{{/assets/util.js}}';
import { call, NetworkError } from '{{/assets/api.js}}';
import { go, here, onLeave } from '{{/assets/router.js}}';

const MAX_SIDE = 1280; // frames are scaled down to this before upload

async function nativeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes('qr_code')) return null;
    return new window.BarcodeDetector({ formats: ['qr_code'] });
  } catch { return null; }
}

/** Draws a video frame or image onto a canvas no larger than max, as a JPEG blob. */
function toJPEG(src, w, hgt, max) {
  const k = Math.min(1, max / Math.max(w, hgt));
  const c = document.createElement('canvas');
  c.width = Math.round(w * k); c.height = Math.round(hgt * k);
  c.getContext('2d').drawImage(src, 0, 0, c.width, c.height);
  return new Promise((res) => c.toBlob(res, 'image/jpeg', 0.8));
}

/** The scan view for /scan. */
export function scanView(main) {
  const alive = here();
  let stopped = false;
  let stream = null;
  const video = h('video', { id: 'scan-video', playsinline: true, muted: true, autoplay: true, 'aria-label': t('scan.video') });
  video.muted = true;
  video.playsInline = true;
  const status = h('p', { id: 'scan-status', class: 'muted', 'aria-live': 'polite', text: t('scan.starting') });
  const problem = h('div', { id: 'scan-problem' });
  const file = h('input', { type: 'file', id: 'scan-file', accept: 'image/*', capture: 'environment', class: 'file-input' });
  const finder = h('div', { class: 'finder' }, video, h('div', { class: 'finder-frame', 'aria-hidden': 'true' }));
  main.append(h('section', { class: 'stack', id: 'scan' },
    h('h1', { text: t('scan.title') }),
    h('p', { text: t('scan.hint') }),
    finder, status, problem,
    h('div', { class: 'actions' },
      h('label', { class: 'btn btn-secondary file-label', for: 'scan-file' }, file, h('span', { text: t('scan.upload') })),
      h('a', { class: 'btn btn-ghost', href: '/enter', 'data-link': '', id: 'scan-type', text: t('scan.type') }))));

  const stop = () => {
    stopped = true;
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null;
  };
  onLeave(stop);

  const found = (r) => {
    if (stopped && !alive()) return;
    stop();
    announce(t('scan.found'));
    go(`/p/${r.noticeNumber}`, r.fiscalCode ? { fiscalCode: r.fiscalCode } : null);
  };

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    status.textContent = t('scan.uploading');
    problem.replaceChildren();
    const r = await readPhoto(f);
    if (!alive()) return;
    if (r.result) { found(r.result); return; }
    status.textContent = '';
    problem.replaceChildren(note('error', t(r.error)));
  });

  (async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = '';
      finder.hidden = true;
      problem.replaceChildren(note('warn', t('scan.nocamera')));
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } } });
    } catch (e) {
      if (!alive()) return;
      status.textContent = '';
      finder.hidden = true;
      const denied = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
      problem.replaceChildren(note('warn', t(denied ? 'scan.denied' : 'scan.nocamera')));
      return;
    }
    if (stopped) { for (const tr of stream.getTracks()) tr.stop(); return; }
    video.srcObject = stream;
    try { await video.play(); } catch { /* autoplay policies: muted video still plays */ }
    status.textContent = t('scan.looking');
    const detector = await nativeDetector();
    if (detector) await loopNative(detector); else await loopServer();
  })();

  async function loopNative(detector) {
    let warned = false;
    while (!stopped) {
      if (video.readyState >= 2 && !document.hidden) {
        try {
          const codes = await detector.detect(video);
          for (const c of codes) {
            const r = parseQR(c.rawValue);
            if (r) { found(r); return; }
          }
          if (codes.length && !warned) { warned = true; status.textContent = t('scan.foreign'); }
        } catch { /* a frame that cannot be read */ }
      }
      await sleep(200);
    }
  }

  async function loopServer() {
    let wait = 333;
    while (!stopped) {
      const started = Date.now();
      if (video.readyState >= 2 && video.videoWidth && !document.hidden) {
        const blob = await toJPEG(video, video.videoWidth, video.videoHeight, MAX_SIDE);
        if (stopped) return;
        try {
          const res = await call('POST', '/api/v1/scan', { body: blob, type: 'image/jpeg', timeout: 10000 });
          if (stopped) return;
          if (res.ok && res.data && res.data.noticeNumber) { found(res.data); return; }
          if (res.status === 429) {
            wait = Math.min(Math.max(wait * 2, (res.retryAfter || 0) * 1000), 10000);
            status.textContent = t('scan.slow');
          } else {
            wait = Math.max(333, wait * 0.8);
            if (res.status === 422 && status.textContent !== t('scan.looking')) status.textContent = t('scan.looking');
          }
        } catch (e) {
          if (!(e instanceof NetworkError)) throw e;
          wait = Math.min(wait * 2, 5000);
        }
      }
      await sleep(Math.max(0, wait - (Date.now() - started)));
    }
  }
}

/** Decodes a photo: on the phone when possible, else through /api/v1/scan. */
async function readPhoto(f) {
  let bmp = null;
  try { bmp = await createImageBitmap(f); } catch { /* e.g. HEIC: send as is */ }
  const detector = bmp && await nativeDetector();
  if (detector) {
    try {
      for (const c of await detector.detect(bmp)) {
        const r = parseQR(c.rawValue);
        if (r) return { result: r };
      }
    } catch { /* fall back to the server */ }
  }
  let body = f, type = f.type;
  if (bmp) {
    body = await toJPEG(bmp, bmp.width, bmp.height, 2000);
    type = 'image/jpeg';
  }
  if (!body || (type !== 'image/jpeg' && type !== 'image/png')) return { error: 'scan.nocode' };
  try {
    const res = await call('POST', '/api/v1/scan', { body, type, timeout: 20000 });
    if (res.ok && res.data && res.data.noticeNumber) return { result: res.data };
    if (res.status === 429) return { error: 'rate' };
    return { error: 'scan.nocode' };
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    return { error: 'offline' };
  }
}
