/** Small promise helpers for waiting on IRC. */

/** Resolves after `ms`; `signal` aborts the wait. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise rejected on demand (e.g. when a connection closes); unobserved rejections are fine. */
export function deferredRejection(): { promise: Promise<never>; reject(err: Error): void } {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_, r) => { reject = r; });
  promise.catch(() => undefined); // only awaited by whoever races it
  return { promise, reject };
}

/** Rejects with `error()` after `ms`. */
export function rejectAfter(ms: number, error: () => Error): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(error()), ms).unref());
}
