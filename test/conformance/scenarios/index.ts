import { account } from './account.js';
import { appservice } from './appservice.js';
import type { Scenario } from './common.js';
import { directory } from './directory.js';
import { media } from './media.js';
import { openid } from './openid.js';
import { profile } from './profile.js';
import { pushes, rateLimit } from './pushes.js';
import { events, membership } from './rooms.js';
import { upgrades } from './upgrades.js';

/** Every conformance scenario, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [account, membership, events, profile, directory, media, openid, pushes, appservice, rateLimit, upgrades];
export type { Scenario } from './common.js';
