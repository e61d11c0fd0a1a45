import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { pngClaiming } from './helpers/images.js';

/** Runs the CLI exactly as documented: `npm run --silent cli -- ...`. */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('npm', ['run', '--silent', 'cli', '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      SINAPSIS_DATA_DIR: tempDir(),
      SINAPSIS_MODELS_DIR: MODELS_DIR,
      SINAPSIS_AUTO_DOWNLOAD: 'false',
      LANG: 'C',
      ...env,
    },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout must be exactly one JSON document. */
function json(stdout: string) {
  expect(stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(stdout);
}

const photo = path.join(facesDir, '2008_001009.jpg');

/** A plain generated JPEG, so these cases need nothing from ../shared. */
async function anyJpeg(): Promise<string> {
  const file = path.join(tempDir(), 'grey.jpg');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#888' } })
    .jpeg()
    .toFile(file);
  return file;
}

describe('CLI without models', () => {
  it('unknown command: exit 2 and an error document', () => {
    const r = cli(['paint', '--json']);
    expect(r.code).toBe(2);
    expect(json(r.stdout).error.code).toBe('unknown_command');
  });

  it('help lists every command from the specs, in Spanish with --lang es', () => {
    const r = cli(['--help', '--lang', 'es']);
    expect(r.code).toBe(0);
    for (const c of ['translate', 'generate-text', 'colorize', 'detect-faces', 'explain'])
      expect(r.stdout).toContain(c);
    expect(r.stdout).not.toContain('todavía no disponible');
  });

  it('/colorize with its default model not installed and downloads off says how to install it, localized, never a fake result', async () => {
    const r = cli(['colorize', '--image', await anyJpeg(), '--json', '--lang', 'es'], { SINAPSIS_COLORIZE_MODEL: '' });
    expect(r.code).toBe(1);
    expect(json(r.stdout).error).toEqual({
      code: 'model_missing',
      message: expect.stringMatching(
        /descargas automáticas están desactivadas\. Un administrador lo puede instalar con: npm run models:pull -- ddcolor-tiny$/,
      ),
    });
  });

  it('a missing model file: model_missing', async () => {
    const r = cli(['detect-faces', '--image', await anyJpeg(), '--json'], { SINAPSIS_MODELS_DIR: tempDir() });
    expect(r.code).toBe(1);
    expect(json(r.stdout).error.code).toBe('model_missing');
  });

  it('a corrupt model file: model_corrupt', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'yunet'));
    writeFileSync(path.join(dir, 'yunet/yunet_n_640_640.onnx'), Buffer.alloc(317466, 7));
    const r = cli(['detect-faces', '--image', await anyJpeg(), '--json'], { SINAPSIS_MODELS_DIR: dir });
    expect(r.code).toBe(1);
    expect(json(r.stdout).error.code).toBe('model_corrupt');
  });
});

describeWith('CLI detect-faces', [yunetFile, photo], () => {
  it('prints {"faces":[{box,score,landmarks}],"image"} in original-image pixels and writes the picture (JPEG for a photo)', async () => {
    const out = tempDir();
    const r = cli(['detect-faces', '--image', photo, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const doc = json(r.stdout);
    expect(doc.faces).toHaveLength(2);
    for (const f of doc.faces) {
      expect(f.box).toHaveLength(4);
      expect(f.landmarks).toHaveLength(5);
      expect(f.score).toBeGreaterThan(0.6);
      expect(f.box[0] + f.box[2]).toBeLessThanOrEqual(360);
      expect(f.box[1] + f.box[3]).toBeLessThanOrEqual(480);
    }
    expect(path.dirname(doc.image)).toBe(out);
    expect((await sharp(doc.image).metadata()).format).toBe('jpeg');
    expect(doc.image).toMatch(/\.jpg$/);
  });

  it('bad inputs exit non-zero with the error document', () => {
    const dir = tempDir();
    const cases: [string, Buffer, string][] = [
      ['text.jpg', Buffer.from('hello'), 'not_an_image'],
      ['bomb.png', pngClaiming(30000, 30000), 'image_too_many_pixels'],
      ['huge.jpg', Buffer.alloc(50 * 1024 * 1024), 'upload_too_large'],
    ];
    for (const [name, bytes, code] of cases) {
      writeFileSync(path.join(dir, name), bytes);
      const r = cli(['detect-faces', '--image', path.join(dir, name), '--json']);
      expect(r.code, name).toBe(1);
      expect(json(r.stdout).error.code, name).toBe(code);
    }
    const unknown = cli(['detect-faces', '--image', photo, '--colour', 'red', '--json']);
    expect(unknown.code).toBe(2);
    expect(json(unknown.stdout).error.code).toBe('unknown_option');
  });
});

describe('CLI --sample: the shipped photos', () => {
  it('help shows the spec’s examples and the sample photos, in the chosen language', () => {
    const r = cli(['detect-faces', '--help', '--lang', 'es']);
    expect(r.stdout).toContain(
      'npm run --silent cli -- detect-faces --sample astronaut --blur   # Astronauta, cara difuminada',
    );
    expect(r.stdout).toMatch(/astronaut +La astronauta Eileen Collins \(NASA, public domain\)/);
  });

  it('an unknown sample, or a sample for a command without a photo: exit 2 with a clear error', () => {
    const bad = cli(['colorize', '--sample', 'nope', '--json']);
    expect(bad.code).toBe(2);
    expect(json(bad.stdout).error.message).toMatch(/sample.*astronaut, camera, coffee, chelsea/);
    const none = cli(['translate', '--text', 'hola', '--sample', 'astronaut', '--json']);
    expect(none.code).toBe(2);
    expect(json(none.stdout).error.message).toMatch(/translate takes no photo/);
  });
});

describeWith('CLI --sample with YuNet', [yunetFile], () => {
  it('detect-faces --sample astronaut finds her face', () => {
    const r = cli(['detect-faces', '--sample', 'astronaut', '--json', '--out', tempDir()]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).faces).toHaveLength(1);
  });
});
