import { call } from '../subject.js';
import { asAppservice, by, person, unique, type Scenario } from './common.js';

/** Media upload and download, legacy and authenticated, as the bridge and its remote side use them. */
export const media: Scenario = {
  name: 'media',
  async run(s, o) {
    const alice = await person(s, o, 'alice');
    const bot = asAppservice(s);
    const upload = await by(s, bot, 'POST', '/_matrix/media/v3/upload', { rawBody: Buffer.from('hello media'), contentType: 'text/plain', query: { filename: 'hello.txt' } });
    o.response('upload', upload);
    o.response('upload without a token', await call(s, undefined, 'POST', '/_matrix/media/v3/upload', { rawBody: Buffer.from('x'), contentType: 'text/plain' }));
    const mxc = String((upload.body as { content_uri?: unknown }).content_uri ?? '');
    const [server, mediaId] = mxc.replace(/^mxc:\/\//, '').split('/');
    o.exact('content_uri is mxc://server/id', server === s.serverName && Boolean(mediaId));
    const downloaded = (label: string, response: Awaited<ReturnType<typeof call>>) => {
      o.response(label, response, ['content-type', 'content-disposition']);
      if (response.status === 200) o.exact(`${label}: bytes and type`, { body: response.body, type: response.headers['content-type'] });
    };
    const legacy = `/_matrix/media/v3/download/${server}/${mediaId}`;
    const authenticated = `/_matrix/client/v1/media/download/${server}/${mediaId}`;
    downloaded('legacy download without a token', await call(s, undefined, 'GET', legacy));
    downloaded('legacy download with a filename', await call(s, undefined, 'GET', `${legacy}/other.txt`));
    downloaded('authenticated download', await by(s, alice, 'GET', authenticated));
    o.response('authenticated download without a token', await call(s, undefined, 'GET', authenticated));
    o.response('legacy download of unknown media', await call(s, undefined, 'GET', `/_matrix/media/v3/download/${s.serverName}/${unique('nomedia')}`));
    o.response('authenticated download of unknown media', await by(s, alice, 'GET', `/_matrix/client/v1/media/download/${s.serverName}/${unique('nomedia')}`));
    o.response('media config', await by(s, alice, 'GET', '/_matrix/media/v3/config'));
  },
};
