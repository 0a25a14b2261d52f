import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  listedOriginals,
  MAX_ATTACHMENT_BYTES,
  PREVIEW_MAX_BYTES,
  PREVIEW_MAX_SIDE,
  refHashes,
  validAttachmentRefs,
  type AttachmentRef,
} from '../../src/core/attachments';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { isAppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import {
  choosePreview,
  isStrong,
  isUnmetered,
  ORIGINAL_UPLOAD_SETTINGS,
  originalWait,
  PREVIEW_TARGET_BYTES,
  previewSize,
  requestedOriginals,
  wantsPreview,
  type LinkInfo,
} from '../../src/core/media-budget';
import type { SessionUser } from '../../src/core/roles';
import { appealContext, authorize, checkNewEvents, originalRequestDenial } from '../../src/core/workflow';
import { ev, gridWorker, townOfficial, VILLAGE } from './fixtures';

const H = (c: string) => c.repeat(64);
const photo = (hash: string, preview?: AttachmentRef['preview']): AttachmentRef => ({ hash, type: 'image/jpeg', size: 300_000, ...(preview && { preview }) });
const preview = (hash: string, size = 12_000) => ({ hash, type: 'image/jpeg', size });
const POLICY: DeadlinePolicy = { ...POLICY_PRESETS.wanyuan, topTier: 'city' };

const linkArb: fc.Arbitrary<LinkInfo | null> = fc.option(
  fc.record(
    {
      type: fc.constantFrom('wifi', 'ethernet', 'cellular', 'bluetooth', 'none', 'unknown', 'wimax', 'other'),
      effectiveType: fc.constantFrom('slow-2g', '2g', '3g', '4g'),
      saveData: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  { nil: null },
);

describe('attachment refs with previews', () => {
  it('accept an old ref without a preview and a photo with one', () => {
    expect(validAttachmentRefs([photo(H('a'))])).toBe(true);
    expect(validAttachmentRefs([photo(H('a'), preview(H('b')))])).toBe(true);
    expect(validAttachmentRefs([{ hash: H('c'), type: 'audio/webm', size: 1000 }, photo(H('a'), preview(H('b'), PREVIEW_MAX_BYTES))])).toBe(true);
  });

  it.each([
    ['a preview over its cap', [photo(H('a'), preview(H('b'), PREVIEW_MAX_BYTES + 1))]],
    ['a preview of a voice note', [{ hash: H('a'), type: 'audio/webm', size: 1000, preview: preview(H('b')) }]],
    ['a preview that is the photo itself', [photo(H('a'), preview(H('a')))]],
    ['a preview named by another entry', [photo(H('a'), preview(H('b'))), photo(H('b'))]],
    ['an entry named by an earlier preview', [photo(H('c')), photo(H('a'), preview(H('c')))]],
    ['a PNG preview', [photo(H('a'), { hash: H('b'), type: 'image/png', size: 1000 })]],
    ['a preview with a bad hash', [photo(H('a'), preview('b'.repeat(63)))]],
    ['a preview with an extra key', [photo(H('a'), { ...preview(H('b')), url: 'x' } as never)]],
    ['an empty preview', [photo(H('a'), preview(H('b'), 0))]],
    ['a ref with an extra key', [{ ...photo(H('a')), extra: 1 }]],
  ])('refuse %s', (_label, refs) => {
    expect(validAttachmentRefs(refs)).toBe(false);
  });

  it('name every file a list holds, previews included, for the server to link and vouch for', () => {
    const refs = [photo(H('a'), preview(H('b'))), { hash: H('c'), type: 'audio/webm', size: 9 }];
    expect(refHashes(refs)).toEqual([H('a'), H('b'), H('c')]);
    expect(listedOriginals(refs)).toEqual([H('a'), H('c')]);
    expect(refHashes('junk')).toEqual([]);
    expect(refHashes([null, 3, { preview: 'x' }])).toEqual([]);
  });
});

describe('when an original may go', () => {
  it('a request or the user’s own say-so sends it on any link, whatever the setting', () => {
    fc.assert(
      fc.property(linkArb, fc.constantFrom(...ORIGINAL_UPLOAD_SETTINGS), fc.boolean(), (link, setting, byRequest) => {
        expect(originalWait({ setting, link, requested: byRequest, forced: !byRequest })).toBeNull();
      }),
    );
  });

  it('"only WLAN" waits unless the link is known to be WLAN or wired', () => {
    fc.assert(
      fc.property(linkArb, (link) => {
        const wait = originalWait({ setting: 'wifi_only', link, requested: false, forced: false });
        expect(wait === null).toBe(link?.type === 'wifi' || link?.type === 'ethernet');
        if (wait) expect(wait).toBe('wifi');
      }),
    );
  });

  it('"auto" sends on WLAN or 4G without data saver, and when the browser cannot tell', () => {
    fc.assert(
      fc.property(linkArb, (link) => {
        const wait = originalWait({ setting: 'auto', link, requested: false, forced: false });
        const expected = link === null || link.type === 'wifi' || link.type === 'ethernet' || (link.effectiveType === '4g' && link.saveData !== true);
        expect(wait === null).toBe(expected);
        if (wait) expect(wait).toBe('strong_link');
      }),
    );
    expect(originalWait({ setting: 'auto', link: { type: 'cellular', effectiveType: '2g' }, requested: false, forced: false })).toBe('strong_link');
    expect(originalWait({ setting: 'auto', link: { effectiveType: '4g', saveData: true }, requested: false, forced: false })).toBe('strong_link');
    expect(originalWait({ setting: 'auto', link: { type: 'wifi', effectiveType: '2g', saveData: true }, requested: false, forced: false })).toBeNull();
  });

  it('"at once" always sends', () => {
    fc.assert(
      fc.property(linkArb, (link) => {
        expect(originalWait({ setting: 'now', link, requested: false, forced: false })).toBeNull();
      }),
    );
  });

  it('an unmetered link is always strong', () => {
    fc.assert(
      fc.property(linkArb, (link) => {
        expect(!isUnmetered(link) || isStrong(link)).toBe(true);
      }),
    );
  });
});

describe('the preview size rule', () => {
  it('is never larger than an original may be, and a preview is smaller than its photo', () => {
    expect(PREVIEW_MAX_BYTES).toBeLessThan(MAX_ATTACHMENT_BYTES.photo);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: MAX_ATTACHMENT_BYTES.photo }), (attempts, original) => {
        const i = choosePreview(attempts, original);
        if (i === null) {
          expect(attempts.every((n) => n <= 0 || n > PREVIEW_MAX_BYTES || n >= original)).toBe(true);
          return;
        }
        const size = attempts[i]!;
        expect(size).toBeGreaterThan(0);
        expect(size).toBeLessThanOrEqual(PREVIEW_MAX_BYTES);
        expect(size).toBeLessThan(original);
        expect(size).toBeLessThanOrEqual(MAX_ATTACHMENT_BYTES.photo);
      }),
    );
  });

  it('takes the first attempt within the target', () => {
    expect(choosePreview([30_000, PREVIEW_TARGET_BYTES, 9_000], 1_000_000)).toBe(1);
    expect(choosePreview([30_000, 25_000], 1_000_000)).toBe(1);
    expect(choosePreview([50_000], 1_000_000)).toBeNull();
  });

  it('scales to at most 320 px on the long side, never up, keeping the shape', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 20_000 }), (w, h) => {
        const p = previewSize(w, h);
        expect(Math.max(p.width, p.height)).toBeLessThanOrEqual(PREVIEW_MAX_SIDE);
        expect(p.width).toBeLessThanOrEqual(w);
        expect(p.height).toBeLessThanOrEqual(h);
        expect(Math.min(p.width, p.height)).toBeGreaterThanOrEqual(1);
        if (Math.max(w, h) > PREVIEW_MAX_SIDE) expect(Math.max(p.width, p.height)).toBe(PREVIEW_MAX_SIDE);
      }),
    );
  });

  it('a small photo is its own preview', () => {
    expect(wantsPreview(10_000)).toBe(false);
    expect(wantsPreview(300_000)).toBe(true);
  });
});

