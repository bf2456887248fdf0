import assert from 'node:assert/strict';
import { censorSecrets, createLogger } from '../../src/log/logger.js';
import { loggableUrl } from '../../src/log/urls.js';

describe('log: secrets censored by key', () => {
  it('censors secret keys at the top level and two levels down, copying only what changes', () => {
    const input = {
      roomId: '!r:hs', token: 't0p', nested: { hs_token: 'h', ok: 1 },
      req: { headers: { authorization: 'Bearer abc', host: 'x' } },
      registration: { as_token: 'a', hs_token: 'h', id: 'x' },
      clean: { a: { b: 1 } },
    };
    const out = censorSecrets(input);
    assert.deepEqual(out, {
      roomId: '!r:hs', token: '[redacted]', nested: { hs_token: '[redacted]', ok: 1 },
      req: { headers: { authorization: '[redacted]', host: 'x' } },
      registration: { as_token: '[redacted]', hs_token: '[redacted]', id: 'x' },
      clean: { a: { b: 1 } },
    });
    assert.equal(input.token, 't0p', 'the logged object itself is not changed');
    assert.equal(input.req.headers.authorization, 'Bearer abc');
    assert.equal(out['clean'], input.clean, 'what has no secret is not copied');
    const plain = { txnId: 'x', events: 50 };
    assert.equal(censorSecrets(plain), plain);
  });

  it('keeps secrets out of every line and every child\'s bindings, at any level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const child = logger.child({ secret: 's3cret-binding', registration: { hs_token: 's3cret-hs' } });
    child.trace({ access_token: 's3cret-query', config: { password: 's3cret-pw' } }, 'one');
    logger.error({ headers: { authorization: 'Bearer s3cret-header' } }, 'two');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => !line.includes('s3cret')), lines.join(''));
    assert.ok(lines[0]!.includes('[redacted]'));
  });
});

describe('log: the config\'s secrets', () => {
  it('censors the provisioning shared secret, the double-puppet secrets and the cross-signing passphrase', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    logger.info({
      provisioning: { sharedSecret: 's3cret-shared' }, doublePuppet: { secrets: { 'example.org': 'as_token:s3cret-dp' } },
      crossSigning: { passphrase: 's3cret-pass' },
    }, 'config');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('s3cret'), lines[0]);
  });
});

describe('log: URLs someone else gave', () => {
  it('keeps origin and path, drops credentials and fragment, and every query value', () => {
    assert.equal(loggableUrl('https://user:pw@cdn.example/a/b.png?ex=1&hm=s3cret#x'), 'https://cdn.example/a/b.png?ex=[redacted]&hm=[redacted]');
    assert.equal(loggableUrl('mxc://hs/abc'), 'mxc://hs/abc');
    assert.equal(loggableUrl('not a url s3cret'), '(not a URL)');
  });
});
