import { isDeputyBody, type DeputyBody } from '../../src/core/deputy';
import type { MetaStore } from '../store/types';

// Which body each deputy sits in (人大 or 政协), by user id, kept in the meta table like the
// mediators' grades: a property of the person the county vouches for, not of any one post,
// so a post cannot claim a title its author does not hold.

const BODIES_KEY = 'deputy_bodies';

export async function deputyBodies(store: MetaStore): Promise<Record<string, DeputyBody>> {
  const stored = await store.getMeta(BODIES_KEY);
  if (!stored) return {};
  const parsed = JSON.parse(stored) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, DeputyBody] => isDeputyBody(e[1])));
}

export async function setDeputyBody(store: MetaStore, id: string, body: DeputyBody | null): Promise<void> {
  const bodies = await deputyBodies(store);
  if (body === null) delete bodies[id];
  else bodies[id] = body;
  await store.setMeta(BODIES_KEY, JSON.stringify(bodies));
}
