import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { progress } from '../../src/cli/progress.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { bridgekit } from '../metrics/harness.js';

function capture(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, ...(columns !== undefined ? { columns } : {}), write: (text: string) => writes.push(text) } };
}

describe('cli: progress', () => {
  it('draws one bar in place with \\r on a terminal', () => {
    const { writes, stream } = capture(true, 80);
    const p = progress(4, 'resync', stream);
    p.tick();
    p.tick(3);
    p.done();
    const text = writes.join('');
    assert.ok(writes.every((w) => w.startsWith('\r')), 'every draw returns to the line start');
    assert.equal(text.split('\n').length, 2, 'a single line, ended once');
    assert.match(text, /\rresync \[#{30}\] 100% 4\/4 in \d+\.\d s\n$/);
    assert.match(writes[0]!, /^\rresync \[-{30}\] 0% 0\/4$/);
  });

  it('keeps the bar inside the terminal width', () => {
    const { writes, stream } = capture(true, 20);
    progress(10, 'a long label here', stream).tick();
    assert.ok(writes.every((w) => w.length <= 20));
  });

  it('writes a plain line per 10 % off a terminal, and a last one with the time', () => {
    const { writes, stream } = capture(false);
    const p = progress(1000, 'replay', stream);
    for (let i = 0; i < 1000; i++) p.tick();
    p.done();
    assert.equal(writes.length, 10, writes.join(''));
    assert.equal(writes[0], 'replay: 100/1000 (10%)\n');
    assert.equal(writes[8], 'replay: 900/1000 (90%)\n');
    assert.match(writes[9]!, /^replay: 1000\/1000 \(100%\) done in \d+\.\d s\n$/);
    assert.ok(writes.every((w) => !w.includes('\r')));
  });

  it('writes a line at least every second when progress is slow', async () => {
    const { writes, stream } = capture(false);
    const p = progress(1000, 'slow', stream);
    await new Promise((r) => setTimeout(r, 1_050));
    p.tick();
    assert.deepEqual(writes, ['slow: 1/1000 (0%)\n']);
  });

  it('shows progress lines when dead-letters replay moves many letters', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'config.yaml'), stringify({
        homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
        appservice: { id: 'echo', url: null, port: 9000, registration: 'registration.yaml', bot: 'echobot', prefix: '_echo_' },
        store: { path: './data' },
        bridge: { plugin: 'echo' },
      }));
      const store = await Store.open(join(dir.path, 'data'));
      const letters = store.section('inbox.dead-letters');
      for (let seq = 0; seq < 250; seq++) {
        await letters.put(String(seq).padStart(16, '0'), {
          seq, txnId: 't', receivedAt: 1, attempts: 6, error: 'x', failedAt: 1,
          item: { kind: 'event', event: { type: 'm.room.message', event_id: `$e${seq}`, room_id: '!r:localhost', sender: '@a:localhost', origin_server_ts: 1, content: {} } },
        });
      }
      await store.close();
      const res = await bridgekit(['dead-letters', 'replay', '-c', 'config.yaml'], dir.path);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^replay: 100\/250 \(40%\)$/m);
      assert.match(res.stdout, /^replay: 200\/250 \(80%\)$/m);
      assert.match(res.stdout, /^replay: 250\/250 \(100%\) done in/m);
      assert.match(res.stdout, /moved 250 dead letter\(s\) back into the journal/);
      const reopened = await Store.open(join(dir.path, 'data'));
      let journaled = 0;
      for await (const _ of reopened.section('inbox.journal').keys()) journaled++;
      assert.equal(await reopened.section<number>('inbox.meta').get('nextSeq'), 250);
      await reopened.close();
      assert.equal(journaled, 250);
    } finally {
      await dir.cleanup();
    }
  });
});
