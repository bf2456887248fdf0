import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await sources(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/**
 * pino writes its own `level` first and the call's fields after it, so a field named
 * `level` (a power level) made the line read as that level: "power level set by the bot"
 * with level 50 was an error to every JSON log reader (seen on Synapse in the e2e tier).
 */
describe('log lines', () => {
  it('never carry a field named level, time, pid, hostname or msg (pino\'s own keys)', async () => {
    const offenders: string[] = [];
    const call = /\b(?:logger|log)\.(?:trace|debug|info|warn|error|fatal)\(\{([^}]*)\}/g;
    for (const dir of ['src', 'bridges']) {
      for (const file of await sources(join(ROOT, dir))) {
        const text = await readFile(file, 'utf8');
        for (const match of text.matchAll(call)) {
          const keys = match[1]!.split(',').map((part) => part.trim().split(/[:\s]/)[0]);
          const clash = keys.find((k) => ['level', 'time', 'pid', 'hostname', 'msg'].includes(k ?? ''));
          if (clash) offenders.push(`${relative(ROOT, file)}: ${clash} in {${match[1]!.trim()}}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });
});
