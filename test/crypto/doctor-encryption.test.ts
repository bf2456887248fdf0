import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { bridgekit, OpsHarness } from '../metrics/harness.js';
import { doctorLine as line } from '../helpers/doctor-output.js';


/**
 * `bridgekit doctor` with encryption enabled, against the test homeserver, which (like a
 * Synapse without msc3202_device_masquerading) ignores `org.matrix.msc3202.device_id`.
 * The passing case is checked against Synapse 1.94 in docs/encryption.md's setup.
 */
describe('cli: doctor, encryption', function () {
  let h: OpsHarness;
  beforeEach(async () => { h = await OpsHarness.start(); });
  afterEach(async () => { await h.stop(); });

  async function enableEncryption(): Promise<void> {
    const config = parse(await readFile(h.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(h.configPath, stringify({ ...config, encryption: { enabled: true } }));
  }

  it('skips the check when encryption is off', async () => {
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.match(line(res.stdout, 'encryption supported'), /^- encryption supported: skipped \(encryption.enabled is false\)/);
  });

  it('fails when the registration does not opt in to MSC3202', async () => {
    await enableEncryption();
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'encryption supported'), /^✘ encryption supported: the registration lacks org\.matrix\.msc3202: true — /);
  });

  it('fails, naming the Synapse settings, when the homeserver ignores device masquerading', async () => {
    await enableEncryption();
    await h.writeRegistration({ 'org.matrix.msc3202': true });
    const res = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(line(res.stdout, 'encryption supported'), /^✘ encryption supported: the homeserver ignored org\.matrix\.msc3202\.device_id .*msc3202_device_masquerading: true/);
  });
});
