import { isEvalCode } from './evalcode';
import type { Channel, Kind, Urgency } from './appeal';
import { workingMinutesBetween } from './calendar';
import { deadlineOf, type DeadlinePolicy } from './deadline';
import type { QualityVerdict, Satisfaction, Tier, Unreasonable } from './events';
import { fold, type AppealState, type Stage, type Status } from './fold';
import type { AppealSnapshot } from './doc';
import { townOf } from './regions';
import { checkReply, type QualityRule } from './reply-quality';

/**
 * The columns both stores index for queues, lists and the map. Always derived from the
 * document, never edited: re-project after every change.
 */
export interface AppealProjection {
  id: string;
  status: Status;
  tier: Tier;
  village: string;
  town: string;
  urgency: Urgency;
  category: string;
  channel: Channel;
  kind: Kind;
  dept: string | null;
  handler: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** When the running stage is due (Unix ms); null when no clock runs. */
  dueAt: number | null;
  stage: Stage | null;
  supervisionLevel: number;
  satisfaction: Satisfaction | null;
  mergedInto: string | null;
  /** The earlier appeal its recorder linked it to as a repeat (duplicate-hints.ts); null when none. */
  repeatOf: string | null;
  /** First line of the description, for lists. */
  title: string;
  anonymous: boolean;
  conflicts: number;
  reopenCount: number;
  /** The bench meeting it was raised at. */
  meetingId: string | null;
  onSpot: boolean;
  /** Attachments listed in the fields (their bytes upload separately). */
  attachments: number;
  /** Where it was recorded (WGS84), when the device had a GPS fix. */
  lat: number | null;
  lng: number | null;
  /** First reply to the citizen (Unix ms), the end of handling for the rankings. */
  repliedAt: number | null;
  /** Last closure (Unix ms); null while open or after a reopening. */
  closedAt: number | null;
  /** Every reply given within its running handling deadline; null before any reply. */
  onTime: boolean | null;
  /** Working minutes from recording to the first reply, on the county's working hours. */
  handlingMinutes: number | null;
  /** The citizen's evaluation code; null on appeals recorded before codes existed. */
  evalCode: string | null;
  /** On the public board since (Unix ms), with the publisher's wording; all null when not shown. */
  publishedAt: number | null;
  publicSummary: string | null;
  publicReply: string | null;
  /** The suggestion campaign it answers, and whether it was adopted. */
  campaignId: string | null;
  adopted: boolean;
  /** The reception-day slot booked last (null when none). */
  receptionSlot: string | null;
  /** The bounce-back ledger: returns (退回), reassignments (改派), the responsibility review. */
  returns: number;
  reassigns: number;
  review: 'pending' | 'decided' | null;
  /** 不合理诉求: the label's state. */
  unreasonable: Unreasonable | null;
  /** 首接负责: the tier of the desk that first dispatched it. */
  leadTier: Tier | null;
  /** The highest tier it has been at (never falls). */
  reached: Tier;
  /** Minutes from recording to the first assignment (dispatch time); null until dispatched. */
  dispatchMinutes: number | null;
  /** Reply quality rules (reply-quality.ts) the last reply trips, the same on device and server; empty before a reply. The copy check needs other appeals and is left to the reply form. */
  qualityFlags: QualityRule[];
  /** The standing reply's event id, the reviewer's verdict on it, and replies sent back for redo so far. */
  replyId: string | null;
  quality: QualityVerdict | null;
  redoCount: number;
  /** 调解: the mediator it was last sent to, the sessions recorded, the outcome (null while it runs or when never sent). */
  mediator: string | null;
  mediationSessions: number;
  mediationOutcome: 'settled' | 'not_settled' | null;
}

/** What the rankings need of an appeal's history: each reply against the deadline running when it was given. */
type Outcome = Pick<AppealProjection, 'repliedAt' | 'closedAt' | 'onTime' | 'handlingMinutes'>;

export function handlingOutcome(snapshot: AppealSnapshot, policy: DeadlinePolicy): Outcome {
  return foldWithOutcome(snapshot, policy).outcome;
}

