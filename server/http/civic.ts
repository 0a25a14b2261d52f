import type { IncomingMessage } from 'node:http';
import { NewCampaignSchema, type Campaign } from '../../src/core/campaign';
import { newId } from '../../src/core/id';
import { NewSlotSchema, type ReceptionSlot } from '../../src/core/reception';
import { regionPrefix } from '../../src/core/regions';
import { regionInScope, type Role, type Scope } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { HttpError, parse, readJson, type Route } from './plumbing';

// Suggestion campaigns and reception slots, for the staff side. Devices keep a copy of the
// lists (so a grid worker offline can tie a suggestion to a campaign or book a place), and
// read the counts from here when online.

const CAMPAIGN_ROLES: readonly Role[] = ['county_dispatcher', 'city_dispatcher', 'leader'];
const SLOT_ROLES: readonly Role[] = ['town_official', 'county_dispatcher', 'city_dispatcher', 'leader'];

/** Whether a county or town region and the user's scope share any village. */
export function overlaps(region: string, scope: Scope): boolean {
  const prefix = regionPrefix(region);
  return scope.regions.some((r) => r.startsWith(prefix) || prefix.startsWith(r));
}

/** Whether the user may speak for the whole region (it lies inside their scope). */
const covers = (scope: Scope, region: string) => regionInScope(scope, regionPrefix(region));

export function createCivicRoutes({ store, authed }: { store: Store; authed: (req: IncomingMessage) => Promise<{ user: UserRecord }> }): Record<string, Route> {
  const as = async (req: IncomingMessage, roles: readonly Role[], what: string): Promise<UserRecord> => {
    const { user } = await authed(req);
    if (!roles.includes(user.role)) throw new HttpError(403, 'forbidden', what);
    return user;
  };
  return {
    'GET /api/campaigns': async (req) => {
      const { user } = await authed(req);
      return [200, { campaigns: (await store.campaigns()).filter((c) => overlaps(c.region, user.scope)) }];
    },
    'POST /api/campaigns': async (req) => {
      const user = await as(req, CAMPAIGN_ROLES, 'Campaigns are opened by the city center or leaders');
      const body = parse(NewCampaignSchema, await readJson(req));
      if (!covers(user.scope, body.region)) throw new HttpError(403, 'out_of_scope', 'The campaign must ask a region inside your own');
      const campaign: Campaign = { id: newId(), ...body, createdBy: user.id, createdAt: Date.now() };
      await store.putCampaign(campaign);
      return [201, { campaign: { ...campaign, suggestions: 0, adopted: 0 } }];
    },
    'GET /api/reception/slots': async (req) => {
      const { user } = await authed(req);
      return [200, { slots: (await store.slots(Date.now())).filter((s) => overlaps(s.region, user.scope)) }];
    },
    'POST /api/reception/slots': async (req) => {
      const user = await as(req, SLOT_ROLES, 'Reception days are published by town officials, the city center and leaders');
      const body = parse(NewSlotSchema, await readJson(req));
      if (!covers(user.scope, body.region)) throw new HttpError(403, 'out_of_scope', 'The slot must serve a region inside your own');
      if (body.endsAt <= Date.now()) throw new HttpError(400, 'invalid_body', 'The slot has already ended');
      const slot: ReceptionSlot = { id: newId(), ...body, createdBy: user.id };
      await store.putSlot(slot, Date.now());
      return [201, { slot: { ...slot, booked: 0 } }];
    },
  };
}
