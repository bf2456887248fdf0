import assert from 'node:assert/strict';
import { readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ACKED_MARK_FILE } from '../../src/inbox/index.js';
import { createLogger } from '../../src/log/logger.js';
import { makeEvent } from '../helpers/events.js';
import { bridgekit, OpsHarness, total } from '../metrics/harness.js';

const ROOM = '!loss:localhost';

function line(stdout: string, check: string): string {
  const found = stdout.split('\n').find((l) => l.slice(2).startsWith(`${check}:`));
  assert.ok(found, `no line for '${check}' in:\n${stdout}`);
  return found;
}

/** The newest LevelDB write-ahead log of a store folder. */
async function newestLog(storePath: string): Promise<string> {
  const logs = (await readdir(storePath)).filter((f) => /^\d+\.log$/.test(f)).sort();
  assert.ok(logs.length > 0, 'a .log file');
  return join(storePath, logs[logs.length - 1]!);
}

describe('cli: store problems (a damaged write-ahead log, a damaged or busy store)', function () {
  this.timeout(60_000);
  let h: OpsHarness;
  beforeEach(async () => { h = await OpsHarness.start({ metrics: true }); });
  afterEach(async () => { await h.stop(); });

  it('is found at start (error log, metric, recorded) and by doctor, and the bridge goes on', async () => {
    const storePath = h.config.store.path!;
    let bridge = await h.startBridge();
    for (let i = 0; i < 5; i++) assert.equal(await h.push(`t${i}`, { events: [makeEvent(ROOM), makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    await h.stopBridge();
    assert.ok((await stat(join(storePath, ACKED_MARK_FILE))).size > 0, 'the high-water mark is written by a clean stop');

    const before = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.match(line(before.stdout, 'journal intact'), /^✔ journal intact: .*journal at sequence 10, high-water mark 10/);

    // More transactions; then the newest writes are lost, as a machine crash with store.sync off can lose them.
    bridge = await h.startBridge();
    for (let i = 5; i < 8; i++) assert.equal(await h.push(`t${i}`, { events: [makeEvent(ROOM), makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    await h.stopBridge();
    await truncate(await newestLog(storePath), 0);
    const doctor = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(doctor.code, 1);
    assert.match(line(doctor.stdout, 'journal intact'),
      /^✘ journal intact: .*6 item\(s\) \(sequence numbers 10–15\) the homeserver was told were safe are missing from the journal: .*write-ahead log lost its newest writes.* — they cannot be recovered/);

    const lines: string[] = [];
    bridge = await h.startBridge(createLogger({ level: 'info' }, { write: (l: string) => { lines.push(l); } }));
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; lostItems?: number; store?: string })
      .filter((l) => l.level >= 50 && l.lostItems === 6);
    assert.equal(logged.length, 1, 'one error line at start');
    assert.match(logged[0]!.msg, /missing from the journal.*set store\.sync: true/);
    assert.equal(logged[0]!.store, storePath);
    const metrics = await (await fetch(`${bridge.metricsUrl}/metrics`)).text();
    assert.equal(total(metrics, 'bridgekit_journal_lost_items'), 6);
    // Sequence numbers are not handed out twice: the next transaction starts past the lost ones.
    assert.equal(await h.push('after', { events: [makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    await h.stopBridge();

    const later = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.match(line(later.stdout, 'journal intact'), /^! journal intact: .*6 item\(s\) answered 200 were found missing at a start on \d{4}-/);
  });

  it('doctor and run name a damaged store (truncated CURRENT) and the fix', async () => {
    await h.startBridge();
    await h.stopBridge();
    await truncate(join(h.config.store.path!, 'CURRENT'), 0);
    const doctor = await bridgekit(['doctor', '-c', h.configPath], h.dir.path);
    assert.equal(doctor.code, 1);
    assert.match(line(doctor.stdout, 'store writable'),
      new RegExp(`^✘ store writable: ${h.config.store.path!} is damaged \\(Corruption: CURRENT file does not end with newline\\) — restore the folder from a backup`));
    assert.match(line(doctor.stdout, 'journal intact'), /^- journal intact: skipped \(the store must open first\)/);
    const run = await bridgekit(['run', '-c', h.configPath], h.dir.path);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^bridgekit: the store ${h.config.store.path!} is damaged \\(Corruption: CURRENT file does not end with newline\\): restore the folder from a backup`));
  });

  it('a second `bridgekit run` on the same store says the store is in use, in one line', async () => {
    await h.startBridge();
    const second = await bridgekit(['run', '-c', h.configPath], h.dir.path);
    assert.equal(second.code, 1, second.stderr);
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`^bridgekit: the store ${h.config.store.path!} is in use by another process \\(another \`bridgekit run\` on the same store\\?\\): stop that process first`));
  });
});
