import { probeVersions, Readiness } from '../metrics/index.js';
import type { Store } from '../store/index.js';
import type { BridgeState } from './routes/status.js';

/** The bridge's own state for `/status`: `/ready`'s checks (store open and writing, homeserver answering), cached 5 s. */
export function bridgeStateProbe(store: Store, homeserverUrl: string): () => Promise<BridgeState> {
  const readiness = new Readiness({
    storeOpen: () => store.db.status === 'open',
    storeWriteProblem: () => store.writeProblem(),
    homeserver: () => probeVersions(homeserverUrl, 3_000),
  });
  return async () => {
    const answer = await readiness.check();
    return answer.ready ? { state: 'running' } : { state: 'degraded', message: answer.reason };
  };
}
