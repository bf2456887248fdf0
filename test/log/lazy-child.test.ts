import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/logger.js';
import { lazyChild } from '../../src/log/lazy-child.js';

describe('log: a child logger made only when it writes', () => {
  it('costs no child (and no bindings) for lines at a level that is off; writes with the bindings otherwise', () => {
    const lines: Array<Record<string, unknown>> = [];
    const parent = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof parent.child>) => { children++; return child(...args); }) as typeof parent.child;
    let bound = 0;
    const log = lazyChild(parent, () => { bound++; return { roomId: '!r:hs', token: 'not-this' }; });

    for (let i = 0; i < 100; i++) {
      log.debug({ i }, 'off');
      log.trace('off too');
    }
    assert.deepEqual([children, bound, lines.length], [0, 0, 0]);

    log.info({ n: 1 }, 'on');
    log.warn('again');
    assert.deepEqual([children, bound], [1, 1]);
    assert.deepEqual(lines.map((l) => [l['msg'], l['roomId'], l['token']]), [['on', '!r:hs', '[redacted]'], ['again', '!r:hs', '[redacted]']]);
    assert.equal(log.isLevelEnabled('debug'), false);
  });
});
