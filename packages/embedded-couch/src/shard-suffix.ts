// The identity of one instance of a database, like CouchDB 3's shard_suffix ('.' + creation
// time, as char codes): kept in a _local doc of the database itself, so it goes with the files
// and a re-created database gets a new one.
import { randomBytes } from 'node:crypto';
import type { PouchDatabase } from './pouchdb.js';

const ID = '_local/embedded-instance';

export async function shardSuffixOf(db: PouchDatabase): Promise<number[]> {
  for (;;) {
    try {
      const doc = await db.get(ID);
      return [...String(doc.suffix)].map((c) => c.charCodeAt(0));
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    try {
      await db.put({ _id: ID, suffix: `.${Math.floor(Date.now() / 1000)}${randomBytes(3).toString('hex')}` });
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err; // created concurrently: read it
    }
  }
}
