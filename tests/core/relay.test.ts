import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { authorRefusal, rebaseRelayed, relayedAuthors, type AuthorRecord } from '../../src/core/relay';
import type { SessionUser } from '../../src/core/roles';
import { ev, knownVillage, validInput } from './fixtures';

// A county server relays its people's changes up (issue 25): the city judges each event as its
// author, from the records the batch carries, inside the relaying county only; and a race the
// city refuses as history_rewritten is moved, by the county, after the city's events.

const COUNTY = '371324';
const grid: AuthorRecord = { id: newId(), username: 'grid1', displayName: '网格员甲', role: 'grid_worker', scope: { regions: ['371324102'], departments: [] } };
const town: AuthorRecord = { id: newId(), username: 'town1', displayName: '镇干部乙', role: 'town_official', scope: { regions: ['371324102'], departments: [] } };
const cityDesk: SessionUser = { id: newId(), username: 'city1', displayName: '市调度', role: 'city_dispatcher', scope: { regions: ['3713'], departments: [] } };
/** The relay's session: all of one county, speaking for no one by itself. */
const relay: SessionUser = { id: 'relay:k1', username: 'relay-371324', displayName: COUNTY, role: 'county_dispatcher', scope: { regions: [COUNTY], departments: [] } };

const relayCtx = (records: AuthorRecord[]): CheckContext => ({ user: relay, knownVillage, policy: POLICY_PRESETS.lanling, authorOf: relayedAuthors(records, COUNTY).authorOf });
const personCtx = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });
const as = (r: AuthorRecord | SessionUser) => ({ id: r.id, role: r.role });
const verdict = (r: UpdateCheck) => (r.ok ? 'ok' : `${r.reason}: ${r.detail}`);

function recorded(clientID?: number) {
  const id = newId();
  const doc = new Y.Doc();
  if (clientID !== undefined) doc.clientID = clientID;
  writeNewAppeal(doc, validInput(), { ...as(grid), name: grid.displayName }, 1_700_000_000_000, newId());
  return { id, doc };
}

const firstEventId = (doc: Y.Doc, id: string) => (readAppeal(doc, id).events[0] as AppealEvent).id;

describe('the authors a county server speaks for', () => {
  it('are people of its county below the city tier', () => {
    expect(authorRefusal(grid, COUNTY)).toBeNull();
    expect(authorRefusal({ ...town, scope: { regions: ['371302001'], departments: [] } }, COUNTY)).toMatch(/inside/);
    expect(authorRefusal({ ...town, scope: { regions: ['3713'], departments: [] } }, COUNTY)).toMatch(/inside/);
    expect(authorRefusal({ ...town, role: 'city_dispatcher', scope: { regions: [COUNTY], departments: [] } }, COUNTY)).toMatch(/city tier/);
    expect(authorRefusal({ ...town, scope: { regions: [], departments: [] } }, COUNTY)).toMatch(/no region/);
  });

  it('a new appeal and its steps by two people of the county, in one relayed change, are each judged as their author', () => {
    const { id, doc } = recorded();
    appendEvent(doc, { ...ev('accepted', { basis: firstEventId(doc, id) }, as(town)), by: town.displayName } as AppealEvent);
    const update = Y.encodeStateAsUpdate(doc);
    expect(verdict(checkUpdate(id, null, update, relayCtx([grid, town])))).toBe('ok');
    // Without the town official's record, the step has no author the city knows.
    expect(verdict(checkUpdate(id, null, update, relayCtx([grid])))).toMatch(/^foreign_author/);
    // A record that names another role than the event's does not vouch for it.
    expect(verdict(checkUpdate(id, null, update, relayCtx([grid, { ...town, role: 'village_station' }])))).toMatch(/^foreign_author/);
    // A person's push still speaks only for that person.
    expect(verdict(checkUpdate(id, null, update, personCtx({ ...grid, scope: { regions: [COUNTY], departments: [] } })))).toMatch(/^foreign_author/);
  });

  it('never speaks for the city: a record of a city desk, or an event by an account it sent no record of, is refused', () => {
    const { id, doc } = recorded();
    const stored = new Y.Doc();
    Y.applyUpdate(stored, Y.encodeStateAsUpdate(doc));
    const sv = Y.encodeStateVector(doc);
    appendEvent(doc, ev('supervised', { basis: firstEventId(doc, id) }, as(cityDesk)));
    const step = Y.encodeStateAsUpdate(doc, sv);
    const cityRecord: AuthorRecord = { id: cityDesk.id, username: cityDesk.username, displayName: cityDesk.displayName, role: cityDesk.role, scope: cityDesk.scope };
    expect(verdict(checkUpdate(id, stored, step, relayCtx([grid, cityRecord])))).toMatch(/^foreign_author/);
    expect(verdict(checkUpdate(id, stored, step, relayCtx([grid])))).toMatch(/^foreign_author/);
  });

  it('takes the county server’s own writes (its deadline scanner) as its own, judged by the workflow alone', () => {
    const { id, doc } = recorded();
    const stored = new Y.Doc();
    Y.applyUpdate(stored, Y.encodeStateAsUpdate(doc));
    const sv = Y.encodeStateVector(doc);
    appendEvent(doc, ev('warned', { basis: firstEventId(doc, id) }));
    expect(verdict(checkUpdate(id, stored, Y.encodeStateAsUpdate(doc, sv), relayCtx([grid])))).toBe('ok');
    // A person may never write the scanner's warning.
    expect(verdict(checkUpdate(id, stored, Y.encodeStateAsUpdate(doc, sv), personCtx({ ...cityDesk, scope: { regions: [COUNTY], departments: [] } })))).toMatch(/^foreign_author/);
  });

  it('refuses a document of another county whoever wrote it', () => {
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput({ villageCode: '371302001001' }), { ...as(grid), name: grid.displayName }, 1_700_000_000_000, newId());
    expect(verdict(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), { ...relayCtx([grid]), knownVillage: () => true }))).toMatch(/^out_of_scope/);
  });
});

