import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../src/models/manifest.js';
import { ModelRegistry } from '../src/models/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressText } from '../src/adapters/progress-text.js';
import { FakeHub, folderFiles } from './fakes/hub/server.js';
import { tempDir, testApp } from './helpers/app.js';
import { MODELS_DIR, ROOT } from './helpers/assets.js';
import { startWeb } from './helpers/web.js';

describe('what can run, told before Run', () => {
  it('auto-download off: commands whose model is missing are unavailable, with the exact command to fix it', async () => {
    const app = testApp();
    try {
      const translate = app.service.availability().find((a) => a.command === 'translate')!;
      expect(translate).toMatchObject({
        state: 'unavailable',
        reason: { code: 'auto_download_off', params: { command: 'npm run models:pull -- opus-mt-es-en' } },
      });
      // /explain always answers (lexical search) whatever its extras' state.
      expect(app.service.availability().find((a) => a.command === 'explain')!.state).toBe('installed');
    } finally {
      await app.dispose();
    }
  });

  it('the home page and the command page say "unavailable" with the reason, and Run is off', async () => {
    const s = await startWeb();
    try {
      const home = await (await fetch(`${s.url}/?lang=es`)).text();
      expect(home).toMatch(
        /\/traducir<\/a>[^<]*<span class="state unavailable" data-state="unavailable">\(No disponible\. Su modelo no está instalado/,
      );
      const page = await (await fetch(`${s.url}/c/translate?lang=en`)).text();
      expect(page).toContain('id="availability" class="availability unavailable"');
      expect(page).toContain('Ask an admin to run: npm run models:pull -- opus-mt-es-en');
      expect(page).toMatch(/<button type="submit" id="run" disabled>/);
      const api = (await (await fetch(`${s.url}/api/availability?lang=es`)).json()) as {
        command: string;
        text: string;
      }[];
      expect(api.find((a) => a.command === 'translate')!.text).toMatch(/^No disponible\. /);
    } finally {
      await s.stop();
    }
  });

  it('auto-download on: "downloads its model on first use (N MB)", and Run stays on', async () => {
    const s = await startWeb({ SINAPSIS_AUTO_DOWNLOAD: 'true', HF_ENDPOINT: 'http://127.0.0.1:9' });
    try {
      const page = await (await fetch(`${s.url}/c/translate?lang=es`)).text();
      expect(page).toContain('Descarga su modelo la primera vez que se usa (113 MB)');
      expect(page).toMatch(/<button type="submit" id="run">/);
    } finally {
      await s.stop();
    }
  });

  it('download progress reads the same on every chat platform', () => {
    expect(
      progressText({ kind: 'download', model: 'opus-mt-es-en', task: 'translate', bytes: 45, total: 100 }, 'es'),
    ).toBe('⬇️ Descargando el modelo de traducción (0.1 MB): 45 %…');
    expect(
      progressText({ kind: 'download', model: 'qwen', task: 'generate-text', bytes: 256e6, total: 512e6 }, 'en'),
    ).toBe('⬇️ Downloading the text model (512 MB): 50 %…');
    expect(progressText({ text: 'Había una vez' }, 'es')).toBe('Había una vez ▌');
  });
});

describe('CLI: models status', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await new FakeHub().start();
    const f = folderFiles(path.join(ROOT, 'tests/fixtures/models/marian-tiny-es-en'));
    hub.commit('Xenova/opus-mt-es-en', {
      ...f,
      'onnx/encoder_model_quantized.onnx': f['onnx/encoder_model.onnx']!,
      'onnx/decoder_model_merged_quantized.onnx': f['onnx/decoder_model_merged.onnx']!,
    });
  });
  afterAll(() => hub.stop());
  // Asynchronous: the fake hub answers from this very process.
  const run = (script: string, args: string[], env: Record<string, string>) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'npm',
        ['run', '--silent', script, '--', ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { ...process.env, SINAPSIS_MODELS_DIR: MODELS_DIR, LANG: 'C', ...env },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const cli = (args: string[], env: Record<string, string>) => run('cli', args, env);

  it('--json prints one row per command and model; after a pull the model is installed and locked on first use', async () => {
    const env = { SINAPSIS_DATA_DIR: tempDir(), HF_ENDPOINT: hub.base, SINAPSIS_AUTO_DOWNLOAD: 'false' };
    const before = JSON.parse((await cli(['models', 'status', '--json'], env)).stdout);
    expect(before.find((r: { model: string }) => r.model === 'opus-mt-es-en')).toEqual({
      command: 'translate',
      model: 'opus-mt-es-en',
      repo: 'Xenova/opus-mt-es-en',
      commit: null,
      state: 'unavailable',
      bytes: 113e6,
      licence: 'CC-BY-4.0',
      locked_by: null,
      reason: 'auto_download_off',
    });
    const pull = await run('models:pull', ['opus-mt-es-en'], env);
    expect(pull.status, pull.stderr).toBe(0);
    expect(pull.stdout).toMatch(
      /opus-mt-es-en: installed Xenova\/opus-mt-es-en@[0-9a-f]{40} \(6 files, verified, locked by first-use\)/,
    );
    const after = JSON.parse((await cli(['models', 'status', '--json'], env)).stdout);
    expect(after.find((r: { model: string }) => r.model === 'opus-mt-es-en')).toMatchObject({
      state: 'installed',
      locked_by: 'first-use',
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
  });

  it('models:lock pins a hub default in the committed lock (nothing downloaded); a registry using it says locked_by "repo"', async () => {
    const out = path.join(tempDir(), 'models.lock.json');
    hub.requests.length = 0;
    const r = await run('models:lock', ['opus-mt-es-en'], {
      SINAPSIS_DATA_DIR: tempDir(),
      HF_ENDPOINT: hub.base,
      SINAPSIS_LOCK_OUT: out,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^opus-mt-es-en: Xenova\/opus-mt-es-en@[0-9a-f]{40} \(main\)/);
    expect(r.stdout).toMatch(/onnx\/encoder_model_quantized\.onnx 50373 bytes sha256 [0-9a-f]{64}/);
    expect(r.stdout).toMatch(/config\.json \d+ bytes git sha1 [0-9a-f]{40}/);
    const lock = JSON.parse(readFileSync(out, 'utf8'));
    expect(lock.models['opus-mt-es-en'].files).toHaveLength(6);
    const firstUse = path.join(tempDir(), 'l.json');
    const reg = new ModelRegistry(readManifest(), {
      dirs: { cache: tempDir() },
      autoDownload: true,
      ortThreads: 1,
      hub: { endpoint: hub.base },
      committedLock: out,
      lockFile: firstUse,
    });
    expect(reg.state('opus-mt-es-en', 'translate')).toMatchObject({
      locked_by: 'repo',
      commit: lock.models['opus-mt-es-en'].commit,
      state: 'download',
      bytes: lock.models['opus-mt-es-en'].files.reduce((n: number, f: { size: number }) => n + f.size, 0),
    });
    hub.requests.length = 0;
    expect((await reg.files('opus-mt-es-en')).length).toBe(6);
    // Pinned by the committed lock, nothing was written to the first-use lock.
    expect(existsSync(firstUse)).toBe(false);
    expect(hub.requests.filter((q) => q.url.includes('/api/')).length).toBe(0);
  });

  it('models:pull prints a real error per model (status and host), never just "fetch failed"', async () => {
    const env = { SINAPSIS_DATA_DIR: tempDir(), HF_ENDPOINT: hub.base };
    const pull = await run('models:pull', ['opus-mt-en-es'], env);
    expect(pull.status).toBe(1);
    expect(pull.stderr).toMatch(/opus-mt-en-es: .*Xenova\/opus-mt-en-es does not exist on 127\.0\.0\.1:\d+ .*HTTP 404/);
    expect(pull.stderr).not.toMatch(/fetch failed/);
  });
});
