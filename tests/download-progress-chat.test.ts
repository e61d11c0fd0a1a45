import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from './fakes/discord/server.js';
import { FakeHub, folderFiles } from './fakes/hub/server.js';
import { ROOT } from './helpers/assets.js';
import { startBotAgainstFake } from './helpers/discord.js';
import { startSlackAgainstFake } from './helpers/slack.js';

// First use in chat: the reply shows the model download as it goes, then the answer.
let hub: FakeHub;
beforeAll(async () => {
  hub = await new FakeHub().start();
  const f = folderFiles(path.join(ROOT, 'tests/fixtures/models/marian-tiny-es-en'));
  hub.commit('Xenova/opus-mt-es-en', {
    ...f,
    'onnx/encoder_model_quantized.onnx': f['onnx/encoder_model.onnx']!,
    'onnx/decoder_model_merged_quantized.onnx': f['onnx/decoder_model_merged.onnx']!,
  });
  // Slow enough that the download outlives the first progress edit.
  hub.chunkDelayMs = 300;
});
afterAll(() => hub.stop());
const env = () => ({ SINAPSIS_AUTO_DOWNLOAD: 'true', HF_ENDPOINT: hub.base });
const DOWNLOADING = /^⬇️ Descargando el modelo de traducción \(0\.1 MB\): \d+ %…$/;

describe('model download progress in chat replies', () => {
  it('Discord: "Descargando el modelo de traducción (0.1 MB): N %…", then the translation', async () => {
    const s = await startBotAgainstFake(env());
    try {
      const id = s.fake.command('translate', [{ name: 'text', type: 3, value: 'hola mundo' }], { locale: 'es-419' });
      const isEdit = (pred: (c: RecordedCall) => boolean) => (c: RecordedCall) =>
        c.method === 'PATCH' && c.path.includes(`/tok-${id}/messages/@original`) && pred(c);
      const final = await s.fake.waitFor(
        isEdit((c) => /es → en · opus-mt-es-en/.test(c.json?.content ?? '')),
        30_000,
      );
      const progress = s.fake.calls.filter(isEdit((c) => DOWNLOADING.test(c.json?.content ?? '')));
      expect(progress.length).toBeGreaterThan(0);
      expect(s.fake.calls.indexOf(progress.at(-1)!)).toBeLessThan(s.fake.calls.indexOf(final));
    } finally {
      await s.stop();
    }
  });

  it('Slack: the placeholder shows the download, then the answer replaces it', async () => {
    const s = await startSlackAgainstFake({ http: true, env: env() });
    try {
      s.fake.locales.set('U0000031', 'es-LA');
      await s.fake.sendSigned(
        s.port,
        new URLSearchParams(s.fake.slashPayload('/translate', 'gracias', 'U0000031')).toString(),
      );
      const final = await s.fake.waitFor(
        (c) => c.method === 'chat.update' && JSON.stringify(c.args).includes('opus-mt-es-en'),
        30_000,
      );
      const progress = s.fake.calls.filter(
        (c) =>
          (c.method === 'chat.update' || c.method === 'chat.postMessage') &&
          DOWNLOADING.test(String(c.args.text ?? '')),
      );
      expect(progress.length).toBeGreaterThan(0);
      expect(s.fake.calls.indexOf(progress.at(-1)!)).toBeLessThan(s.fake.calls.indexOf(final));
    } finally {
      await s.stop();
    }
  });
});
