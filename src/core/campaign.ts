import * as v from 'valibot';
import { isCategory } from './categories';

// Suggestion campaigns (问计/献策): the city asks a question ("how should town X fix its
// traffic?") of one town or the whole county, for a while. Citizens answer on the public
// page; grid workers record answers as suggestion appeals tied to the campaign, offline too,
// through the same sync as any appeal; officials mark the good ones adopted.

export interface Campaign {
  id: string;
  title: string;
  question: string;
  /** A county (6 digits) or a town (12 digits, ending 000): who is asked. */
  region: string;
  /** The category the suggestions are filed under. */
  category: string;
  /** Last day (China time) suggestions are taken, inclusive. */
  closesOn: string;
  createdBy: string;
  createdAt: number;
}

export interface CampaignWithCounts extends Campaign {
  suggestions: number;
  adopted: number;
}

export const NewCampaignSchema = v.strictObject({
  title: v.pipe(v.string(), v.trim(), v.minLength(2), v.maxLength(60)),
  question: v.pipe(v.string(), v.trim(), v.minLength(2), v.maxLength(500)),
  region: v.pipe(v.string(), v.regex(/^\d{6}$|^\d{9}000$/, 'a county (6 digits) or a town (12 digits ending 000)')),
  category: v.pipe(v.string(), v.check((c: string) => isCategory(c), 'unknown category')),
  closesOn: v.pipe(v.string(), v.isoDate()),
});

/** Whether `campaign` still takes suggestions at `now` (its last day ends at midnight, China time). */
export function campaignOpen(campaign: Pick<Campaign, 'closesOn'>, now: number): boolean {
  return now < Date.parse(`${campaign.closesOn}T00:00:00+08:00`) + 86_400_000;
}
