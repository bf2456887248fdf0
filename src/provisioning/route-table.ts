import type { z } from 'zod';
import type { ProvisioningCaller } from '../plugin/provisioning.js';

export type Method = 'GET' | 'POST' | 'DELETE';

/** What a provisioning route handler gets: the caller (checked), path and query parameters, the validated body. */
export interface ProvisionRequest<Body> {
  readonly caller: ProvisioningCaller;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Body;
}

export interface ProvisionAnswer {
  readonly status?: number;
  readonly body: unknown;
}

/** One route of the API: its path under the prefix (Koa style, `:roomId`), its body's schema, its handler. */
export interface ProvisionRoute<Body = unknown> {
  readonly method: Method;
  readonly path: string;
  readonly body?: z.ZodType<Body>;
  handle(request: ProvisionRequest<Body>): Promise<ProvisionAnswer>;
}

/** Keeps a route's body type tied to its schema when routes are gathered in a list. */
export function route<Body>(spec: ProvisionRoute<Body>): ProvisionRoute<unknown> {
  return spec as unknown as ProvisionRoute<unknown>;
}

/** `/rooms/:roomId/bridge` → `/rooms/{roomId}/bridge`: how the OpenAPI document spells the path. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}
