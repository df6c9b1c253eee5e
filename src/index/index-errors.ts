import { ReplyError } from 'ioredis';

/** Error codes the Lua scripts answer with (the first word of the error reply, by Redis convention). */
export const SCRIPT_ERROR_CODES = {
  leaseLost: 'NSYNC_LEASE_LOST',
  indexLost: 'NSYNC_INDEX_LOST',
  checkpointMoved: 'NSYNC_CHECKPOINT_MOVED',
} as const;

export class IndexLostError extends Error {
  constructor() {
    super('the Redis index is gone (Redis restarted without persistence or was flushed)');
    this.name = 'IndexLostError';
  }
}

/** A write refused because this listener no longer holds the lease: another one has taken over. */
export class LeaseLostError extends Error {
  constructor() {
    super('the listener lease is held by another listener; write refused');
    this.name = 'LeaseLostError';
  }
}

/**
 * A page refused because the database's checkpoint is not where the page was read from: an
 * earlier page of this drain was lost with the last writes of a Redis that failed over or
 * restarted. The drain reads again from the stored checkpoint.
 */
export class CheckpointMovedError extends Error {
  constructor(readonly db: string) {
    super(`the checkpoint of ${db} is not where the page was read from; reading again from it`);
    this.name = 'CheckpointMovedError';
  }
}

/** The code of a script's error reply, if it is one of ours. */
export function scriptErrorCode(err: unknown): string | undefined {
  if (!(err instanceof ReplyError)) return undefined;
  const code = (err as Error).message.split(' ', 1)[0];
  return Object.values(SCRIPT_ERROR_CODES).find((c) => c === code);
}

/** Maps a script's error reply to its typed error; anything else is returned unchanged. */
export function scriptError(err: unknown): unknown {
  switch (scriptErrorCode(err)) {
    case SCRIPT_ERROR_CODES.leaseLost:
      return new LeaseLostError();
    case SCRIPT_ERROR_CODES.indexLost:
      return new IndexLostError();
    default:
      return err;
  }
}
