import assert from 'node:assert/strict';
import { cleanDisplayName, comparableName } from '../../../src/format/index.js';
import { channel, RemoteHarness } from './harness.js';

describe('remote → Matrix: ghost names are cleaned', function () {
  this.timeout(30_000);
  let h: RemoteHarness;

  beforeEach(async () => { h = await RemoteHarness.start(); });
  afterEach(async () => { await h.close(); });

  it('removes line breaks, control, bidi and invisible characters, and caps the length at 256', async () => {
    const ghost = h.ghost('rex');
    const pushed = await h.plugin.push({
      kind: 'message', channel: channel('names'), id: '1', text: 'x',
      sender: { id: 'rex', displayName: 'Rex\r\nadmin\u202e\u200b\x01 ' + 'y'.repeat(400) },
    });
    const name = String(h.hs.user(ghost)?.displayname);
    assert.equal(name, `Rex admin ${'y'.repeat(246)}`);
    assert.equal([...name].length, 256);
    assert.equal(h.hs.stateEvent(pushed.roomId!, 'm.room.member', ghost)?.content['displayname'], name);
  });

  it('keeps joiners that emoji and scripts need; compares names without case, width or joiners', () => {
    assert.equal(cleanDisplayName('👨\u200d👩\u200d👧 می\u200cخواهم'), '👨\u200d👩\u200d👧 می\u200cخواهم');
    assert.equal(comparableName('ＡＬＩＣＥ\u200b'), 'alice');
    assert.equal(cleanDisplayName('\u202e\u2066'), '');
  });
});
