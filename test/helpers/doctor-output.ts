import assert from 'node:assert/strict';

/** The line of `bridgekit doctor`'s output for `check` (after its ✔/✘/- mark). */
export function doctorLine(stdout: string, check: string): string {
  const found = stdout.split('\n').find((l) => l.slice(2).startsWith(`${check}:`));
  assert.ok(found, `no line for '${check}' in:\n${stdout}`);
  return found;
}
