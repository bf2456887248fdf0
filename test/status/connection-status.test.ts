import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ConnectionStatus } from '../../src/status/index.js';

interface Line { level: number; msg?: string; connection?: string; state?: string; previous?: string; message?: string }

describe('connection status (ctx.status): report and forget', () => {
  let lines: Line[];
  let now: number;
  let status: ConnectionStatus;

  beforeEach(() => {
    lines = [];
    now = 1_000;
    const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line) as Line); } });
    status = new ConnectionStatus(logger, () => now);
  });

  it('keeps the latest state per connection, with the time it last changed', () => {
    status.report('irc', { state: 'connecting' });
    now = 2_000;
    status.report('irc', { state: 'connected' });
    now = 3_000;
    status.report('outbound:!r:hs', { state: 'transient_disconnect', message: 'HTTP 503; retrying' });
    now = 4_000;
    // The same state with another message: the message follows, `since` stays.
    status.report('outbound:!r:hs', { state: 'transient_disconnect', message: 'HTTP 502; retrying' });
    assert.deepEqual(status.list(), [
      { id: 'irc', state: 'connected', since: 2_000 },
      { id: 'outbound:!r:hs', state: 'transient_disconnect', message: 'HTTP 502; retrying', since: 3_000 },
    ]);
    assert.equal(status.stateCounts().connected, 1);
    assert.equal(status.stateCounts().transient_disconnect, 1);
    assert.equal(status.stateCounts().bad_credentials, 0);
  });

  it('logs each change once: info, warn for bad_credentials and unknown_error; the same report again is not logged', () => {
    status.report('irc', { state: 'connected' });
    status.report('irc', { state: 'connected' });
    status.report('irc', { state: 'connected' });
    status.report('hook', { state: 'bad_credentials', message: 'the target answered HTTP 401' });
    status.report('hook', { state: 'bad_credentials', message: 'the target answered HTTP 401' });
    status.report('hook', { state: 'unknown_error', message: 'the target refused a message (HTTP 400)' });
    const changes = lines.filter((l) => l.msg === 'connection state changed');
    assert.deepEqual(changes.map((l) => [l.connection, l.state, l.level]), [
      ['irc', 'connected', 30], ['hook', 'bad_credentials', 40], ['hook', 'unknown_error', 40],
    ]);
    assert.equal(changes[2]?.previous, 'bad_credentials');
  });

  it('forgets a connection: no longer listed nor counted, logged once; forgetting an unknown one does nothing', () => {
    status.report('outbound:!r:hs', { state: 'connected' });
    status.forget('outbound:!r:hs');
    status.forget('outbound:!r:hs');
    status.forget('never-reported');
    assert.deepEqual(status.list(), []);
    assert.equal(status.stateCounts().connected, 0);
    assert.equal(lines.filter((l) => l.msg === 'connection forgotten').length, 1);
    // Reported again after being forgotten: a fresh entry with a fresh `since`.
    now = 9_000;
    status.report('outbound:!r:hs', { state: 'connected' });
    assert.deepEqual(status.list(), [{ id: 'outbound:!r:hs', state: 'connected', since: 9_000 }]);
  });
});
