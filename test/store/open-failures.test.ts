import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Store, StoreOpenError, type StoreOpenProblem } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const CHILD = fileURLToPath(new URL('./open-child.js', import.meta.url));
const run = promisify(execFile);
const NOBODY = 65534;

async function openFails(path: string): Promise<StoreOpenError> {
  try {
    const store = await Store.open(path);
    await store.close();
  } catch (e) {
    assert.ok(e instanceof StoreOpenError, `a StoreOpenError, not ${String(e)}`);
    return e;
  }
  assert.fail(`${path} opened`);
}

/** One line, naming the folder, with the advice after a colon (never Level's bare "Database failed to open"). */
function assertClear(e: { message: string }, path: string, problem: StoreOpenProblem, actual: string): void {
  assert.equal(actual, problem, e.message);
  assert.ok(!e.message.includes('\n'), 'one line');
  assert.ok(e.message.startsWith(`the store ${path} `), e.message);
  assert.doesNotMatch(e.message, /^Database failed to open/);
}

async function makeStore(path: string): Promise<void> {
  const store = await Store.open(path);
  await store.db.put('k', 'v');
  await store.close();
}

describe('store: a store that will not open says which, where and what to do', function () {
  this.timeout(30_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.cleanup(); });

  it('a store open in another process (a second bridgekit run on the same store)', async () => {
    const path = join(dir.path, 'data');
    await makeStore(path);
    const holder = spawn(process.execPath, [CHILD, path, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('held')) resolve(); });
        holder.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
      });
      const e = await openFails(path);
      assertClear(e, path, 'locked', e.problem);
      assert.match(e.message, /is in use by another process \(another `bridgekit run` on the same store\?\): stop that process first/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a folder that cannot be created (a file in the way, or a parent the user may not write)', async () => {
    await writeFile(join(dir.path, 'file'), 'x');
    const under = join(dir.path, 'file', 'data');
    let e = await openFails(under);
    assertClear(e, under, 'cannot-create', e.problem);
    assert.match(e.message, /part of its path is a file/);

    const isFile = join(dir.path, 'file');
    e = await openFails(isFile);
    assertClear(e, isFile, 'cannot-create', e.problem);
    assert.match(e.message, /exists and is not a folder/);

    // As an unprivileged user (root may write anywhere): a parent it may not write.
    const locked = join(dir.path, 'locked');
    await mkdir(locked, { mode: 0o755 });
    await chmod(dir.path, 0o755);
    const path = join(locked, 'data');
    const { stdout } = await run(process.execPath, [CHILD, path, 'open'], { uid: NOBODY, gid: NOBODY });
    const result = JSON.parse(stdout) as { problem: StoreOpenProblem; message: string };
    assertClear(result, path, 'cannot-create', result.problem);
    assert.match(result.message, /uid 65534 may not write to its parent folder: create the folder/);
  });

  it('a store the user may not write (chmod), run as an unprivileged user', async () => {
    const path = join(dir.path, 'data');
    await makeStore(path);
    await chmod(dir.path, 0o755);
    await chmod(path, 0o555);
    for (const file of await readdir(path)) await chmod(join(path, file), 0o444);
    const { stdout } = await run(process.execPath, [CHILD, path, 'open'], { uid: NOBODY, gid: NOBODY });
    const result = JSON.parse(stdout) as { problem: StoreOpenProblem; message: string };
    assertClear(result, path, 'not-writable', result.problem);
    assert.match(result.message, /is not writable by uid 65534 .*Permission denied.*: give the bridge's user the folder/);
  });

  it('a store on a read-only file system', async () => {
    const mnt = join(dir.path, 'mnt');
    const { unmount } = await mountTmpfs(mnt, '4m');
    try {
      const path = join(mnt, 'data');
      await makeStore(path);
      await run('mount', ['-o', 'remount,ro', mnt]);
      const e = await openFails(path);
      assertClear(e, path, 'read-only', e.problem);
      assert.match(e.message, /is on a read-only file system: remount it read-write/);
    } finally {
      await unmount();
    }
  });

  it('a truncated CURRENT or MANIFEST', async () => {
    const current = join(dir.path, 'current');
    await makeStore(current);
    await truncate(join(current, 'CURRENT'), 0);
    let e = await openFails(current);
    assertClear(e, current, 'damaged', e.problem);
    assert.match(e.message, /is damaged \(Corruption: CURRENT file does not end with newline\): restore the folder from a backup/);

    const manifest = join(dir.path, 'manifest');
    await makeStore(manifest);
    const name = (await readdir(manifest)).find((f) => f.startsWith('MANIFEST-'))!;
    await truncate(join(manifest, name), 5);
    e = await openFails(manifest);
    assertClear(e, manifest, 'damaged', e.problem);
    assert.match(e.message, /is damaged \(Corruption: .*\): restore the folder from a backup/);
  });
});
