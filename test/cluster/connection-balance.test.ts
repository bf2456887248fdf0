/**
 * Connections spread over the processes (issue #21): each aims at ceil(connections / live
 * processes); one over its share gives a lease up (stopped first), one at a time, and
 * nothing moves once every process is at or under its share.
 */
import assert from 'node:assert/strict';
import { ConnectionBalance } from '../../src/cluster/connection-balance.js';
import type { LeasedConnection } from '../../src/plugin/leases.js';
import { waitFor } from '../helpers/net.js';
import { useClusterMembers } from './member.js';

const KEYS = ['bot', 'login:1', 'login:2', 'login:3', 'puppet:a', 'puppet:b'];

describe('cluster: connections spread over the processes', function () {
  this.timeout(60_000);
  const members = useClusterMembers();

  it('shares six connections out as 6, then 3/3, then 2/2/2, one process at a time per connection, and then keeps still', async () => {
    /** key → members running it now; every start and stop. */
    const running = new Map<string, Set<string>>();
    const log: string[] = [];
    let most = 0;
    const connection = (key: string, member: string): LeasedConnection => ({
      start: () => {
        const set = running.get(key) ?? new Set<string>();
        set.add(member);
        running.set(key, set);
        most = Math.max(most, set.size);
        log.push(`start ${key} ${member}`);
      },
      stop: () => {
        running.get(key)?.delete(member);
        log.push(`stop ${key} ${member}`);
      },
    });
    const count = (member: string) => [...running.values()].filter((s) => s.has(member)).length;
    const join = async (name: string) => {
      const member = await members.join({ retryMs: 100, balanceSettleMs: 300 });
      for (const key of KEYS) member.leases.forPlugin('irc').run(key, connection(key, name));
      return member;
    };

    await join('a');
    await waitFor(() => count('a') === 6, 10_000, 'a to run every connection');
    await join('b');
    await waitFor(() => count('a') === 3 && count('b') === 3, 20_000, 'a to give three to b');
    await join('c');
    await waitFor(() => count('a') === 2 && count('b') === 2 && count('c') === 2, 20_000, 'two each');
    assert.equal(most, 1, 'never two processes running one connection');
    // Each move: stopped where it ran before it started elsewhere.
    for (const key of KEYS) {
      const events = log.filter((l) => l.split(' ')[1] === key);
      for (let i = 1; i < events.length; i++) assert.notEqual(events[i]!.split(' ')[0], events[i - 1]!.split(' ')[0], `${key}: ${events.join(', ')}`);
    }
    const moves = log.length;
    // Several settle times later: still 2/2/2, nothing stopped or started.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(log.length, moves, `no more moves: ${log.slice(moves).join(', ')}`);
    assert.deepEqual(['a', 'b', 'c'].map(count), [2, 2, 2]);
  });
});

describe('ConnectionBalance', () => {
  const view = (mine: number, fewestElsewhere: number, total: number, live: number) => ({ mine, fewestElsewhere, total, live });

  it('takes up to its share at once, and a free lease beyond it only after it stayed free for the settle time', () => {
    const balance = new ConnectionBalance({ settleMs: 1_000 });
    assert.deepEqual(balance.pickTakes(['x', 'y', 'z'], view(1, 0, 4, 2), 0), ['x']);
    assert.deepEqual(balance.pickTakes(['y', 'z'], view(2, 0, 4, 2), 500), []);
    assert.deepEqual(balance.pickTakes(['y', 'z'], view(2, 0, 4, 2), 1_000), ['y', 'z'], 'nobody under its share took them');
  });

  it('gives one surplus lease up after the settle time while another is under its share, and never one only it runs twice', () => {
    const balance = new ConnectionBalance({ settleMs: 1_000 });
    const over = view(4, 0, 4, 2);
    assert.equal(balance.pickRelease(['p', 'q', 'r', 's'], over, () => false, 0), undefined, 'not before the settle time');
    assert.equal(balance.pickRelease(['p', 'q', 'r', 's'], over, () => false, 1_000), 's', 'the newest goes');
    assert.equal(balance.pickRelease(['p', 'q', 'r'], view(3, 0, 4, 2), () => false, 2_050), undefined, 'one at a time: s is not taken yet');
    // Nobody took s: taken back after the settle time, and not given up again.
    assert.deepEqual(balance.pickTakes(['s'], view(3, 0, 4, 2), 1_000), []);
    assert.deepEqual(balance.pickTakes(['s'], view(3, 0, 4, 2), 2_100), ['s']);
    assert.equal(balance.pickRelease(['p', 'q', 'r', 's'], over, () => false, 3_200), 'r');
    assert.equal(balance.pickRelease(['p', 'q'], view(2, 1, 3, 2), () => true, 9_000), undefined, 'at its share (2 of 3): nothing moves');
  });
});
