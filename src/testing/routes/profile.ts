import Router from '@koa/router';
import { z } from 'zod';
import type { HomeserverCore } from '../core.js';
import { badJson, MatrixError, notFound } from '../errors.js';
import { announceProfileChange, userExistsOrAskAppservice } from '../membership.js';
import { authenticate } from '../requester.js';
import { readJson } from '../request-body.js';
import type { Requester } from '../requester.js';
import { CLIENT_V3, param } from './common.js';

const displaynameBody = z.object({ displayname: z.string().nullable().optional() });
const avatarBody = z.object({ avatar_url: z.string().nullable().optional() });

/** Profiles; changes are announced in every joined room like Synapse does. */
export function profileRoutes(core: HomeserverCore): Router {
  const router = new Router({ prefix: CLIENT_V3 });

  const profileOf = async (userId: string) => {
    if (!(await userExistsOrAskAppservice(core, userId))) throw notFound('Profile was not found');
    const user = core.users.get(userId);
    if (!user) throw notFound('Profile was not found');
    const profile: Record<string, string> = {};
    if (user.displayname !== undefined) profile['displayname'] = user.displayname;
    if (user.avatarUrl !== undefined) profile['avatar_url'] = user.avatarUrl;
    return profile;
  };

  router.get('/profile/:userId', async (ctx) => {
    authenticate(core, ctx);
    ctx.body = await profileOf(param(ctx, 'userId'));
  });

  for (const field of ['displayname', 'avatar_url'] as const) {
    router.get(`/profile/:userId/${field}`, async (ctx) => {
      authenticate(core, ctx);
      const profile = await profileOf(param(ctx, 'userId'));
      if (profile[field] === undefined) throw notFound(`The user has no ${field}`);
      ctx.body = { [field]: profile[field] };
    });
  }

  router.put('/profile/:userId/displayname', async (ctx) => {
    const requester = authenticate(core, ctx);
    requireOwnProfile(requester, param(ctx, 'userId'));
    const body = await readJson(ctx, displaynameBody);
    if (!('displayname' in body)) throw badJson('Missing key \'displayname\'');
    const { displayname } = body;
    const user = core.users.get(requester.userId);
    if (user) user.displayname = displayname ?? undefined;
    announceProfileChange(core, requester.userId, requester.ts);
    ctx.body = {};
  });

  router.put('/profile/:userId/avatar_url', async (ctx) => {
    const requester = authenticate(core, ctx);
    requireOwnProfile(requester, param(ctx, 'userId'));
    const body = await readJson(ctx, avatarBody);
    if (!('avatar_url' in body)) throw badJson('Missing key \'avatar_url\'');
    const { avatar_url: avatarUrl } = body;
    const user = core.users.get(requester.userId);
    if (user) user.avatarUrl = avatarUrl ?? undefined;
    announceProfileChange(core, requester.userId, requester.ts);
    ctx.body = {};
  });

  return router;
}

/** Synapse 1.94 refuses another user's profile with 400 (not 403) M_FORBIDDEN. */
function requireOwnProfile(requester: Requester, userId: string): void {
  if (requester.userId !== userId) throw new MatrixError(400, 'M_FORBIDDEN', 'Cannot set another user\'s profile');
}
