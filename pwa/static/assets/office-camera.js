// The officer's camera on the issue form (issue 14): a live preview from
// the phone's rear camera and a shutter; each shot is a JPEG kept in the
// form until the fine is issued, then uploaded (the server re-encodes it
// and strips any metadata). A file picker stays as the fallback.
import { t } from '{{/assets/i18n.js}}';
import { h } from '{{/assets/util.js}}';

/**
 * Returns {el, shots, stop}: the field's element, the list of blobs taken
 * and a function that releases the camera.
 */
export function cameraField() {
  const shots = [];
  let stream = null;
  const status = h('p', { class: 'hint', id: 'fine-camera-status', 'aria-live': 'polite' });
  const thumbs = h('div', { class: 'photos', id: 'fine-shots' });
  const video = h('video', { id: 'fine-camera', class: 'evidence', playsinline: true, muted: true, autoplay: true, hidden: true, 'aria-label': t('off.camera.preview') });
  const shutter = h('button', { type: 'button', class: 'btn btn-primary', id: 'fine-shutter', hidden: true, text: t('off.camera.shoot') });
  const open = h('button', { type: 'button', class: 'btn btn-secondary', id: 'fine-camera-open', text: t('off.camera.open') });
  const stop = () => { if (stream) for (const tr of stream.getTracks()) tr.stop(); stream = null; video.hidden = true; shutter.hidden = true; open.hidden = false; };
  open.addEventListener('click', async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status.textContent = t('off.camera.none'); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1600 } } });
    } catch { status.textContent = t('off.camera.none'); return; }
    video.srcObject = stream;
    video.hidden = false; shutter.hidden = false; open.hidden = true;
    try { await video.play(); } catch { /* muted video plays anyway */ }
    shutter.focus();
  });
  shutter.addEventListener('click', () => {
    if (!video.videoWidth) return;
    const c = document.createElement('canvas');
    c.width = video.videoWidth; c.height = video.videoHeight;
    c.getContext('2d').drawImage(video, 0, 0);
    c.toBlob((b) => {
      if (!b) return;
      shots.push(b);
      thumbs.append(h('img', { class: 'evidence thumb', src: URL.createObjectURL(b), alt: t('off.camera.shot', { n: shots.length }) }));
      status.textContent = t('off.camera.taken', { n: shots.length });
    }, 'image/jpeg', 0.9);
  });
  const el = h('div', { class: 'field', id: 'fine-camera-field' },
    h('p', { class: 'lbl', text: t('off.photos') }), h('p', { class: 'hint', text: t('off.photos.hint') }),
    open, video, shutter, status, thumbs);
  return { el, shots, stop };
}
