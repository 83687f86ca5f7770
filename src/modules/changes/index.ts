export { type ChangeRow, lastChangeSeq, listChangesAfter } from './changes.repository.js';
