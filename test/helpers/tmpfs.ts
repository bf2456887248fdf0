import { execFile } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A small tmpfs mounted at `path` (needs root, as the test machine and CI run): a real
 * disk that fills up. `unmount` must run even when the test fails.
 */
export async function mountTmpfs(path: string, size = '2m'): Promise<{ unmount: () => Promise<void> }> {
  await mkdir(path, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  } catch (err) {
    throw new Error(`this test mounts a tmpfs and needs root (mount -t tmpfs failed: ${(err as Error).message})`);
  }
  return { unmount: async () => { await run('umount', ['-l', path]); } };
}

/**
 * Fills the file system holding `dir` with one file until not one more byte fits; returns
 * its path (delete it to free the space).
 */
export async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'ballast');
  const file = await open(path, 'w');
  try {
    for (let size = 64 * 1024; size >= 1; size = Math.floor(size / 8)) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) await file.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    await file.close();
  }
  return path;
}