describe('original_requested', () => {
  const refs = [photo(H('a'), preview(H('b')))];
  const fields = { villageCode: VILLAGE, kind: 'complaint', urgency: 'yellow', channel: 'grid_patrol', category: 'infra.roads', attachments: refs };
  const recorded = ev('recorded', {}, { id: gridWorker.id, role: gridWorker.role });
  const ask = (user: SessionUser, hash = H('a')) => ev('original_requested', { hash }, { id: user.id, role: user.role });
  const other: SessionUser = { ...townOfficial, id: 'u-other', scope: { regions: ['371324103'], departments: [] } };

  it('is well formed only with a file hash', () => {
    expect(isAppealEvent(ask(townOfficial))).toBe(true);
    expect(isAppealEvent(ev('original_requested', { hash: 'nope' }))).toBe(false);
  });

  it('a town official of the area may ask for a listed original, in any status, without changing the state', () => {
    const events = [recorded, ask(townOfficial)];
    expect(checkNewEvents(events, (i) => i === 1, 'x', (a) => (a === townOfficial.id ? townOfficial : gridWorker), appealContext(fields), POLICY)).toBeNull();
    const s = fold(events);
    expect(s.status).toBe('new');
    expect(s.conflicts).toEqual([]);
    expect(requestedOriginals(events)).toEqual([H('a')]);
  });

  it('is refused to the grid worker, to an official of another town, and for a file the appeal does not list', () => {
    const state = fold([recorded]);
    const ctx = appealContext(fields);
    expect(originalRequestDenial(gridWorker, ctx, state, H('a'))).toBe('role_not_allowed');
    expect(originalRequestDenial(other, ctx, state, H('a'))).toBe('out_of_scope');
    // A preview is not an original to ask for, nor is a file of some other appeal.
    expect(originalRequestDenial(townOfficial, ctx, state, H('b'))).toBe('not_attachment');
    expect(originalRequestDenial(townOfficial, ctx, state, H('f'))).toBe('not_attachment');
    expect(authorize(townOfficial, ctx, state, ask(townOfficial), POLICY)).toBeNull();
    const denied = checkNewEvents([recorded, ask(gridWorker)], (i) => i === 1, 'x', () => gridWorker, ctx, POLICY);
    expect(denied).toMatchObject({ kind: 'denied', denial: 'role_not_allowed' });
  });

  it('is asked once per original: a repeat is refused, so requests cannot eat the appeal’s step budget', () => {
    const first = ask(townOfficial);
    const again = ask(townOfficial);
    const s = fold([recorded, first, again]);
    expect(s.originalsRequested).toEqual([H('a')]);
    expect(s.conflicts).toEqual([{ index: 2, eventId: again.id, type: 'original_requested', actor: townOfficial.id, reason: 'already_requested', status: 'new' }]);
    const refused = checkNewEvents([recorded, first, again], (i) => i === 2, 'x', () => townOfficial, appealContext(fields), POLICY);
    expect(refused).toMatchObject({ kind: 'invalid', reason: 'already_requested' });
  });

  it('a department handler may ask only when the case is theirs', () => {
    const dept: SessionUser = { id: 'u-dept', username: 'd', displayName: 'D', role: 'dept_handler', scope: { regions: ['371324'], departments: ['water'] } };
    expect(originalRequestDenial(dept, appealContext(fields), fold([recorded]), H('a'))).toBe('not_assignee');
  });
});
