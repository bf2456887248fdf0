import { Sections, type Section, type Store } from '../store/index.js';
import type { DeadLetter } from './entries.js';

/** The inbox's sections of the store (see `store/layout.ts` for their keys and values). */
export interface InboxSections {
  /** Written as bytes (a header and the body as received, not re-stringified); JSON all the same. */
  readonly journal: Section<Buffer>;
  readonly progress: Section<readonly number[]>;
  readonly dedupe: Section<readonly string[]>;
  readonly deadLetters: Section<DeadLetter>;
  readonly meta: Section<number>;
}

const opened = new WeakMap<Store, InboxSections>();

/** One set of section objects per store: the committer coalesces writes by section identity. */
export function inboxSections(store: Store): InboxSections {
  let sections = opened.get(store);
  if (!sections) {
    sections = {
      journal: store.bytesSection(Sections.journal),
      progress: store.section(Sections.inboxProgress),
      dedupe: store.section(Sections.dedupe),
      deadLetters: store.section(Sections.deadLetters),
      meta: store.section(Sections.inboxMeta),
    };
    opened.set(store, sections);
  }
  return sections;
}