/** The fold of the events and, from the same walk, the handling outcome. */
function foldWithOutcome(snapshot: AppealSnapshot, policy: DeadlinePolicy): { state: AppealState; outcome: Outcome; lastReply: string | null } {
  const f = snapshot.fields;
  const terms = { kind: f.kind as Kind, urgency: f.urgency as Urgency };
  let replies = 0;
  let late = 0;
  let first: number | null = null;
  let lastReply: string | null = null;
  const state = fold(snapshot.events, snapshot.id, (e, before, _i, refused) => {
    // An answer given on the spot is the reply the reviewers check.
    if (!refused && e.type === 'recorded' && e.onSpot) lastReply = e.onSpot;
    // A mediation settled answers the citizen with its agreement, as a reply does.
    const answers = e.type === 'replied' || (e.type === 'mediation_closed' && e.settled);
    if (refused || !answers) return;
    replies++;
    first ??= e.at;
    lastReply = e.note;
    const due = deadlineOf(before, terms, policy)?.dueAt;
    if (due !== undefined && e.at > due) late++;
  });
  const recordedAt = state.recordedAt ?? (typeof f.createdAt === 'number' ? f.createdAt : null);
  const repliedAt = state.onSpot ? recordedAt : first;
  return {
    state,
    lastReply,
    outcome: {
      repliedAt,
      closedAt: state.status === 'closed' ? state.closedAt : null,
      // Solved on the spot counts as on time: the answer came at once.
      onTime: state.onSpot ? true : replies > 0 ? late === 0 : null,
      handlingMinutes: repliedAt !== null && recordedAt !== null ? Math.round(workingMinutesBetween(recordedAt, repliedAt, policy.hours)) : null,
    },
  };
}


const TITLE_CHARS = 80;

export function titleOf(description: string): string {
  // CRLF or lone CR end a line too; a cut never splits a surrogate pair (emoji).
  const line = (description.trim().split(/\r\n|\r|\n/, 1)[0] ?? '').trimEnd();
  if (line.length <= TITLE_CHARS) return line;
  const cut = /[\uD800-\uDBFF]/.test(line.charAt(TITLE_CHARS - 2)) ? TITLE_CHARS - 2 : TITLE_CHARS - 1;
  return line.slice(0, cut) + '…';
}

export function project(snapshot: AppealSnapshot, policy: DeadlinePolicy, given?: AppealState): AppealProjection {
  // One walk over the events gives the state and the outcome; a state a caller already has stands.
  const { state: folded, outcome, lastReply } = foldWithOutcome(snapshot, policy);
  const state = given ?? folded;
  const f = snapshot.fields;
  const village = String(f.villageCode ?? '');
  const createdAt = typeof f.createdAt === 'number' ? f.createdAt : 0;
  const citizen = f.citizen as { anonymous?: boolean } | undefined;
  const gps = f.gps as { lat: number; lng: number } | null | undefined;
  return {
    id: snapshot.id,
    status: state.status ?? 'new',
    tier: state.tier,
    village,
    town: village ? townOf(village) : '',
    urgency: f.urgency as Urgency,
    category: String(f.category ?? ''),
    channel: f.channel as Channel,
    kind: f.kind as Kind,
    dept: state.dept,
    handler: state.handler,
    createdBy: String(f.createdBy ?? ''),
    createdAt,
    updatedAt: Math.max(createdAt, state.lastEventAt ?? 0),
    dueAt: deadlineOf(state, { kind: f.kind as Kind, urgency: f.urgency as Urgency }, policy)?.dueAt ?? null,
    stage: state.stage,
    supervisionLevel: state.supervisionLevel,
    satisfaction: state.satisfaction,
    mergedInto: state.mergedInto,
    repeatOf: typeof f.repeatOf === 'string' ? f.repeatOf : null,
    title: titleOf(snapshot.description),
    anonymous: citizen?.anonymous === true,
    conflicts: state.conflicts.length,
    reopenCount: state.reopenCount,
    meetingId: typeof f.meetingId === 'string' ? f.meetingId : null,
    onSpot: state.onSpot,
    attachments: Array.isArray(f.attachments) ? f.attachments.length : 0,
    lat: gps ? gps.lat : null,
    lng: gps ? gps.lng : null,
    evalCode: isEvalCode(f.evalCode) ? f.evalCode : null,
    publishedAt: state.published?.at ?? null,
    publicSummary: state.published?.summary ?? null,
    publicReply: state.published?.reply ?? null,
    campaignId: typeof f.campaignId === 'string' ? f.campaignId : null,
    adopted: state.adopted,
    receptionSlot: state.reception?.slotId ?? null,
    returns: state.returns,
    reassigns: state.reassigns,
    review: state.review,
    unreasonable: state.unreasonable,
    leadTier: state.leadTier,
    reached: state.reached,
    dispatchMinutes: state.firstAssignedAt !== null && state.recordedAt !== null ? Math.max(0, Math.round((state.firstAssignedAt - state.recordedAt) / 60_000)) : null,
    qualityFlags: lastReply === null ? [] : checkReply(lastReply, { phrases: policy.replyPhrases }).map((f) => f.rule),
    replyId: state.lastReplyId,
    quality: state.quality,
    redoCount: state.redoCount,
    mediator: state.mediation?.mediator ?? null,
    mediationSessions: state.mediation?.sessions ?? 0,
    mediationOutcome: state.mediation?.outcome ?? null,
    ...outcome,
  };
}
