import assert from 'node:assert/strict';
import { compareWithSynapse, describeDifferences, readExpectation, writeExpectation } from '../../conformance/expectation.js';
import { differences } from '../../conformance/observe.js';
import { observe, type Observations } from '../../conformance/run.js';
import { testHomeserverSubject } from '../../conformance/test-homeserver-subject.js';
import { e2e } from '../harness/index.js';
import { synapseSubject } from './synapse-subject.js';

/**
 * The conformance scenarios on the real Synapse and, in the same run, on a test homeserver:
 * Synapse must still answer as recorded (test/conformance/synapse-1.94.json; record again
 * with BRIDGEKIT_CONFORMANCE_RECORD=1), and the two must differ only where known.
 */
describe('conformance: Synapse and the test homeserver, live', function () {
  this.timeout(240_000);
  let synapse: Observations;
  let testHomeserver: Observations;

  before(async () => {
    const ctx = await e2e();
    const subject = await synapseSubject(ctx);
    try {
      synapse = await observe(subject);
    } finally {
      await subject.stop();
    }
    if (process.env['BRIDGEKIT_CONFORMANCE_RECORD'] === '1') await writeExpectation(synapse);
    const local = await testHomeserverSubject();
    try {
      testHomeserver = await observe(local);
    } finally {
      await local.stop();
    }
  });

  it('Synapse answers as recorded in test/conformance/synapse-1.94.json', async () => {
    const drift = differences(await readExpectation(), synapse);
    assert.equal(drift.length, 0, `Synapse no longer answers as recorded:\n${describeDifferences(drift, { expected: 'recorded', actual: 'Synapse now' })}`);
  });

  it('the test homeserver differs from this Synapse only where a known difference says so', () => {
    const { unexplained, stale } = compareWithSynapse(synapse, testHomeserver);
    assert.equal(unexplained.length, 0, `differences:\n${describeDifferences(unexplained)}`);
    assert.deepEqual(stale.map((k) => k.path), []);
  });
});
