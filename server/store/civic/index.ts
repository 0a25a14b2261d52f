import type { CampaignWithCounts } from '../../../src/core/campaign';
import type { SlotWithBookings } from '../../../src/core/reception';
import { appealFromRow } from '../rows';
import type { Sql } from '../sql';
import type { CivicStore, CommentStatus, PublicComment } from './contract';

const CAMPAIGNS = `SELECT c.*, count(a.id) AS suggestions, coalesce(sum(a.adopted), 0) AS adopted_count
  FROM campaigns c LEFT JOIN appeals a ON a.campaign_id = c.id GROUP BY c.id ORDER BY c.created_at DESC, c.id`;
const SLOTS = `SELECT s.*, count(a.id) AS booked FROM reception_slots s LEFT JOIN appeals a ON a.reception_slot = s.id
  WHERE s.ends_at > ? GROUP BY s.id ORDER BY s.starts_at, s.id`;

// Counts and sums come back as NUMERIC text from PostgreSQL: read every number through Number().
function campaignFromRow(r: Record<string, unknown>): CampaignWithCounts {
  return {
    id: r.id as string,
    title: r.title as string,
    question: r.question as string,
    region: r.region as string,
    category: r.category as string,
    closesOn: r.closes_on as string,
    createdBy: r.created_by as string,
    createdAt: Number(r.created_at),
    suggestions: Number(r.suggestions),
    adopted: Number(r.adopted_count),
  };
}

function slotFromRow(r: Record<string, unknown>): SlotWithBookings {
  return {
    id: r.id as string,
    host: r.host as string,
    place: r.place as string,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    capacity: Number(r.capacity),
    region: r.region as string,
    createdBy: r.created_by as string,
    booked: Number(r.booked),
  };
}

function commentFromRow(r: Record<string, unknown>): PublicComment {
  return { id: r.id as string, appealId: r.appeal_id as string, body: r.body as string, createdAt: Number(r.created_at), status: r.status as CommentStatus, village: r.village as string };
}

export function civicStore(sql: Sql): CivicStore {
  return {
    putCampaign: async (c) =>
      void (await sql.run('INSERT INTO campaigns (id, title, question, region, category, closes_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        c.id, c.title, c.question, c.region, c.category, c.closesOn, c.createdBy, c.createdAt,
      ])),
    campaigns: async () => (await sql.all<Record<string, unknown>>(CAMPAIGNS)).map(campaignFromRow),
    putSlot: async (s, now) =>
      void (await sql.run('INSERT INTO reception_slots (id, host, place, starts_at, ends_at, capacity, region, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        s.id, s.host, s.place, s.startsAt, s.endsAt, s.capacity, s.region, s.createdBy, now,
      ])),
    slots: async (from) => (await sql.all<Record<string, unknown>>(SLOTS, [from])).map(slotFromRow),
    publishedAppeals: async (limit, before) =>
      (await sql.all<Record<string, unknown>>('SELECT * FROM appeals WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at DESC, id LIMIT ?', [before ?? Number.MAX_SAFE_INTEGER, limit])).map(appealFromRow),
    addComment: async (c) => void (await sql.run('INSERT INTO public_comments (id, appeal_id, body, created_at) VALUES (?, ?, ?, ?)', [c.id, c.appealId, c.body, c.createdAt])),
    comments: async ({ id, appealId, status, regionPrefixes, limit }) => {
      if (regionPrefixes?.length === 0) return [];
      const where: string[] = [];
      const args: unknown[] = [];
      const filter = (clause: string, value: unknown) => {
        where.push(clause);
        args.push(value);
      };
      if (id) filter('c.id = ?', id);
      if (appealId) filter('c.appeal_id = ?', appealId);
      if (status) filter('c.status = ?', status);
      if (regionPrefixes) {
        const scope = sql.dialect.scope(regionPrefixes, undefined, 'a.');
        where.push(scope.sql);
        args.push(...scope.args);
      }
      const rows = await sql.all<Record<string, unknown>>(
        `SELECT c.id, c.appeal_id, c.body, c.created_at, c.status, a.village FROM public_comments c JOIN appeals a ON a.id = c.appeal_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id LIMIT ?`,
        [...args, limit],
      );
      return rows.map(commentFromRow);
    },
    moderateComment: async (id, status, by, at) =>
      (await sql.run("UPDATE public_comments SET status = ?, moderated_by = ?, moderated_at = ? WHERE id = ? AND status = 'pending'", [status, by, at, id])) === 1,
  };
}
