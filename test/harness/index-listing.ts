import { randomUUID } from 'node:crypto';
import type { NumberIndex } from '../../src/index/number-index.js';

/** Makes the index say `account` lists exactly `listed` among `numbers` (committed as a page of numbers/+1415). */
export async function indexListing(index: NumberIndex, epoch: string, account: string, numbers: readonly string[], listed: readonly string[]): Promise<void> {
  const changes = numbers.map((number) =>
    listed.includes(number)
      ? {
          number,
          value: {
            db: 'numbers/+1415',
            accounts: [account],
            entry: { state: 'in_service', features: [], assigned_to: account, used_by: '', created: 1, updated: 1 },
          },
        }
      : { number },
  );
  await index.commit(epoch, 'numbers/+1415', changes, undefined, randomUUID());
}
