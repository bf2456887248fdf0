import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { loadPlugin } from '../../src/plugin/loader.js';
import { tempDir } from '../helpers/temp.js';

/** A plugin module with nothing to import, so it loads from any folder. */
const pluginModule = (name: string): string =>
  `export default { name: '${name}', capabilities: { messages: true }, async start() {} };\n`;

async function writePackage(dir: string, name: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './plugin.js' }));
  await writeFile(join(dir, 'plugin.js'), pluginModule(name));
}

describe('plugin/loader: bridge.plugin resolves like Node resolves modules', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let project: string;

  beforeEach(async () => {
    tmp = await tempDir('bridgekit-plugin-project-');
    // A plugin project of its own, with an installed plugin package, away from bridgekit's folder.
    project = join(tmp.path, 'my-bridge');
    await writePackage(project, 'my-bridge');
    await writePackage(join(project, 'node_modules', 'other-bridge'), 'other-bridge');
  });
  afterEach(() => tmp.cleanup());

  it('takes a relative path relative to the config file, not to bridgekit or the working directory', async () => {
    const plugin = await loadPlugin('./plugin.js', project);
    assert.equal(plugin.name, 'my-bridge');
  });

  it('gives loadConfig the config file folder, which startBridge hands to the loader', async () => {
    const yaml = [
      'homeserver: { url: "http://127.0.0.1:8008", domain: localhost }',
      'appservice: { id: t, url: "http://127.0.0.1:9000", bind: 127.0.0.1, port: 9000, registration: r.yaml, bot: bot, prefix: _t_ }',
      'store: { path: ./data }',
      'bridge: { plugin: ./plugin.js }',
    ].join('\n');
    await writeFile(join(project, 'config.yaml'), yaml);
    const config = await loadConfig(join(project, 'config.yaml'));
    assert.equal(config.configDir, project);
    assert.equal((await loadPlugin(config.bridge.plugin, config.configDir)).name, 'my-bridge');
  });

  it('finds the project itself by its package name (self-reference through its exports)', async () => {
    assert.equal((await loadPlugin('my-bridge', project)).name, 'my-bridge');
  });

  it("finds a package installed in the config file's folder", async () => {
    assert.equal((await loadPlugin('other-bridge', project)).name, 'other-bridge');
  });

  it('then looks in the working directory', async () => {
    const elsewhere = join(tmp.path, 'elsewhere');
    await mkdir(elsewhere);
    const cwd = process.cwd();
    process.chdir(project);
    try {
      assert.equal((await loadPlugin('other-bridge', elsewhere)).name, 'other-bridge');
    } finally {
      process.chdir(cwd);
    }
  });

  it("loads a built-in bridge by name from its workspace package, through bridgekit's own folder", async () => {
    assert.equal((await loadPlugin('echo', project)).name, 'echo');
  });

  it("prefers the built-in bridge's package installed in the config file's folder", async () => {
    await writePackage(join(project, 'node_modules', 'matrix-bridgekit-echo'), 'echo-from-project');
    assert.equal((await loadPlugin('echo', project)).name, 'echo-from-project');
  });

  it('names the resolved path when a relative path does not exist', async () => {
    await assert.rejects(loadPlugin('./dist/missing.js', project), {
      message: `bridge.plugin: ${join(project, 'dist/missing.js')} does not exist (a relative path is relative to the config file's folder, ${project})`,
    });
  });

  it('names the folders it looked in, and what to do, when a package is not installed', async () => {
    await assert.rejects(loadPlugin('not-installed-bridge', project), {
      message: `bridge.plugin: cannot find the package 'not-installed-bridge' from ${project} or ${process.cwd()}; `
        + 'install it there (npm install not-installed-bridge), or give a path such as ./dist/index.js',
    });
  });
});
