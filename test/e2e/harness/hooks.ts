import { e2e } from './context.js';

/**
 * Mocha root hooks of the end-to-end tier (.mocharc.e2e.json `require`s this file): before
 * any test, the homeserver is checked and the appservices are registered, once.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(300_000);
    await e2e();
  },
};
