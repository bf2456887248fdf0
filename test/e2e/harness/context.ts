import type { AppserviceName, E2eAppservice } from './appservices.js';
import { e2eEnv, type E2eEnv } from './env.js';
import { Synapse } from './synapse.js';

/** What every end-to-end test file starts from: the homeserver and the registered appservices. */
export interface E2eContext {
  readonly env: E2eEnv;
  readonly synapse: Synapse;
  appservice(name: AppserviceName): E2eAppservice;
}

let context: Promise<E2eContext> | undefined;

/**
 * The tier's context, made once per run (the root hook calls it first): checks the
 * environment, connects to the homeserver and registers the appservices. Throws, with
 * what is missing, when there is no homeserver: the tier never passes by skipping.
 */
export function e2e(): Promise<E2eContext> {
  context ??= (async () => {
    const env = e2eEnv();
    const synapse = await Synapse.connect(env);
    const appservices = new Map((await synapse.prepareAppservices()).map((a) => [a.name, a]));
    return {
      env, synapse,
      appservice(name) {
        const found = appservices.get(name);
        if (!found) throw new Error(`no appservice "${name}" in test/e2e/harness/appservices.ts`);
        return found;
      },
    };
  })();
  return context;
}
