import assert from 'node:assert/strict';
import { isStackOverflow, stringifyJson } from '../../src/json/index.js';
import { stringifyIteratively } from '../../src/json/stringify.js';
import { deepArrayText, deepObjectText } from '../helpers/deep-json.js';

describe('json: stringify at any depth', () => {
  it('writes 10,000 and 100,000 levels that JSON.stringify cannot', () => {
    for (const text of [deepObjectText(10_000), deepArrayText(10_000), deepObjectText(100_000)]) {
      const value: unknown = JSON.parse(text);
      assert.throws(() => JSON.stringify(value), RangeError);
      assert.equal(stringifyJson(value), text);
    }
  });

  it('gives exactly what JSON.stringify gives, for every kind of value', () => {
    class WithToJSON { toJSON(key: string) { return { key, at: 'toJSON' }; } }
    const values: unknown[] = [
      null, true, false, 0, -0, 1.5, 1e21, NaN, Infinity, 'text "quoted" \u2028 \n', '',
      [], {}, [1, 'a', null, undefined, () => 1, Symbol('s')],
      { a: 1, b: undefined, c: () => 1, d: [undefined], 2: 'two', 1: 'one', nested: { x: [{ y: {} }] } },
      new Date(0), { when: new Date(1) }, [new WithToJSON()], { w: new WithToJSON() },
      [new Number(3), new String('s'), new Boolean(false)], { 'key "with" quotes': 1 },
    ];
    for (const value of values) assert.equal(stringifyIteratively(value), JSON.stringify(value), String(JSON.stringify(value)));
    assert.equal(stringifyIteratively(undefined), undefined);
  });

  it('refuses what JSON.stringify refuses: cycles and BigInt', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    assert.throws(() => stringifyIteratively(cycle), TypeError);
    assert.throws(() => stringifyIteratively({ n: 1n }), TypeError);
  });

  it('tells a stack overflow from other RangeErrors', () => {
    const recurse = (n: number): number => recurse(n + 1) + 1;
    let overflow: unknown;
    try { recurse(0); } catch (err) { overflow = err; }
    assert.ok(isStackOverflow(overflow));
    assert.ok(!isStackOverflow(new RangeError('Invalid array length')));
  });
});
