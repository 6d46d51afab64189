import fc from 'fast-check';

/** Values an attacker or a broken client puts where a well-formed value belongs. */
export const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom(
      { $ne: null },
      { $gt: '' },
      { $where: 'sleep(1000)' },
      { $regex: '.*' },
      ['$in', 1],
      '"; DROP TABLE users; --',
      "1' OR '1'='1",
      '../../etc/passwd',
      '<script>alert(1)</script>',
      '\u0000',
      '\ud800',
      '\u202e\u200d\ufeff',
      '𝓤𝓷𝓲𝓬𝓸𝓭𝓮 🏳️‍🌈',
      'x'.repeat(5_000),
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      true,
      null,
      [],
      {},
      { __proto__: { polluted: true } },
      { constructor: { prototype: { polluted: true } } },
    ),
    fc.uuid(),
  );

/** Nesting deep enough to hurt a recursive parser or validator. */
export function deeplyNested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** Objects shaped like real frames or bodies, with each field possibly hostile. */
export function mutatedRecord(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const hostile = Object.fromEntries(
    Object.entries(fields).map(([key, valid]) => [key, fc.oneof(valid, hostileValue())]),
  );
  return fc.record(hostile, { requiredKeys: [] });
}
