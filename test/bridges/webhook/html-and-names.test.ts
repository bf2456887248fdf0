import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import type { RoomEvent } from '../../../src/events/types.js';
import type { TestUser } from '../../../src/testing/index.js';
import { BotHarness } from '../../bot/harness.js';
import { createHook, post } from './helpers.js';

describe('webhook bridge: HTML is sanitised, names cannot pass for a member (end to end)', function () {
  this.timeout(30_000);
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    h = await BotHarness.start(createWebhookPlugin(), { pluginConfig: { inbound: { burst: 50 } } });
    alice = await h.user('alice');
    bob = await h.user('bob');
    await bob.client.setDisplayName('Bob Builder');
  });
  after(async () => h.stop());

  async function room(): Promise<string> {
    const roomId = await h.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100 } } });
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    await h.waitForMembership(roomId, bob.userId, 'join');
    return roomId;
  }

  const messageWith = (roomId: string, body: string): Promise<RoomEvent> =>
    h.hs.waitForEvent(roomId, (e) => e.type === 'm.room.message' && e.content['body'] === body);

  it('stores only the spec\'s HTML subset: no script, event handlers, javascript: links or foreign images', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'html');
    const html = '<p onclick="x()">hi <script>alert(1)</script><b>bold</b> '
      + '<a href="javascript:alert(1)">click</a> <a href="https://example.org/" onmouseover="x()">ok</a> '
      + '<img src="https://evil.example/p.png" onerror="alert(1)"><img src="mxc://localhost/abc" alt="pic">'
      + '<span data-mx-color="#ff0000" style="font-size:500px">red</span><font color="#00ff00">green</font>'
      + '<iframe src="https://evil.example"></iframe><style>body{}</style><code class="language-js evil">c</code></p>';
    assert.equal((await post(url, { text: 'sanitised', html })).status, 200);
    const body = String((await messageWith(roomId, 'sanitised')).content['formatted_body']);
    assert.equal(body, '<p>hi <b>bold</b> <a>click</a> <a href="https://example.org/">ok</a> <img /><img src="mxc://localhost/abc" alt="pic" />'
      + '<span data-mx-color="#ff0000">red</span><span data-mx-color="#00ff00">green</span><code class="language-js">c</code></p>');
    for (const bad of ['script', 'onerror', 'onclick', 'javascript:', 'evil.example', 'style', 'iframe']) assert.ok(!body.includes(bad), `no ${bad}`);
  });

  it('marks a username equal to a member\'s display name, user id or localpart; leaves others alone', async () => {
    const roomId = await room();
    const { url } = await createHook(h, alice, roomId, 'names');
    const nameOf = async (text: string) => {
      const event = await messageWith(roomId, text);
      return h.hs.stateEvent(roomId, 'm.room.member', event.sender)?.content['displayname'];
    };
    await post(url, { text: 'one', username: 'Bob Builder' });
    assert.equal(await nameOf('one'), 'Bob Builder (webhook)');
    await post(url, { text: 'two', username: 'ＢＯＢ\u200b builder' });
    assert.equal(await nameOf('two'), 'ＢＯＢ builder (webhook)', 'full-width, case and a zero-width space do not hide it');
    await post(url, { text: 'three', username: 'alice' });
    assert.equal(await nameOf('three'), 'alice (webhook)', 'a localpart counts');
    await post(url, { text: 'four', username: 'Grafana \u202eAlerts' });
    assert.equal(await nameOf('four'), 'Grafana Alerts', 'no clash: the name as sent, without the bidi override');
  });
});
