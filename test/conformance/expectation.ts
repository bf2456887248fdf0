import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { differences, type Difference } from './observe.js';
import type { Observations } from './run.js';
import { KNOWN_DIFFERENCES, type KnownDifference } from './known-differences.js';

/** The repository root (this file runs as dist/test/conformance/expectation.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** What Synapse 1.94 answered to the scenarios, recorded by the e2e tier and committed. */
export const EXPECTATION_FILE = resolve(ROOT, 'test', 'conformance', 'synapse-1.94.json');

export async function readExpectation(): Promise<Observations> {
  return JSON.parse(await readFile(EXPECTATION_FILE, 'utf8')) as Observations;
}

export async function writeExpectation(observations: Observations): Promise<void> {
  await writeFile(EXPECTATION_FILE, `${JSON.stringify(observations, null, 2)}\n`);
}

export interface Comparison {
  /** Differences no known difference explains: each is a defect of the test homeserver (or a missing entry). */
  readonly unexplained: Difference[];
  /** Known differences that did not occur: fixed, so the entry (and its README row) must go. */
  readonly stale: KnownDifference[];
}

/** Compares the test homeserver's observations with Synapse's, allowing the listed differences. */
export function compareWithSynapse(synapse: Observations, testHomeserver: Observations): Comparison {
  const found = differences(synapse, testHomeserver);
  const explains = (known: KnownDifference, d: Difference) => d.path === known.path || d.path.startsWith(`${known.path}/`);
  return {
    unexplained: found.filter((d) => !KNOWN_DIFFERENCES.some((k) => explains(k, d))),
    stale: KNOWN_DIFFERENCES.filter((k) => !found.some((d) => explains(k, d))),
  };
}

/** A readable list of differences for a failing assertion. */
export function describeDifferences(list: readonly Difference[], names = { expected: 'Synapse', actual: 'test homeserver' }): string {
  const width = Math.max(names.expected.length, names.actual.length) + 2;
  const line = (name: string, value: unknown) => `    ${`${name}:`.padEnd(width)}${JSON.stringify(value)}`;
  return list.map((d) => `  ${d.path}\n${line(names.expected, d.expected)}\n${line(names.actual, d.actual)}`).join('\n');
}
