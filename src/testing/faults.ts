import type { Context, Next } from 'koa';
import { limitExceeded, MatrixError } from './errors.js';

/** Which requests a fault applies to: a path substring or regex, optionally one method. */
export interface RequestMatch {
  readonly path: string | RegExp;
  readonly method?: string;
}

export interface RateLimitFault extends RequestMatch {
  /** How many matching requests get the 429 (default 1). */
  readonly count?: number;
  /** Reported wait; default 100 ms. */
  readonly retryAfterMs?: number;
  /** Send a `Retry-After` header (whole seconds, rounded up). Default true. */
  readonly header?: boolean;
  /** Put `retry_after_ms` in the JSON body. Default true. */
  readonly body?: boolean;
}

export interface ErrorFault extends RequestMatch {
  readonly count?: number;
  /** Default 500. */
  readonly status?: number;
  /** Default `M_UNKNOWN`. */
  readonly errcode?: string;
  readonly error?: string;
}

export interface DelayFault extends RequestMatch {
  readonly count?: number;
  readonly delayMs: number;
}

type Fault =
  | { kind: 'rate-limit'; spec: RateLimitFault; remaining: number }
  | { kind: 'error'; spec: ErrorFault; remaining: number }
  | { kind: 'delay'; spec: DelayFault; remaining: number };

/** A request the server saw, for tests that count retries. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: number;
}

/**
 * Test hooks that make the server misbehave for the next N matching requests, so a
 * client's retry logic meets real 429s, 5xx and slow answers on a real socket.
 */
export class FaultInjector {
  private faults: Fault[] = [];
  readonly requests: RequestRecord[] = [];

  rateLimit(spec: RateLimitFault): void {
    this.faults.push({ kind: 'rate-limit', spec, remaining: spec.count ?? 1 });
  }

  fail(spec: ErrorFault): void {
    this.faults.push({ kind: 'error', spec, remaining: spec.count ?? 1 });
  }

  delay(spec: DelayFault): void {
    this.faults.push({ kind: 'delay', spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** Outermost Koa middleware: records every request with the status it finally got. */
  recorder() {
    return async (ctx: Context, next: Next): Promise<void> => {
      try {
        await next();
      } finally {
        this.requests.push({ method: ctx.method, path: ctx.path, status: ctx.status, at: Date.now() });
      }
    };
  }

  /** Koa middleware inside the error handler: applies the first matching fault. */
  injector() {
    return async (ctx: Context, next: Next): Promise<void> => {
      await this.apply(ctx);
      await next();
    };
  }

  private async apply(ctx: Context): Promise<void> {
    const fault = this.faults.find((f) => f.remaining > 0 && matches(f.spec, ctx.method, ctx.path));
    if (!fault) return;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    if (fault.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.spec.delayMs));
      return;
    }
    if (fault.kind === 'error') {
      const { status = 500, errcode = 'M_UNKNOWN', error = 'Injected failure' } = fault.spec;
      throw new MatrixError(status, errcode, error);
    }
    const { retryAfterMs = 100, header = true, body = true } = fault.spec;
    throw limitExceeded(retryAfterMs, { header, body });
  }
}

function matches(spec: RequestMatch, method: string, path: string): boolean {
  if (spec.method && spec.method.toUpperCase() !== method) return false;
  return typeof spec.path === 'string' ? path.includes(spec.path) : spec.path.test(path);
}
