import { describe, expect, it } from 'vitest';
import { FakeApi, readyStatus } from '../test/fake-api.ts';
import { ApiError } from './api.ts';
import { type Variants, watchVariants } from './variants.ts';

const fast = { initialMs: 5, factor: 2, maxMs: 20, giveUpAfterMs: 2000 };
const upload = (id: string) => ({
  id,
  big: `/image/${id}/big`,
  medium: `/image/${id}/medium`,
  small: `/image/${id}/small`,
  tiny: `/image/${id}/tiny`,
});

describe('watchVariants', () => {
  it('reports each size as the status route marks it ready, then completes', async () => {
    const api = new FakeApi();
    api.statuses.set('abc', readyStatus());
    api.setSizes('abc', { big: { state: 'pending' }, tiny: { state: 'failed', reason: 'too many pixels' } });
    const seen: Variants[] = [];
    const outcome = watchVariants(
      api,
      upload('abc'),
      (v) => {
        seen.push(v);
        if (seen.length === 1) api.setSizes('abc', { big: { state: 'ready' } });
      },
      new AbortController().signal,
      fast,
    );
    expect(await outcome).toBe('complete');
    expect(seen.map((v) => v.big.state)).toEqual(['pending', 'ready']);
    expect(seen.at(-1)?.tiny).toEqual({ state: 'failed', reason: 'too many pixels' });
  });

  it('falls back to probing the variant URLs when the server has no status route', async () => {
    const api = new FakeApi();
    api.hasStatusRoute = false;
    api.readyUrls.add(api.url('/image/abc/tiny'));
    let calls = 0;
    const outcome = await watchVariants(
      api,
      upload('abc'),
      () => {
        calls++;
        for (const size of ['big', 'medium', 'small']) api.readyUrls.add(api.url(`/image/abc/${size}`));
      },
      new AbortController().signal,
      fast,
    );
    expect(outcome).toBe('complete');
    expect(calls).toBe(2);
    expect(api.statusCalls).toBe(1);
    // Once ready, a size is not asked for again: 4 probes in the first round, 3 in the second.
    expect(api.probeCalls).toBe(7);
  });

  it('waits longer and longer between checks instead of polling in a loop', async () => {
    const api = new FakeApi();
    api.statuses.set('slow', readyStatus());
    api.setSizes('slow', { big: { state: 'pending' } });
    const outcome = await watchVariants(api, upload('slow'), () => {}, new AbortController().signal, {
      initialMs: 10,
      factor: 2,
      maxMs: 40,
      giveUpAfterMs: 200,
    });
    expect(outcome).toBe('timeout');
    // Waits of 10, 20, 40, 40, 40… ms fit about 7 checks into 200 ms; a busy loop would make thousands.
    expect(api.statusCalls).toBeGreaterThanOrEqual(4);
    expect(api.statusCalls).toBeLessThanOrEqual(9);
  });

  it('keeps going through transient errors and honours Retry-After', async () => {
    const api = new FakeApi();
    let failures = 0;
    api.status = async () => {
      if (failures++ < 1) throw new ApiError('busy', 'busy', 503, 0.1);
      return readyStatus();
    };
    const started = Date.now();
    expect(await watchVariants(api, upload('x'), () => {}, new AbortController().signal, fast)).toBe('complete');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('stops at once when aborted', async () => {
    const api = new FakeApi();
    api.statuses.set('a', readyStatus());
    api.setSizes('a', { big: { state: 'pending' } });
    const controller = new AbortController();
    const outcome = watchVariants(api, upload('a'), () => {}, controller.signal, { ...fast, initialMs: 10_000 });
    setTimeout(() => controller.abort(), 20);
    expect(await outcome).toBe('aborted');
  });
});
