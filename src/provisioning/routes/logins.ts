import { z } from 'zod';
import type { LoginFlow, LoginStatus, UserLogin } from '../../logins/contract.js';
import type { LoginProcessView, LoginService, LoginStepView } from '../../logins/service.js';
import { notSupported } from '../errors.js';
import { route, type ProvisionRoute } from '../route-table.js';

const stepInput = z.strictObject({
  input: z.record(z.string(), z.string({ error: 'every input value must be a string' }), { error: 'must be an object of field id → string' }),
});
const noBody = z.strictObject({});

/**
 * Login flows, processes and stored logins, on the logins helper's LoginService (which
 * checks that the process or login is the caller's: another user's id is M_NOT_FOUND).
 */
export function loginRoutes(logins: () => LoginService | undefined): ProvisionRoute[] {
  const service = (): LoginService => {
    const found = logins();
    if (!found) throw notSupported('logins');
    return found;
  };
  return [
    route({
      method: 'GET', path: '/login/flows',
      handle: async () => ({ body: { flows: service().flows().map(flowJson) } }),
    }),
    route({
      method: 'POST', path: '/login/start/:flowId', body: noBody,
      handle: async ({ caller, params }) => ({ body: processJson(await service().start(caller.userId, params['flowId']!)) }),
    }),
    route({
      method: 'POST', path: '/login/step/:processId', body: stepInput,
      handle: async ({ caller, params, body }) => ({ body: processJson(await service().submit(caller.userId, params['processId']!, body.input)) }),
    }),
    route({
      method: 'POST', path: '/login/wait/:processId', body: noBody,
      handle: async ({ caller, params }) => ({ body: processJson(await service().wait(caller.userId, params['processId']!)) }),
    }),
    route({
      method: 'POST', path: '/login/cancel/:processId', body: noBody,
      handle: async ({ caller, params }) => {
        await service().cancel(caller.userId, params['processId']!);
        return { body: {} };
      },
    }),
    route({
      method: 'GET', path: '/logins',
      handle: async ({ caller }) => ({ body: { logins: service().list(caller.userId).map(loginJson) } }),
    }),
    route({
      method: 'DELETE', path: '/logins/:loginId',
      handle: async ({ caller, params }) => {
        await service().logout(caller.userId, params['loginId']!);
        return { body: {} };
      },
    }),
  ];
}

export function flowJson(flow: LoginFlow): object {
  return { id: flow.id, name: flow.name, description: flow.description };
}

/** The API's JSON is snake_case, as Matrix APIs are; a completed step carries the login, never credentials. */
export function processJson(view: LoginProcessView): object {
  return { process_id: view.processId, flow_id: view.flowId, step: stepJson(view.step) };
}

function stepJson(step: LoginStepView): object {
  switch (step.kind) {
    case 'input':
      return {
        kind: 'input', step_id: step.stepId, instructions: step.instructions,
        fields: step.fields.map((f) => ({
          id: f.id, type: f.type, name: f.name,
          ...(f.description !== undefined ? { description: f.description } : {}),
          ...(f.pattern !== undefined ? { pattern: f.pattern } : {}),
          optional: f.optional === true,
        })),
      };
    case 'display':
      return { kind: 'display', step_id: step.stepId, instructions: step.instructions, display: { type: step.display.type, data: step.display.data } };
    case 'complete':
      return { kind: 'complete', ...(step.instructions !== undefined ? { instructions: step.instructions } : {}), login: loginJson(step.login) };
  }
}

export function loginJson(login: UserLogin): object {
  return {
    id: login.id, user_id: login.userId, flow_id: login.flowId, remote_id: login.remoteId, remote_name: login.remoteName,
    metadata: login.metadata, created_at: login.createdAt, status: statusJson(login.status),
  };
}

function statusJson(status: LoginStatus): object {
  return { state: status.state, ...(status.message !== undefined ? { message: status.message } : {}), since: status.since };
}
