import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FLAGS_MODULE = fileURLToPath(new URL('../../src/cli/v8-flags.js', import.meta.url));
const MAIN_SOURCE = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/**
 * Allocates from one literal site while keeping everything alive across young-generation
 * collections (what makes V8 tenure a site), then asks where a fresh object of that site
 * lands. With `flags`, the bridge's V8 settings are applied first, as `bridgekit` does.
 */
function youngAfterTraining(flags: boolean): number {
  const script = `
    ${flags ? `await import(${JSON.stringify(FLAGS_MODULE)});` : ''}
    function make(i) { return { kind: 'event', n: i, body: { text: 'x' } }; }
    const keep = [];
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 5000; i++) keep.push(make(i));
      gc({ type: 'minor' });
    }
    let young = 0;
    for (let i = 0; i < 1000; i++) if (%InYoungGeneration(make(i))) young++;
    console.log(young);`;
  const res = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  return Number(res.stdout.trim());
}

describe('cli: the V8 settings of a bridge process', () => {
  it('are the first thing bridgekit loads (ES modules run in import order)', () => {
    const firstImport = /^import\s+[^;]*;/m.exec(readFileSync(MAIN_SOURCE, 'utf8'))?.[0];
    assert.equal(firstImport, "import './v8-flags.js';");
  });

  it('keep per-event objects young even after their allocation site looked long-lived (no pretenuring)', function () {
    this.timeout(120_000);
    assert.equal(youngAfterTraining(true), 1000);
    // The same training without the settings: V8 (Node 20 and 24 at least) then allocates
    // the site's objects in the old generation, which is what the settings turn off.
    const control = youngAfterTraining(false);
    if (control === 1000) this.skip();
    assert.ok(control < 1000, `control: ${control}`);
  });
});
