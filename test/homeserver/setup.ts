import { HomeserverApi, type HomeserverApiOptions } from '../../src/homeserver/index.js';
import type { FakeHomeserver } from './fake-homeserver.js';

export const AS_TOKEN = 'as-token-that-must-stay-secret-0123456789';
export const BOT = '@bridgebot:example.org';

/** Fast retries so tests stay short; override per test. */
export const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxTotalWaitMs: 5_000, timeoutMs: 2_000 };

export function apiFor(fake: FakeHomeserver, overrides: Partial<HomeserverApiOptions> = {}): HomeserverApi {
  return new HomeserverApi({
    baseUrl: `${fake.url}/`,
    asToken: AS_TOKEN,
    botUserId: BOT,
    appserviceId: 'testbridge',
    retry: FAST_RETRY,
    ...overrides,
  });
}
