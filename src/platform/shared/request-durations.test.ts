import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from './request-durations.js';

describe('request durations', () => {
  it('are written out as prom-client’s own histogram writes the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const durations = new RequestDurations(ours);
    const histogram = new Histogram({
      name: 'unitrain_http_request_duration_seconds',
      help: 'HTTP request durations by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [theirs],
    });
    // On a bound, between bounds, past the last one, and zero; three series of one route, one of another.
    const observations: Array<[string, string, number, number]> = [
      ['/v1/me', 'GET', 200, 0.001],
      ['/v1/me', 'GET', 200, 0.0031],
      ['/v1/me', 'GET', 200, 7],
      ['/v1/me', 'GET', 401, 0],
      ['/v1/me', 'POST', 200, 0.5],
      ['unmatched', 'GET', 404, 0.0002],
    ];
    for (const [route, method, status, seconds] of observations) {
      durations.observe(route, method, status, seconds);
      histogram.observe({ route, method, status: String(status) }, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    durations.reset();
    histogram.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
