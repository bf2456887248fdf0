import { strict as assert } from 'node:assert';
import { Validator } from '@seriousme/openapi-schema-validator';
import { PROVISIONING_OPENAPI, provisioningRoutes, type ProvisioningDeps } from '../../src/provisioning/index.js';
import { openApiPath } from '../../src/provisioning/route-table.js';
import { silentLogger } from '../../src/log/logger.js';

/** The routes as registered: built with stand-ins, since only their methods and paths are read. */
function registered(): string[] {
  const unused = new Proxy({}, { get: () => { throw new Error('not used when listing routes'); } });
  const deps = {
    config: unused, pluginName: 'x', hooks: undefined, permissions: unused, logins: () => undefined,
    bridgeState: async () => ({ state: 'running' }), bot: unused, mirror: unused, mappings: unused, ghosts: unused, remote: unused,
    logger: silentLogger(),
  } as unknown as ProvisioningDeps;
  return ['GET /openapi.json', ...provisioningRoutes(deps).map((r) => `${r.method} ${openApiPath(r.path)}`)].sort();
}

function documented(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(PROVISIONING_OPENAPI.paths)) {
    for (const method of Object.keys(item)) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

describe('provisioning API: the OpenAPI document', () => {
  it('describes every route, and no route that does not exist', () => {
    assert.deepEqual(documented(), registered());
    assert.ok(registered().length >= 13);
  });

  it('is a valid OpenAPI 3.1 document (by the OpenAPI schema)', async () => {
    const result = await new Validator().validate(structuredClone(PROVISIONING_OPENAPI) as unknown as Parameters<Validator['validate']>[0]);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
  });

  it('is OpenAPI 3.1 whose $refs all resolve and whose path parameters match the paths', () => {
    assert.equal(PROVISIONING_OPENAPI.openapi, '3.1.0');
    const text = JSON.stringify(PROVISIONING_OPENAPI);
    const schemas = PROVISIONING_OPENAPI.components.schemas as Record<string, unknown>;
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)) assert.ok(name! in schemas, `${name} is referenced but not defined`);
    for (const [path, item] of Object.entries(PROVISIONING_OPENAPI.paths)) {
      const inPath = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item as Record<string, { parameters?: Array<{ name: string; in: string }>; responses: object }>)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
        assert.deepEqual(declared, inPath, `${method} ${path}`);
        assert.ok('200' in op.responses, `${method} ${path} has a 200`);
      }
    }
  });
});
