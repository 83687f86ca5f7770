import type { FeedChange } from './realtime.repository.js';

/**
 * The changes of a round due to one or more subscribers, in batch order. Subscribers that are due the same
 * changes share one list: most of a round's subscribers see the same open sessions and nothing else, so
 * the events are joined and encoded once per distinct list, not once per subscriber (decision 0103).
 *
 * A list is the list before it plus one change. The hub visits the round's changes in order, and for each
 * change every subscriber due it: all those at the same list move to the same next list, so subscribers
 * with equal lists share one object, found without comparing or hashing lists.
 */
export class DueList {
  /** How many subscribers this round's writes sent this list to. */
  sentTo = 0;
  /** The next list for `#nextChange`: found again by each subscriber at this list that is due the same change. */
  #nextChange: FeedChange | null = null;
  #next: DueList | null = null;
  #changes: readonly FeedChange[] | null = null;
  #bytes: Buffer | null = null;

  private constructor(
    private readonly before: DueList | null,
    private readonly last: FeedChange | null,
    readonly length: number,
  ) {}

  static empty(): DueList {
    return new DueList(null, null, 0);
  }

  /** This list with `change` added; changes must come in batch order, each to all its subscribers before the next. */
  with(change: FeedChange): DueList {
    if (this.#nextChange !== change) {
      this.#nextChange = change;
      this.#next = new DueList(this, change, this.length + 1);
    }
    return this.#next as DueList;
  }

  get changes(): readonly FeedChange[] {
    if (this.#changes === null) {
      const changes = new Array<FeedChange>(this.length);
      if (this.length > 0) changes[this.length - 1] = this.last as FeedChange;
      for (let index = this.length - 2, list = this.before; index >= 0 && list !== null; index -= 1, list = list.before) changes[index] = list.last as FeedChange;
      this.#changes = changes;
    }
    return this.#changes;
  }

  /** The list's events as one buffer, encoded once however many streams it is written to. */
  bytes(format: (change: FeedChange) => string): Buffer {
    this.#bytes ??= Buffer.from(this.changes.map(format).join(''));
    return this.#bytes;
  }
}
