import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { compareWithSynapse, describeDifferences, EXPECTATION_FILE, readExpectation } from './expectation.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { observe, type Observations } from './run.js';
import { testHomeserverSubject } from './test-homeserver-subject.js';

/**
 * The test homeserver held to Synapse 1.94: every conformance scenario runs here and its
 * observation must equal what Synapse answered (test/conformance/synapse-1.94.json, recorded
 * by the e2e tier), except for the differences listed in known-differences.ts and
 * src/testing/README.md.
 */
describe('conformance: the test homeserver answers as Synapse 1.94 does', function () {
  this.timeout(60_000);
  let observed: Observations;
  let synapse: Observations;

  before(async () => {
    const subject = await testHomeserverSubject();
    try {
      observed = await observe(subject);
    } finally {
      await subject.stop();
    }
    synapse = await readExpectation();
  });

  it('records an observation for every scenario Synapse was observed on', () => {
    assert.deepEqual(Object.keys(observed).sort(), Object.keys(synapse).sort(), `scenarios changed: record ${EXPECTATION_FILE} again (npm run test:e2e with BRIDGEKIT_CONFORMANCE_RECORD=1)`);
  });

  it('differs from Synapse only where a known difference says so', () => {
    const { unexplained } = compareWithSynapse(synapse, observed);
    assert.equal(unexplained.length, 0, `the test homeserver differs from Synapse 1.94:\n${describeDifferences(unexplained)}`);
  });

  it('lists no known difference that no longer occurs', () => {
    const { stale } = compareWithSynapse(synapse, observed);
    assert.deepEqual(stale.map((k) => k.path), [], 'fixed: remove these from known-differences.ts and the README table');
  });

  it('lists every known difference in src/testing/README.md', async () => {
    const readme = await readFile(resolve(EXPECTATION_FILE, '..', '..', '..', 'src', 'testing', 'README.md'), 'utf8');
    const missing = KNOWN_DIFFERENCES.filter((k) => !readme.includes(`\`${k.path}\``));
    assert.deepEqual(missing.map((k) => k.path), []);
  });
});
