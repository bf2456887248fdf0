import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import { buildRegistration } from '../../src/registration/index.js';
import { startBridge } from '../../src/runtime/bridge.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

/** A config on a temp store; the homeserver is never reached (the bot registers in the background). */
function configIn(dir: string, port = 0) {
  return validateConfig({
    homeserver: { url: 'http://127.0.0.1:1', domain: 'localhost' },
    appservice: { id: 'test', url: null, bind: '127.0.0.1', port, registration: 'registration.yaml', bot: 'bot', prefix: '_test_' },
    store: { path: join(dir, 'store') },
    bridge: { plugin: 'failing' },
    logging: { level: 'silent' },
  }, 'test', dir);
}

describe('runtime: a bridge that fails to start', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.cleanup(); });

  it('closes its store when the plugin\'s start throws, and does not stop a plugin that never started', async () => {
    let stopped = 0;
    const plugin: BridgePlugin = {
      name: 'failing', capabilities: {},
      async start() { throw new Error('remote network unreachable'); },
      async stop() { stopped++; },
    };
    const config = configIn(dir.path);
    await assert.rejects(startBridge({ config, registration: buildRegistration(config), plugin, logger: silentLogger() }), /remote network unreachable/);
    assert.equal(stopped, 0);
    // LevelDB holds a lock while open: opening it again proves it was closed.
    const store = await Store.open(config.store.path!);
    await store.close();
  });

  it('stops the plugin and closes the store when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as { port: number }).port;
    let stopped = 0;
    const plugin: BridgePlugin = { name: 'failing', capabilities: {}, async start() {}, async stop() { stopped++; } };
    try {
      const config = configIn(dir.path, port);
      await assert.rejects(startBridge({ config, registration: buildRegistration(config), plugin, logger: silentLogger() }), /EADDRINUSE/);
      assert.equal(stopped, 1);
      const store = await Store.open(config.store.path!);
      await store.close();
    } finally {
      blocker.close();
    }
  });
});
