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

const AUTHENTICATED_MEDIA = 'Synapse 1.94 predates authenticated media (MSC3916, Synapse 1.107+): it answers 404 M_UNRECOGNIZED. '
  + 'The test homeserver serves it, as current homeservers do, so the bridge\'s preferred path is tested; '
  + 'the fallback to /_matrix/media/v3 on M_UNRECOGNIZED is what runs on 1.94.';

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    path: 'account/register with an invalid localpart',
    reason: 'Synapse 1.94 registers whatever localpart an appservice asks for, capitals and spaces included '
      + '(@e2e_conformance_Not Valid:localhost, an invalid user ID); the test homeserver refuses it with M_INVALID_USERNAME, '
      + 'so a bridge that makes such localparts learns it in its tests rather than from other servers.',
  },
  { path: 'media/authenticated download', reason: AUTHENTICATED_MEDIA },
  { path: 'media/authenticated download: bytes and type', reason: AUTHENTICATED_MEDIA },
  { path: 'media/authenticated download of unknown media', reason: AUTHENTICATED_MEDIA },
  { path: 'media/authenticated download without a token', reason: AUTHENTICATED_MEDIA },
  {
    path: 'appservice/typing without the typing key',
    reason: 'Synapse 1.94 fails with 500 M_UNKNOWN on a typing body without `typing` (an unchecked key); '
      + 'the test homeserver answers 400 M_MISSING_PARAM, which a client can act on.',
  },
  {
    path: 'rate limit/send over the limit/header retry-after',
    reason: 'Synapse 1.94 gives the wait only as retry_after_ms; the test homeserver also sends Retry-After by default '
      + '(as later homeservers and proxies do) so both are tested. `rateLimitNext({ header: false })` answers as 1.94.',
  },
];
