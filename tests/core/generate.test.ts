import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { generateAppeals, pipelineEvents, prng, progressFor, type Progress } from '../../bench/generate';
import { validateAppealInput } from '../../src/core/appeal';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { VILLAGE, knownVillage } from './fixtures';

// The generator the benches and load tests share: what it makes must be what the app
// would accept, or the figures measure something the app never does.

const villages = [{ code: VILLAGE, name: '大仲村村民委员会' }];
const town = { id: 'u-town', role: 'town_official' as const, name: '镇干部' };

describe('generated appeals', () => {
  it('are valid input, deterministic for a seed, and of field-report length', () => {
    const a = generateAppeals(300, villages, 5);
    expect(generateAppeals(300, villages, 5)).toEqual(a);
    for (const input of a) expect(validateAppealInput(input, knownVillage)).toMatchObject({ ok: true });
    const lengths = a.map((x) => [...x.description].length);
    expect(Math.min(...lengths)).toBeGreaterThan(30);
    expect(Math.max(...lengths)).toBeLessThan(200);
  });

  it('walk the pipeline to the stage asked for, with no conflict', () => {
    const expected: Record<Progress, string> = { recorded: 'new', assigned: 'assigned', replied: 'replied', closed: 'closed' };
    const rnd = prng(3);
    for (const input of generateAppeals(200, villages, 6)) {
      const progress = progressFor(rnd);
      const doc = new Y.Doc();
      writeNewAppeal(doc, input, { id: town.id, role: town.role }, 1_700_000_000_000, newId());
      for (const e of pipelineEvents(progress, input.channel, town, 1_700_000_000_000, newId)) appendEvent(doc, e);
      const state = fold(readAppeal(doc, 'x').events, 'x');
      expect(state.status).toBe(expected[progress]);
      expect(state.conflicts).toEqual([]);
    }
  });
});
