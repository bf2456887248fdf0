/**
 * Where the test homeserver knowingly answers otherwise than Synapse 1.94, each with its
 * reason. Every entry has a row in src/testing/README.md ("Known differences from Synapse
 * 1.94"); the conformance tests fail when an entry no longer occurs or lacks its row.
 */
export interface KnownDifference {
  /** `scenario/observation[/key…]`: the difference and everything under it. */
  readonly path: string;
  readonly reason: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
];
