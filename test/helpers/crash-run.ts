/**
 * The parent side of the crash tests: child processes that serve the endpoint (see
 * crash-child.ts), delivered to as a homeserver does, and killed with SIGKILL on cue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { RoomEvent } from '../../src/events/types.js';
import { putTransaction } from './endpoint.js';

export interface Child { child: ChildProcess; exited: Promise<number | null>; resumed: number }

/** Starts `script` (argv: store path, port, mode) and resolves once it says `ready` (or `drained`). */
export function startChild(script: string, storePath: string, port: number, mode?: string): Promise<Child> {
  const child = spawn(process.execPath, [script, storePath, String(port), ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const resumed = Number(/resumed (\d+)/.exec(out)?.[1] ?? 0);
      if (out.includes(mode === 'drain' ? 'drained' : 'ready')) resolve({ child, exited, resumed });
    });
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}: ${out}`)));
  });
}

/** Sends like a homeserver: true when answered 200 (the caller sends the same txnId again otherwise). */
export async function deliver(url: string, txnId: string, events: RoomEvent[]): Promise<boolean> {
  try {
    return (await putTransaction(url, txnId, { events })).status === 200;
  } catch {
    return false; // connection refused or reset: the process is down
  }
}

/**
 * Delivers every transaction in order (txnId = its index), killing the child with SIGKILL
 * `pauseMs()` after sending each transaction whose index is in `killAt` and starting it
 * again; returns the child running at the end.
 */
export async function deliverKilling(
  start: () => Promise<Child>, url: string, transactions: RoomEvent[][], killAt: Iterable<number>, pauseMs: () => number,
): Promise<Child> {
  const kills = new Set(killAt);
  let running = await start();
  let next = 0;
  while (next < transactions.length) {
    if (kills.delete(next)) {
      const inFlight = deliver(url, String(next), transactions[next]!);
      await new Promise((r) => setTimeout(r, pauseMs()));
      running.child.kill('SIGKILL');
      await running.exited;
      if (await inFlight) next++;
      running = await start();
      continue;
    }
    if (await deliver(url, String(next), transactions[next]!)) next++;
  }
  return running;
}
