import { describe, expect, it } from 'vitest';
import { notOnlineSpans, readInside, type Stamped } from './presence.js';

const at = (status: Stamped['status'], t: number): Stamped => ({ at: t, status });

describe("an operator's not-online spans", () => {
  // A storm's operator, as its socket saw it: away first, online 476 ms later.
  const sent = [at('away', 1522), at('online', 1998), at('offline', 3010), at('online', 3748)];
  const heard = [at('away', 1547), at('online', 2023), at('offline', 3601), at('online', 4137)];
  const spans = notOnlineSpans(sent, heard);

  it('run from each away/offline presence heard to the next "online" sent after its frame', () => {
    expect(spans).toEqual([
      [1547, 1998],
      [3601, 3748],
    ]);
  });

  it('judge a pass that read the operators between its now and the moment it was seen', () => {
    expect(readInside(spans, 1600, 1700)).toEqual([1547, 1998]);
    expect(readInside(spans, 3602, 3700)).toEqual([3601, 3748]);
  });

  it('let pass a pass whose now precedes the span, however late it was seen', () => {
    // Its reads may have waited for the routing lock until after the operator came online again:
    // assigned_at inside the span says nothing when the contact was seen only after it.
    expect(readInside(spans, 1950, 2050)).toBeUndefined();
    expect(readInside(spans, 1500, 1600)).toBeUndefined();
  });

  it('count the same millisecond as either side', () => {
    expect(readInside(spans, 1547, 1600)).toBeUndefined();
    expect(readInside(spans, 1600, 1998)).toBeUndefined();
  });

  it('stay open while no "online" follows', () => {
    expect(notOnlineSpans([at('offline', 10)], [at('offline', 15)])).toEqual([
      [15, Number.POSITIVE_INFINITY],
    ]);
  });
});
