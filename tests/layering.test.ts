import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const imports = (file: string) =>
  [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map(
    (m) => m[1]!,
  );

describe('layering knots stay untied', () => {
  it('tasks never import core (option value types live next to the spec)', () => {
    for (const f of readdirSync(path.join(ROOT, 'src/tasks')).filter((f) => f.endsWith('.ts'))) {
      expect(
        imports(`src/tasks/${f}`).filter((i) => i.includes('/core/')),
        f,
      ).toEqual([]);
    }
  });

  it('admin.ts does not import service.ts (RequestContext has its own module)', () => {
    expect(imports('src/core/admin.ts')).not.toContain('./service.js');
    expect(imports('src/core/request-context.ts')).not.toContain('./service.js');
  });

  it('the processor stands without a Service (what a worker process would build)', () => {
    expect(imports('src/core/processor.ts').filter((i) => i.includes('service') || i.includes('adapters'))).toEqual([]);
  });

  it('adapters take their stores from app.stores, never from the database', () => {
    const dir = path.join(ROOT, 'src/adapters');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const f of files) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/app\.db\b/);
  });
});
