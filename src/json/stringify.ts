/**
 * JSON that never overflows the stack. `JSON.stringify` recurses and throws `RangeError`
 * at a few thousand levels of nesting, while `JSON.parse` takes any depth: so a homeserver,
 * a webhook or a remote network can hand us a value we can read but not write back (to the
 * store, to a hash, to another server). `stringifyJson` gives the same text as
 * `JSON.stringify` for every value, at any depth: the native one first, and a loop with its
 * own stack only when that overflows.
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return stringifyIteratively(value) as string;
  }
}

/** A `RangeError` from a recursion too deep for the stack ("Maximum call stack size exceeded"). */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

interface Frame {
  readonly container: object;
  /** The object's keys; undefined for an array. */
  readonly keys: readonly string[] | undefined;
  index: number;
  wrote: boolean;
}

/** What JSON.stringify serializes in place of `value` under `key` (toJSON, boxed primitives). */
function prepare(key: string, value: unknown): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, key);
  }
  if (value instanceof Number) return Number(value);
  if (value instanceof String) return String(value);
  if (value instanceof Boolean) return value.valueOf();
  return value;
}

/** The text of a non-container; undefined for what JSON leaves out (undefined, functions, symbols). */
function primitive(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'number': return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean': return String(value);
    case 'bigint': throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': return 'null'; // null: containers never get here
    default: return undefined;
  }
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** JSON.stringify's algorithm (no replacer, no indent) with an explicit stack. */
export function stringifyIteratively(root: unknown): string | undefined {
  const top = prepare('', root);
  if (!isContainer(top)) return primitive(top);
  const out: string[] = [];
  const stack: Frame[] = [];
  const active = new Set<object>();
  const open = (container: object) => {
    if (active.has(container)) throw new TypeError('Converting circular structure to JSON');
    active.add(container);
    const isArray = Array.isArray(container);
    out.push(isArray ? '[' : '{');
    stack.push({ container, keys: isArray ? undefined : Object.keys(container), index: 0, wrote: false });
  };
  open(top);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { keys } = frame;
    const length = keys === undefined ? (frame.container as unknown[]).length : keys.length;
    if (frame.index >= length) {
      out.push(keys === undefined ? ']' : '}');
      active.delete(frame.container);
      stack.pop();
      continue;
    }
    const i = frame.index++;
    const key = keys === undefined ? String(i) : keys[i]!;
    const value = prepare(key, (frame.container as Record<string, unknown>)[key]);
    const text = isContainer(value) ? undefined : primitive(value);
    // Left out of objects; null in arrays.
    if (!isContainer(value) && text === undefined && keys !== undefined) continue;
    if (frame.wrote) out.push(',');
    frame.wrote = true;
    if (keys !== undefined) out.push(JSON.stringify(key), ':');
    if (isContainer(value)) open(value);
    else out.push(text ?? 'null');
  }
  return out.join('');
}
