import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { watchServerMonitor } from './mongo.ts';

// A process whose driver's server monitor wedged (a heartbeat that never ends) waits on its
// database for ever without an error; the watch lets it exit so that its supervisor restarts it.
// The heartbeat events are the driver's own, emitted here as the driver would.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const heartbeat = { connectionId: '127.0.0.1:1', awaited: false };

describe('watchServerMonitor', () => {
  it('trips once when a heartbeat never ends, and not while heartbeats end, failing or not', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/');
    const stalls: number[] = [];
    const stop = watchServerMonitor(client, (ms) => stalls.push(ms), 200);
    try {
      // An outage: heartbeats start and fail, again and again, for longer than the limit.
      for (let i = 0; i < 8; i++) {
        client.emit('serverHeartbeatStarted', heartbeat as never);
        await sleep(50);
        client.emit('serverHeartbeatFailed', { ...heartbeat, duration: 50, failure: new Error('refused') } as never);
      }
      expect(stalls).toEqual([]);

      // A heartbeat that never ends.
      client.emit('serverHeartbeatStarted', heartbeat as never);
      await sleep(500);
      expect(stalls).toHaveLength(1);
      expect(stalls[0]).toBeGreaterThanOrEqual(200);
      await sleep(200);
      expect(stalls).toHaveLength(1);
    } finally {
      stop();
      await client.close();
    }
  });
});
