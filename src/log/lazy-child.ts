import type { Bindings, Logger } from 'pino';

const LEVELS: ReadonlySet<string | symbol> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const noop = () => {};

/**
 * `parent.child(bindings())`, made only when a line is written at a level that is on. A
 * pino child serialises its bindings when it is made (through redaction): too much to
 * pay for every item when most items log nothing, or log only at a level that is off.
 */
export function lazyChild(parent: Logger, bindings: () => Bindings): Logger {
  let child: Logger | undefined;
  const made = () => (child ??= parent.child(bindings()));
  return new Proxy(parent, {
    get(target, key) {
      if (child === undefined && LEVELS.has(key) && !target.isLevelEnabled(key as string)) return noop;
      const real = made();
      const value: unknown = Reflect.get(real, key, real);
      return typeof value === 'function' ? value.bind(real) : value;
    },
    set(_target, key, value) {
      return Reflect.set(made(), key, value);
    },
  });
}
