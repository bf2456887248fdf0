import type { Verdict } from './types.js';

export const ALLOWED: Verdict = Object.freeze({ allowed: true as const });

export function deny(rule: string, reason: string, required?: number, actual?: number): Verdict {
  const verdict: { allowed: false; rule: string; reason: string; required?: number; actual?: number } = {
    allowed: false, rule, reason,
  };
  if (required !== undefined) verdict.required = required;
  if (actual !== undefined) verdict.actual = actual;
  return verdict;
}

/** A level as people read it: creators' infinite level is named, not printed as "Infinity". */
export function formatLevel(level: number): string {
  if (level === Number.POSITIVE_INFINITY) return 'infinite (room creator)';
  return String(level);
}

/** "needs power level 50; @bob:hs has 0" */
export function levelShortfall(required: number, user: string, actual: number): string {
  return `needs power level ${formatLevel(required)}; ${user} has ${formatLevel(actual)}`;
}
