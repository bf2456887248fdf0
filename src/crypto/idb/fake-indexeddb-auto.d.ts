/** fake-indexeddb's side-effect entry (installs the IDB globals); it ships no types. */
declare module 'fake-indexeddb/auto';
