import type { Campaign, CampaignWithCounts } from '../../../src/core/campaign';
import type { AppealProjection } from '../../../src/core/projection';
import type { ReceptionSlot, SlotWithBookings } from '../../../src/core/reception';

/**
 * What citizens meet in public: suggestion campaigns, leaders' reception days, the board
 * of published appeals, and comments on it that wait for a moderator's verdict. Counts of
 * suggestions and bookings are read from the appeals' projections, so they follow sync.
 */
export interface CivicStore {
  putCampaign(c: Campaign): Promise<void>;
  /** Every campaign with how many suggestions answered it and how many were adopted, newest first. */
  campaigns(): Promise<CampaignWithCounts[]>;
  putSlot(s: ReceptionSlot, now: number): Promise<void>;
  /** Reception slots ending after `from`, soonest first, with the appeals booked on each. */
  slots(from: number): Promise<SlotWithBookings[]>;
  /** Appeals on the public board, latest published first, published before `before` when given. */
  publishedAppeals(limit: number, before: number | null): Promise<AppealProjection[]>;
  addComment(c: NewComment): Promise<void>;
  /** Comments, newest first, by appeal, status and (for moderators) the appeals' regions. */
  comments(q: CommentQuery): Promise<PublicComment[]>;
  /** Sets a pending comment's verdict; false when it was not pending (or does not exist). */
  moderateComment(id: string, status: 'approved' | 'rejected', by: string, at: number): Promise<boolean>;
}

export type CommentStatus = 'pending' | 'approved' | 'rejected';

export interface NewComment {
  id: string;
  appealId: string;
  body: string;
  createdAt: number;
}

export interface PublicComment extends NewComment {
  status: CommentStatus;
  /** The appeal's village, so a moderator's scope can be checked. */
  village: string;
}

export interface CommentQuery {
  id?: string;
  appealId?: string;
  status?: CommentStatus;
  regionPrefixes?: string[];
  limit: number;
}
