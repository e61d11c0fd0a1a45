// One of the `bench -- gate` admitting processes: `attempts` admissions (check + count under the
// store's per-server admission), `concurrency` in flight, all for one user on one server.
import { Gate } from '../src/core/gate.js';
import { SinapsisError } from '../src/errors.js';
import { pgStores } from '../src/store/stores.js';

const [url, attempts = '200', concurrency = '8'] = process.argv.slice(2);
const stores = pgStores({ url: url! });
await stores.ready();
const gate = new Gate(stores.rules, { timeZone: 'America/Argentina/Buenos_Aires' });
const ctx = { platform: 'bench', userId: 'ana', serverId: 'S1' };
let next = 0;
let ok = 0;
let refused = 0;
const t = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next++ < Number(attempts)) {
      try {
        await stores.admission('S1', async () => {
          await gate.check('explain', ctx);
          await gate.count('explain', ctx);
        });
        ok++;
      } catch (err) {
        if (!(err instanceof SinapsisError)) throw err;
        refused++;
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ ok, refused, ms: performance.now() - t })}\n`);
await stores.close();
