import { asAppservice, by, CS, person, registerGhost, unique, type Scenario } from './common.js';

/** Appservice registration, whoami and masquerading (`?user_id=`), and the token errors. */
export const account: Scenario = {
  name: 'account',
  async run(s, o) {
    const as = asAppservice(s);
    const register = (username: string, extra: Record<string, unknown> = {}) =>
      by(s, as, 'POST', `${CS}/register`, { body: { type: 'm.login.application_service', username, ...extra } });

    const ghost = `${s.prefix}${unique('ghost')}`;
    o.name(`@${ghost}:${s.serverName}`, 'ghost');
    o.response('register a ghost (inhibit_login)', await register(ghost, { inhibit_login: true }));
    o.response('register the same ghost again', await register(ghost, { inhibit_login: true }));
    o.response('register outside the namespace', await register(unique('outsider'), { inhibit_login: true }));
    o.response('register with an invalid localpart', await register(`${s.prefix}Not Valid ${unique('x')}`, { inhibit_login: true }));
    const withLogin = `${s.prefix}${unique('logged')}`;
    o.name(`@${withLogin}:${s.serverName}`, 'logged');
    o.response('register a ghost and log in', await register(withLogin));
    o.response('register with the as_token but no type', await by(s, as, 'POST', `${CS}/register`, { body: { username: `${s.prefix}${unique('notype')}` } }));

    const alice = await person(s, o, 'alice');
    const whoami = `${CS}/account/whoami`;
    o.response('whoami', await by(s, alice, 'GET', whoami));
    o.response('whoami with an unknown token', await by(s, { token: 'not-a-token' }, 'GET', whoami));
    o.response('whoami without a token', await by(s, { token: '' }, 'GET', whoami));
    o.name(`@${s.registration.sender_localpart}:${s.serverName}`, 'bot');
    o.response('whoami as the appservice', await by(s, as, 'GET', whoami));
    o.response('whoami masquerading as a ghost', await by(s, asAppservice(s, `@${ghost}:${s.serverName}`), 'GET', whoami));
    o.response('whoami masquerading outside the namespace', await by(s, asAppservice(s, alice.userId), 'GET', whoami));
    o.response('whoami masquerading as an unregistered ghost', await by(s, asAppservice(s, `@${s.prefix}${unique('never')}:${s.serverName}`), 'GET', whoami));
    o.response('user_id ignored for a normal user', await by(s, { token: alice.token, actAs: `@${ghost}:${s.serverName}` }, 'GET', whoami));

    const ghostCaller = await registerGhost(s, o, 'other');
    o.response('joined_rooms of a new ghost', await by(s, ghostCaller, 'GET', `${CS}/joined_rooms`));
    const versions = await by(s, alice, 'GET', '/_matrix/client/versions');
    const list = (versions.body as { versions?: unknown }).versions;
    o.exact('versions', { status: versions.status, lists: Array.isArray(list), v1_1: Array.isArray(list) && list.includes('v1.1') });
  },
};
