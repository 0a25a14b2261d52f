import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { AppealProjection } from '../../../src/core/projection';
import { eachStore, storeProjection } from './stores';

// A town desk's and a grid worker's catch-up read their appeals through an index
// (sync-log's seekableScope: the town column, a range of village codes). Whatever form the
// SQL takes, it must list exactly the appeals whose village starts with one of the prefixes:
// one left out never reaches the device.

/** Villages on each side of the boundaries a range or a town code could get wrong. */
const VILLAGES = ['371324101209', '371324101210', '371324101299', '371324101300', '371324109999', '371324110001', '371324102001', '371325101001', '371324101001', '371324100999'];
const DEPTS = ['water', 'roads', null] as const;

eachStore('the catch-up scope', (use) => {
  it('lists exactly the appeals under a scope of towns or villages, with or without departments', () =>
    use(async (store) => {
      const stored: AppealProjection[] = [];
      for (const [i, village] of VILLAGES.entries()) stored.push(await storeProjection(store, { village, town: `${village.slice(0, 9)}000`, dept: DEPTS[i % DEPTS.length]! }));
      const towns = [...new Set(VILLAGES.map((v) => v.slice(0, 9)))].concat('371324108');
      const villages = VILLAGES.concat('371324101211');
      const scope = fc.oneof(fc.uniqueArray(fc.constantFrom(...towns), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.constantFrom(...villages), { minLength: 1, maxLength: 3 }));
      await fc.assert(
        fc.asyncProperty(scope, fc.option(fc.uniqueArray(fc.constantFrom<string>('water', 'roads', 'health'), { maxLength: 2 }), { nil: undefined }), async (prefixes, departments) => {
          const listed = (await store.changedDocs(0, prefixes, 100, departments ? { departments } : {})).map((d) => d.docId).sort();
          const expected = stored
            .filter((a) => prefixes.some((p) => a.village.startsWith(p)) && (!departments || (a.dept !== null && departments.includes(a.dept))))
            .map((a) => a.id)
            .sort();
          expect(listed).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    }));
});