describe('a race between the county and the city, made while the line was down', () => {
  /** The same appeal at both; the county's town official accepts it while the city's desk supervises it. */
  function race(countyClient: number, cityClient: number) {
    const { id, doc: origin } = recorded(7);
    const city = new Y.Doc();
    city.clientID = cityClient;
    const county = new Y.Doc();
    county.clientID = countyClient;
    for (const d of [city, county]) Y.applyUpdate(d, Y.encodeStateAsUpdate(origin));
    const basis = firstEventId(origin, id);
    const sv = Y.encodeStateVector(origin);
    appendEvent(city, ev('supervised', { basis }, as(cityDesk)));
    appendEvent(county, { ...ev('accepted', { basis }, as(town)), by: town.displayName } as AppealEvent);
    return { id, city, county, countyChange: Y.encodeStateAsUpdate(county, sv) };
  }

  it('is refused when Yjs places the county’s step before the city’s, and converges once the county moves it after', () => {
    // Client ids decide where Yjs places concurrent steps: find the order that rewrites the city's history.
    const placed = [race(1, 2 ** 30), race(2 ** 30, 1)].find((r) => {
      const check = checkUpdate(r.id, r.city, r.countyChange, relayCtx([grid, town]));
      return !check.ok && check.reason === 'history_rewritten';
    });
    expect(placed, 'one of the two orders rewrites the city’s history').toBeDefined();
    const { id, city, county, countyChange } = placed!;
    const base = Y.encodeStateAsUpdate(city);
    // The county takes in the city's state, then makes the move as a change of its own.
    Y.applyUpdate(county, base);
    const moved = rebaseRelayed(id, base, countyChange)!;
    expect(moved).not.toBeNull();
    const check = checkUpdate(id, city, moved, relayCtx([grid, town]));
    expect(verdict(check)).toBe('ok');
    Y.applyUpdate(city, moved);
    Y.applyUpdate(county, moved);
    const atCity = readAppeal(city, id);
    const atCounty = readAppeal(county, id);
    expect(atCounty.events).toEqual(atCity.events);
    expect(atCity.events.map((e) => (e as AppealEvent).type)).toEqual(['recorded', 'supervised', 'accepted']);
    // Nothing lost: both steps stand, judged alike on both sides.
    expect(fold(atCounty.events, id)).toEqual(fold(atCity.events, id));
    expect(fold(atCity.events, id).status).toBe('accepted');
  });

  it('has nothing to move when the city already holds every step', () => {
    const { id, city } = race(1, 2);
    const base = Y.encodeStateAsUpdate(city);
    expect(rebaseRelayed(id, base, base)).toBeNull();
  });
});
