import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { createWriteStream, type ReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MediaTooLargeError, type MediaStream } from '../homeserver/index.js';

/** Media downloaded once into a temporary file, for every reader. */
export interface RelayedMedia {
  readonly path: string;
  readonly size: number;
  readonly contentType: string;
  readonly filename?: string;
}

export interface MediaRelayCacheOptions {
  /** Starts one download from the homeserver. */
  readonly download: (mxc: string) => Promise<MediaStream>;
  /** Largest media relayed (bytes), counted as it arrives. */
  readonly maxBytes: number;
  /** Disk kept for finished downloads; the oldest go first. */
  readonly cacheBytes: number;
  /** How long a finished download is reused (media is immutable; short, so quarantined media stops soon). */
  readonly keepMs: number;
  /** Parent of the temporary folder (default: the OS's). */
  readonly tmpRoot?: string;
}

interface Kept {
  readonly media: RelayedMedia;
  readonly at: number;
}

/**
 * Media for the link proxy, one homeserver download per media at a time: concurrent
 * requests for one media wait on the same download, which goes to a temporary file (never
 * into memory whole), and every reader then streams from that file. Finished files are kept
 * briefly (bounded by `cacheBytes`) so a link opened by a channel full of people is fetched
 * once. The folder is removed on `close`.
 */
export class MediaRelayCache {
  private folder: Promise<string> | undefined;
  private readonly inflight = new Map<string, Promise<RelayedMedia>>();
  /** Finished downloads, oldest first (a hit moves one to the end). */
  private readonly kept = new Map<string, Kept>();
  private keptBytes = 0;
  private files = 0;
  /** Streams handed to readers, ended on `close` so a reader that stops reading cannot hold up shutdown. */
  private readonly readers = new Set<ReadStream>();
  private closed = false;

  constructor(private readonly options: MediaRelayCacheOptions) {}

  /** The media, downloaded (or joined to a running download), as a stream from its file. */
  async open(mxc: string): Promise<{ media: RelayedMedia; stream: ReadStream }> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('the media relay is closed: bridgekit is shutting down');
      const media = await this.fetch(mxc);
      try {
        const stream = (await open(media.path, 'r')).createReadStream();
        this.readers.add(stream);
        stream.once('close', () => this.readers.delete(stream));
        return { media, stream };
      } catch (err) {
        // Evicted between its download and this open (a crowd of other media): fetch again, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw err;
        this.drop(mxc, media);
      }
    }
  }

  /** Ends every reader's stream and removes every file. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.readers) stream.destroy();
    const folder = this.folder;
    this.folder = undefined;
    this.kept.clear();
    this.keptBytes = 0;
    if (folder) await rm(await folder, { recursive: true, force: true });
  }

  private fetch(mxc: string): Promise<RelayedMedia> {
    const kept = this.kept.get(mxc);
    if (kept && Date.now() - kept.at < this.options.keepMs) {
      this.kept.delete(mxc);
      this.kept.set(mxc, kept);
      return Promise.resolve(kept.media);
    }
    if (kept) this.drop(mxc, kept.media);
    let pending = this.inflight.get(mxc);
    if (!pending) {
      pending = this.download(mxc)
        .then((media) => {
          this.keep(mxc, media);
          return media;
        })
        .finally(() => this.inflight.delete(mxc));
      this.inflight.set(mxc, pending);
    }
    return pending;
  }

  private async download(mxc: string): Promise<RelayedMedia> {
    const path = join(await this.directory(), String(++this.files));
    const stream = await this.options.download(mxc);
    let size = 0;
    const cap = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        size += chunk.byteLength;
        done(size > this.options.maxBytes ? new MediaTooLargeError('GET', mxc, this.options.maxBytes) : null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(stream.body as WebReadableStream<Uint8Array>), cap, createWriteStream(path));
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
    return { path, size, contentType: stream.contentType, ...(stream.filename !== undefined ? { filename: stream.filename } : {}) };
  }

  private keep(mxc: string, media: RelayedMedia): void {
    this.kept.set(mxc, { media, at: Date.now() });
    this.keptBytes += media.size;
    // The newest stays even when alone above the budget: its waiters are about to open it.
    for (const [key, old] of this.kept) {
      if (this.keptBytes <= this.options.cacheBytes || key === mxc) break;
      this.drop(key, old.media);
    }
  }

  private drop(mxc: string, media: RelayedMedia): void {
    if (this.kept.get(mxc)?.media === media) {
      this.kept.delete(mxc);
      this.keptBytes -= media.size;
    }
    // Readers that already opened the file keep reading it: unlinking removes only the name.
    void unlink(media.path).catch(() => undefined);
  }

  private directory(): Promise<string> {
    this.folder ??= mkdtemp(join(this.options.tmpRoot ?? tmpdir(), 'bridgekit-media-'));
    return this.folder;
  }
}
