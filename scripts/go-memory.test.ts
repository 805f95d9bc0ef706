import { describe, expect, it } from 'vitest';
import { goMemorySettings } from './go-memory.ts';

// The embedded FerretDB's garbage collector: the launcher's settings unless the user sets their own.

describe('FerretDB garbage collector settings', () => {
  it('gives the heap room to grow, within a limit, when the user sets nothing', () => {
    expect(goMemorySettings({ PATH: '/bin' })).toEqual({ PATH: '/bin', GOGC: '400', GOMEMLIMIT: '1GiB' });
    expect(goMemorySettings({ GOGC: '', GOMEMLIMIT: '' })).toMatchObject({ GOGC: '400', GOMEMLIMIT: '1GiB' });
  });

  it("leaves a user's own setting alone, and adds nothing beside it", () => {
    // GOGC=off with a limit added would still collect near the limit: not what off says.
    expect(goMemorySettings({ GOGC: 'off' })).toEqual({ GOGC: 'off' });
    expect(goMemorySettings({ GOMEMLIMIT: '300MiB' })).toEqual({ GOMEMLIMIT: '300MiB' });
    expect(goMemorySettings({ GOGC: '150', GOMEMLIMIT: 'off' })).toEqual({ GOGC: '150', GOMEMLIMIT: 'off' });
  });
});
