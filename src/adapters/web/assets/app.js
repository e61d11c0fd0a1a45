// Sinapsis playground: examples, photo input (choose, drop, paste, camera),
// live progress over Server-Sent Events, cancel, results first.
// Plain browser JavaScript, no framework, no inline handlers (strict CSP).

(() => {
  const form = document.getElementById('form');
  if (!form) return;
  const ui = JSON.parse(form.dataset.ui || '{}');
  const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  const statusEl = document.getElementById('status');
  const resultEl = document.getElementById('result');
  const runBtn = document.getElementById('run');
  const cancelBtn = document.getElementById('cancel');
  const output = document.querySelector('.output');
  /** Photo chosen per image option: from the file input, a drop, a paste, the camera or an example. */
  const chosen = {};
  const imageFields = [...document.querySelectorAll('[data-image]')];

  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') e.className = v;
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v);
    }
    e.append(...children.filter((c) => c !== undefined && c !== null));
    return e;
  };
  const kb = (n) =>
    n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
  const lang = document.documentElement.lang || 'en';
  const secs = (ms) =>
    `${(ms / 1000).toLocaleString(lang, { maximumFractionDigits: ms < 10000 ? 1 : 0, minimumFractionDigits: ms < 10000 ? 1 : 0 })} s`;

  // ---- photo input -------------------------------------------------------
  const isImage = (f) => f && /^image\/(jpeg|png|webp)$/.test(f.type);

  function setPhoto(name, file) {
    const field = document.querySelector(`[data-image="${name}"]`);
    if (!field) return;
    const preview = field.querySelector('.preview');
    const img = preview.querySelector('img');
    const meta = preview.querySelector('.meta');
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    if (!file) {
      delete chosen[name];
      preview.hidden = true;
      img.removeAttribute('src');
      field.querySelector('input[type=file]').value = '';
      return;
    }
    chosen[name] = file;
    img.src = URL.createObjectURL(file);
    img.alt = `${ui.chosen}: ${file.name}`;
    meta.textContent = `${file.name} · ${kb(file.size)}`;
    img
      .decode()
      .then(() => (meta.textContent = `${file.name} · ${img.naturalWidth}×${img.naturalHeight} px · ${kb(file.size)}`))
      .catch(() => {});
    preview.hidden = false;
  }

  for (const field of imageFields) {
    const name = field.dataset.image;
    for (const input of field.querySelectorAll('input[type=file]')) {
      input.addEventListener('change', () => {
        const f = input.files && input.files[0];
        if (f) setPhoto(name, f);
      });
    }
    field.querySelector('.remove').addEventListener('click', () => {
      setPhoto(name, null);
      field.querySelector('input[type=file]').focus();
    });
  }

  const firstImage = () => imageFields[0] && imageFields[0].dataset.image;
  const showError = (msg) => {
    resultEl.replaceChildren(el('div', { class: 'error', id: 'error', role: 'alert' }, msg));
  };

  // Drop or paste anywhere on the page: the photo goes to the (first) image option.
  if (imageFields.length) {
    let depth = 0;
    document.addEventListener('dragenter', (e) => {
      if ([...(e.dataTransfer?.types || [])].includes('Files')) {
        depth++;
        document.body.classList.add('dragging');
      }
    });
    document.addEventListener('dragleave', () => {
      if (--depth <= 0) {
        depth = 0;
        document.body.classList.remove('dragging');
      }
    });
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      document.body.classList.remove('dragging');
      const f = e.dataTransfer?.files?.[0];
      if (!f) return;
      if (isImage(f)) setPhoto(firstImage(), f);
      else showError(ui.notImage);
    });
    document.addEventListener('paste', (e) => {
      const f = [...(e.clipboardData?.files || [])].find(isImage);
      if (f) {
        e.preventDefault();
        setPhoto(
          firstImage(),
          new File([f], f.name && f.name !== 'image.png' ? f.name : `pasted.${f.type.split('/')[1]}`, { type: f.type }),
        );
      }
    });
  }

  // ---- examples ----------------------------------------------------------
  for (const btn of document.querySelectorAll('button.example')) {
    btn.addEventListener('click', async () => {
      const ex = JSON.parse(btn.dataset.example);
      form.reset();
      for (const f of imageFields) setPhoto(f.dataset.image, null);
      for (const [k, v] of Object.entries(ex.options || {})) {
        const input = form.elements.namedItem(k);
        if (!input) continue;
        if (input.type === 'checkbox') input.checked = v === true || v === 'true';
        else input.value = String(v);
      }
      if (ex.sample && imageFields.length) {
        const r = await fetch(ex.sample.url);
        const blob = await r.blob();
        setPhoto(firstImage(), new File([blob], ex.sample.name, { type: blob.type || 'image/jpeg' }));
      }
      run();
    });
  }

  // ---- running: SSE over fetch (POST carries the photo) -------------------
  let current = null;

  function formData() {
    const fd = new FormData();
    for (const input of form.elements) {
      if (!input.name || input.type === 'file' || input.disabled) continue;
      if (input.type === 'checkbox') fd.append(input.name, input.checked ? 'true' : 'false');
      else if (input.value !== '') fd.append(input.name, input.value);
    }
    for (const [name, file] of Object.entries(chosen)) fd.append(name, file, file.name);
    return fd;
  }

  /** **bold** as <strong>, _italic_ as <em> (as chat shows them), the rest as plain text (never as HTML). */
  function rich(text) {
    const frag = document.createDocumentFragment();
    let at = 0;
    for (const m of text.matchAll(/\*\*(.+?)\*\*|(?<![\p{L}\p{N}_])_([^_\n]+?)_(?![\p{L}\p{N}_])/gu)) {
      frag.append(document.createTextNode(text.slice(at, m.index)));
      frag.append(m[1] !== undefined ? el('strong', {}, m[1]) : el('em', {}, m[2]));
      at = m.index + m[0].length;
    }
    frag.append(document.createTextNode(text.slice(at)));
    return frag;
  }

  // Runs of list-like lines ("#1: …", "- …", "1. …") longer than this are collapsed.
  const LIST_LINE = /^(#\d+[:.]|[-•*] |\d+[.)] )/;
  const LIST_OPEN = 3;

  function textBlock(text, prompt) {
    const box = el('div', { class: 'text', id: 'result-text' });
    if (prompt) box.append(el('span', { class: 'prompt', title: ui.you }, prompt));
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let j = i;
      while (j < lines.length && LIST_LINE.test(lines[j])) j++;
      if (j - i > LIST_OPEN) {
        const list = el('ul', {}, ...lines.slice(i, j).map((l) => el('li', {}, rich(l))));
        box.append(el('details', {}, el('summary', {}, fill(ui.showLines, { n: j - i })), list));
        i = j - 1;
        continue;
      }
      box.append(rich(lines[i]), i < lines.length - 1 ? '\n' : '');
    }
    return box;
  }

  function figure(im) {
    const img = el('img', { class: 'result-image', src: im.preview || im.url, alt: im.alt || '' });
    if (im.width && im.height) {
      img.width = im.width;
      img.height = im.height;
    }
    const ext = (im.name.split('.').pop() || '').toUpperCase();
    return el(
      'figure',
      {},
      img,
      el(
        'figcaption',
        {},
        el('span', {}, im.alt || im.name),
        el('a', { href: im.download, download: im.name, class: 'download' }, `${ui.download} (${ext})`),
      ),
    );
  }

  /** On a narrow screen the result is below the form: bring it into view (the picture first). */
  const narrow = () => window.matchMedia('(max-width: 959px)').matches;
  const reveal = () => narrow() && output.scrollIntoView({ block: 'start' });

  /** A follow-up (e.g. "Más simple") fills the form with its options, clears the other fields, and runs it. */
  function followUps(list) {
    const box = el('div', { id: 'follow-ups', class: 'actions' });
    for (const f of list) {
      const b = el('button', { type: 'button', class: 'follow-up secondary' }, f.label);
      b.addEventListener('click', () => {
        for (const input of form.elements) {
          if (!input.name || input.type === 'file' || input.type === 'submit') continue;
          const v = f.options[input.name];
          if (input.type === 'checkbox') input.checked = v === true;
          else input.value = v === undefined ? '' : String(v);
        }
        run();
      });
      box.append(b);
    }
    return box;
  }

  function showResult(j, prompt) {
    const figures = (j.images || []).map(figure);
    const text = textBlock(j.text || '', prompt);
    const more = j.follow_ups && j.follow_ups.length ? [followUps(j.follow_ups)] : [];
    resultEl.replaceChildren(...(form.dataset.imageFirst ? [...figures, text] : [text, ...figures]), ...more);
    reveal();
  }

  let ticker = null;
  function setStatus(text, bar) {
    statusEl.replaceChildren(text);
    if (bar) statusEl.append(bar);
  }

  function progressText(p) {
    const done = p.loaded ?? p.bytes ?? p.done;
    const total = p.total;
    if (typeof done === 'number' && typeof total === 'number' && total > 0) {
      const name = p.model || p.file || '';
      const label = fill(ui.downloading, {
        name: name ? ` ${name}` : '',
        p: `${Math.floor((done / total) * 100)}% (${kb(done)} / ${kb(total)})`,
      });
      return [label, el('progress', { max: String(total), value: String(done) })];
    }
    if (typeof p.message === 'string') return [p.message];
    if (typeof p.percent === 'number') return [`${Math.round(p.percent)}%`];
    return null;
  }

  async function run() {
    if (current) return;
    const missing = imageFields.find(
      (f) => f.querySelector('input[type=file]').getAttribute('aria-required') === 'true' && !chosen[f.dataset.image],
    );
    if (missing) {
      showError(ui.needImage);
      missing.querySelector('input[type=file]').focus();
      return;
    }
    const ctrl = new AbortController();
    const job = { ctrl, id: null, cancelUrl: null, started: performance.now(), runningSince: null, cancelled: false };
    current = job;
    const continues = form.dataset.continues;
    const prompt = continues && form.elements.namedItem(continues) ? form.elements.namedItem(continues).value : '';
    runBtn.disabled = true;
    cancelBtn.hidden = false;
    resultEl.setAttribute('aria-busy', 'true');
    resultEl.replaceChildren();
    setStatus(ui.sending);
    let streamBox = null;
    let lastExtra = null;
    const elapsed = () => secs(performance.now() - (job.runningSince ?? job.started));
    const tick = () => setStatus(fill(ui.running, { s: elapsed() }), lastExtra);
    /** Reads one event stream; true once the outcome (result or error) came. */
    const readStream = async (r) => {
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let done = false;
      while (!done) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const d = JSON.parse(data);
          form.dispatchEvent(new CustomEvent('sinapsis:event', { detail: { event, data: d } }));
          if (event === 'job') {
            job.id = d.id;
            job.cancelUrl = d.cancel;
          } else if (event === 'queued') {
            setStatus(fill(ui.queued, { n: d.position }));
          } else if (event === 'running') {
            job.runningSince = performance.now();
            tick();
            clearInterval(ticker);
            ticker = setInterval(tick, 500);
          } else if (event === 'progress') {
            if (typeof d.text === 'string') {
              if (!streamBox) {
                streamBox = resultEl.appendChild(el('div', { class: 'text streaming', id: 'stream-text' }));
                reveal();
              }
              streamBox.replaceChildren(...(prompt ? [el('span', { class: 'prompt' }, prompt)] : []), d.text);
            } else {
              const shown = progressText(d);
              if (shown) {
                lastExtra = el('span', {}, ...shown);
                tick();
              }
            }
          } else if (event === 'result') {
            clearInterval(ticker);
            showResult(d, prompt);
            setStatus(fill(ui.done, { s: secs(d.elapsedMs) }));
            done = true;
          } else if (event === 'error') {
            clearInterval(ticker);
            if (d.code === 'cancelled') {
              setStatus(ui.cancelled);
              if (!streamBox) resultEl.replaceChildren();
            } else {
              setStatus('');
              showError(d.message);
              reveal();
            }
            done = true;
          }
        }
      }
      return done;
    };
    try {
      const r = await fetch(form.dataset.stream, { method: 'POST', body: formData(), signal: ctrl.signal });
      if (!(r.headers.get('content-type') || '').startsWith('text/event-stream')) {
        const j = await r.json().catch(() => ({ error: { message: `${ui.failed} (HTTP ${r.status})` } }));
        throw new Error(j.error ? j.error.message : `${ui.failed} (HTTP ${r.status})`);
      }
      let done = false;
      try {
        done = await readStream(r);
      } catch (e) {
        // The connection dropped mid-job (network error): re-attach below if the job has an id.
        if (job.cancelled || !job.id) throw e;
      }
      // The server went away before answering (a restart): it re-runs the job, and this page
      // re-attaches by job id, retrying while the server is down (5 minutes at most).
      const until = performance.now() + 5 * 60_000;
      while (!done && job.id && !job.cancelled) {
        if (performance.now() > until) throw new Error(ui.failed);
        setStatus(ui.reconnecting || '…');
        await new Promise((ok) => setTimeout(ok, 2000));
        let again;
        try {
          again = await fetch(`/api/jobs/${encodeURIComponent(job.id)}/events`, { signal: ctrl.signal });
        } catch (e) {
          if (job.cancelled) throw e;
          continue;
        }
        if (!(again.headers.get('content-type') || '').startsWith('text/event-stream')) {
          const j = await again.json().catch(() => null);
          // Our own answer (the job is gone: not re-run) ends it; a proxy's 502 while restarting does not.
          if (j && j.error) throw new Error(j.error.message);
          continue;
        }
        try {
          done = await readStream(again);
        } catch (e) {
          if (job.cancelled) throw e;
        }
      }
      if (!done && !job.cancelled) throw new Error(ui.failed);
    } catch (e) {
      clearInterval(ticker);
      if (job.cancelled) setStatus(ui.cancelled);
      else {
        setStatus('');
        showError(e && e.name !== 'TypeError' ? e.message : `${ui.failed}: ${e}`);
      }
    } finally {
      clearInterval(ticker);
      current = null;
      runBtn.disabled = false;
      cancelBtn.hidden = true;
      resultEl.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });

  cancelBtn.addEventListener('click', async () => {
    const job = current;
    if (!job) return;
    job.cancelled = true;
    setStatus(ui.cancelling);
    // Ask the server to stop the job, then close the stream (closing alone also cancels it).
    if (job.cancelUrl) await fetch(job.cancelUrl, { method: 'POST' }).catch(() => {});
    job.ctrl.abort();
    runBtn.focus();
  });
})();
