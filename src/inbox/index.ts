export { Inbox, InboxUnavailable, defaultInboxOptions, type InboxOptions, type InboxHooks, type BridgeInbox } from './inbox.js';
export type { HandlerContext, ItemHandler } from './dispatcher.js';
export { UnitOfWork } from './unit-of-work.js';
export { DeadLetters } from './dead-letters.js';
export type { JournalEntry, DeadLetter } from './entries.js';
export { readNextSeq, type AcceptResult } from './journal.js';
export { checkJournalIntegrity, describeLoss, type IntegrityReport, type JournalLoss } from './integrity.js';
export { ACKED_MARK_FILE } from './acked-mark.js';
