/**
 * Read-your-writes for what a process keeps from its change feed (the answer cache, the signed-in
 * accounts): counts this process's commits that wrote, and how many of them the feed has surely read.
 * A round of the feed reads everything committed before it began, so when a round settles, the commits
 * made before it started are covered; until then, what was kept may predate this process's own write.
 */
export interface OwnWrites {
  /** After each commit of this process that wrote (Db.onCommit). */
  noteLocalCommit(): void;
  /** The feed's round begins (its observer's roundStarting). */
  roundStarting(): void;
  /** The round left nothing committed unread (its observer's roundSettled). */
  roundSettled(): void;
  /** This process committed something its feed has not read yet. */
  readonly unread: boolean;
}

export function createOwnWrites(): OwnWrites {
  let local = 0;
  let atRoundStart = 0;
  let covered = 0;
  return {
    noteLocalCommit() {
      local += 1;
    },
    roundStarting() {
      atRoundStart = local;
    },
    roundSettled() {
      covered = atRoundStart;
    },
    get unread() {
      return covered < local;
    },
  };
}
