import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';

describe('npm run demo (numbers-sync demo)', () => {
  it('plays the worked example of docs/rules.md and ends with C listing only N1', async () => {
    // No COUCHDB_URL / REDIS_URL: the demo starts an in-memory CouchDB and a private redis-server.
    const { code, stdout, stderr } = await runCli(['demo']);
    expect(code, stderr).toBe(0);
    for (let step = 1; step <= 9; step++) expect(stdout).toMatch(new RegExp(`^${step}\\. `, 'm'));
    // Step 3: P keeps N2 from its reserve history, assigned to C.
    const step3 = stdout.slice(stdout.indexOf('\n3. '), stdout.indexOf('\n4. '));
    expect(step3).toMatch(/\+14155550101 \{"state":"in_service".*"assigned_to":"c0ffee00c0ffee00c0ffee00c0ffee01","on_subaccount":true/);
    expect(stdout).toContain('Final: C lists only +14155550100; P and D list nothing.');
  });
});
