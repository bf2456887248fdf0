import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a bridge process, set before anything else is loaded (`main.ts` imports
 * this module first: ES modules run in import order).
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites' objects survive a
 * scavenge and, past a threshold, allocates that site's objects straight in the old
 * generation from then on. A burst where events wait (rooms fetched at a start, a
 * homeserver catching up) makes the sites of the per-event objects (the parsed events,
 * journaled items, classified messages) look long-lived, and they stay tenured after it:
 * every later event then goes to the old generation and waits for a major GC. Measured on
 * the whole bridge at 50 events per transaction (docs/performance.md, session 13): 10–20 %
 * less CPU per event, and on Node 24 a peak RSS of about 195 MB instead of 270–285. V8 can
 * no longer tenure a site that really is long-lived; the mirror's and caches' objects are
 * then copied once more, by the scavenge that promotes them.
 */
setFlagsFromString('--no-allocation-site-pretenuring');
