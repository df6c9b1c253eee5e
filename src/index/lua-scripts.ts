import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { scriptError } from './index-errors.js';

/**
 * The Lua scripts of the index and the listener lease, one `.lua` file each under ./lua (each
 * file's header lists its KEYS, ARGV and replies). They are read once, when this module loads,
 * relative to it: a build to dist/ must copy src/index/lua/*.lua next to the compiled module.
 */
export interface LuaScript {
  /** ioredis command name (EVALSHA with a fallback to EVAL). */
  readonly command: string;
  readonly lua: string;
}

function load(name: string): LuaScript {
  const lua = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  return { command: `nsync_${name.replace(/-/g, '_')}`, lua };
}

export const SCRIPTS = {
  commitBatch: load('commit-batch'),
  clearDirty: load('clear-dirty'),
  readAccount: load('read-account'),
  unlinkKeys: load('unlink-keys'),
  beginEpoch: load('begin-epoch'),
  markReady: load('mark-ready'),
  finishReconcile: load('finish-reconcile'),
  forgetDb: load('forget-db'),
  leaseAcquire: load('lease-acquire'),
  leaseRenew: load('lease-renew'),
  leaseRelease: load('lease-release'),
} as const;

type ScriptCommand = (numKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>;

/** Runs a script with its keys and arguments; the script's error codes become typed errors (index-errors.ts). */
export async function runScript<T>(redis: Redis, script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<T> {
  if (!(script.command in redis)) redis.defineCommand(script.command, { lua: script.lua });
  const command = (redis as unknown as Record<string, ScriptCommand>)[script.command]!;
  try {
    return (await command.call(redis, keys.length, ...keys, ...args)) as T;
  } catch (err) {
    throw scriptError(err);
  }
}
