import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, parseRetryAfterHeader, parseRetryAfterMs } from '../../src/homeserver/retry-policy.js';
import { route } from '../../src/homeserver/route.js';

describe('homeserver client: retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(parseRetryAfterHeader('2', now), 2000);
    assert.equal(parseRetryAfterHeader(' 0 ', now), 0);
    assert.equal(parseRetryAfterHeader('Wed, 21 Oct 2015 07:28:05 GMT', now), 5000);
    assert.equal(parseRetryAfterHeader('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfterHeader('soon', now), undefined);
    assert.equal(parseRetryAfterHeader(null, now), undefined);
  });

  it('reads retry_after_ms only when it is a sane number', () => {
    assert.equal(parseRetryAfterMs({ retry_after_ms: 1500 }), 1500);
    assert.equal(parseRetryAfterMs({ retry_after_ms: '1500' }), undefined);
    assert.equal(parseRetryAfterMs({ retry_after_ms: -1 }), undefined);
    assert.equal(parseRetryAfterMs({}), undefined);
  });

  it('backs off exponentially within [50 %, 100 %] of the capped delay', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
      const delay = backoffDelayMs(attempt, DEFAULT_RETRY_POLICY, () => r);
      const cap = Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1));
      return delay >= Math.floor(cap / 2) && delay <= cap;
    }));
  });

  it('encodes route parameters and keeps the template', () => {
    const r = route('/rooms/{roomId}/send/{type}', { roomId: '!a:b', type: 'm.room.message' });
    assert.equal(r.path, '/rooms/!a%3Ab/send/m.room.message');
    assert.equal(r.template, '/rooms/{roomId}/send/{type}');
    assert.throws(() => route('/rooms/{roomId}', {}), /roomId is missing/);
  });
});
