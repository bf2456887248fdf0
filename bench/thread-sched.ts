import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads the calling thread's scheduler times from the kernel's /proc/thread-self/schedstat:
 * [ms on a CPU, ms runnable but waiting in a run queue] so far ([NaN, NaN] off Linux). Opened
 * once and read with a pread: the benches' probes call it on hot paths.
 */
export function threadSched(): { read: () => [ranMs: number, waitedMs: number]; close: () => void } {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    fd = undefined;
  }
  const buffer = Buffer.alloc(96);
  return {
    read: () => {
      if (fd === undefined) return [NaN, NaN];
      const [ran = '0', waited = '0'] = buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0)).split(' ');
      return [Number(ran) / 1e6, Number(waited) / 1e6];
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
