import assert from 'node:assert/strict';
import { MediaLinks } from '../../src/media/index.js';
import type { TestUser } from '../../src/testing/index.js';
import { capturingBridge, PUBLIC, type CapturingBridge } from './helpers.js';

const DAY = 24 * 3600 * 1000;

async function errcodeOf(res: Response): Promise<string> {
  return String((await res.json() as { errcode?: unknown }).errcode);
}

describe('media links: signed expiry and filename', () => {
  let b: CapturingBridge;
  let alice: TestUser;
  const local = (link: string | undefined) => b.local(link);
  const ctx = () => b.ctx;

  before(async () => {
    b = await capturingBridge({ config: { bridge: { publicUrl: PUBLIC, mediaLinkTtlSeconds: 3600 } } });
    alice = await b.t.user('alice');
  });
  after(async () => b.t.stop());

  it('signs an expiry into every link (bridge.mediaLinkTtlSeconds) and refuses the link after it', async () => {
    const mxc = await alice.client.upload('hello', 'text/plain', 'hello.txt');
    const link = new URL(local(ctx().media.url(mxc, 'hello.txt')));
    const exp = Number(link.searchParams.get('exp'));
    assert.ok(Math.abs(exp - (Date.now() / 1000 + 3600)) < 60, 'an hour from now, as configured');
    const fresh = await fetch(link);
    assert.equal(fresh.status, 200);
    assert.equal(await fresh.text(), 'hello');
    assert.match(String(fresh.headers.get('cache-control')), /max-age=(3[0-5]\d\d|3600)\b/, 'no cache outlives the link');

    // The same bridge's key, made eight days ago with the default week: expired now.
    const old = new MediaLinks(b.t.registration.as_token, b.t.bridge.url, { now: () => Date.now() - 8 * DAY });
    const expired = await fetch(old.url(mxc, 'hello.txt')!);
    assert.equal(expired.status, 403);
    assert.equal(await errcodeOf(expired), 'M_FORBIDDEN');
    const stillGood = new MediaLinks(b.t.registration.as_token, b.t.bridge.url, { now: () => Date.now() - 6 * DAY });
    assert.equal((await fetch(stillGood.url(mxc, 'hello.txt')!)).status, 200, 'six days old: within the week');
  });

  it('refuses a link whose filename, expiry or media was changed, or that has no expiry', async () => {
    const mxc = await alice.client.upload('<b>x</b>', 'text/plain', 'notes.txt');
    const good = local(ctx().media.url(mxc, 'notes.txt'));
    const tampered = [
      good.replace('/notes.txt?', '/invoice.exe?'),
      good.replace(/\/notes\.txt\?/, '?'),
      good.replace(/exp=(\d+)/, (_m, d: string) => `exp=${Number(d) + 365 * 24 * 3600}`),
      good.replace(/exp=\d+&/, ''),
      good.replace(/exp=\d+/, 'exp=abc'),
      good.replace(/\/localhost\/[^/]+\//, '/localhost/SomeOtherMedia/'),
      local(ctx().media.url(mxc)).replace('?', '/notes.html?'),
    ];
    for (const url of tampered) {
      const res = await fetch(url);
      assert.equal(res.status, 403, url);
      assert.equal(await errcodeOf(res), 'M_FORBIDDEN');
    }
    assert.equal((await fetch(good)).status, 200, 'the link as made still works');
    const spaced = await fetch(local(ctx().media.url(mxc, 'my notes (1).txt')));
    assert.equal(spaced.status, 200, 'a filename with spaces and brackets round-trips');
    assert.equal(spaced.headers.get('content-disposition'), "inline; filename*=UTF-8''my%20notes%20(1).txt");
  });
});
