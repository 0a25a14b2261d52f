import { deviceNow } from './clock';
import * as Y from 'yjs';
import { appendEvent, readAppeal, type AppealSnapshot } from '../core/doc';
import { newId } from '../core/id';
import { isMeetingEvent, meetingRefusal, projectMeeting, validateMeetingInput, writeNewMeeting, type MeetingCheck, type MeetingEvent } from '../core/meeting';
import type { SessionUser } from '../core/roles';
import type { Recorder } from './appeals';
import { villageChecker } from './appeals';
import type { MinshengDB } from './db';
import { applyLocalChange, scratchDoc, storeNewDoc } from './docs';

/** Records a bench meeting: its document, list row and outbox entry in one transaction. */
export async function recordMeeting(db: MinshengDB, raw: unknown, who: Recorder, now = deviceNow(db)): Promise<MeetingCheck & { id?: string }> {
  const checked = validateMeetingInput(raw, await villageChecker(db, who.scope));
  if (!checked.ok) return checked;
  const id = newId();
  const doc = new Y.Doc();
  writeNewMeeting(doc, checked.value, who, now, newId());
  await storeNewDoc(db, db.meetings, id, doc, projectMeeting, now);
  return { ...checked, id };
}

export async function loadMeeting(db: MinshengDB, id: string): Promise<AppealSnapshot | null> {
  if (!(await db.meetings.get(id))) return null;
  const doc = await scratchDoc(db, id);
  try {
    return readAppeal(doc, id);
  } finally {
    doc.destroy();
  }
}

type MeetingAction = { type: 'idea'; text: string; adopted: boolean | null } | { type: 'idea_decided'; idea: string; adopted: boolean; note?: string };

/** Appends an idea or a decision on one, checked with the rules the server applies. */
export async function meetingAct(db: MinshengDB, id: string, user: SessionUser, input: MeetingAction, now = deviceNow(db)): Promise<{ ok: true } | { ok: false; reason: string }> {
  let refused: string | null = null;
  await applyLocalChange(
    db,
    id,
    (doc) => {
      const snapshot = readAppeal(doc, id);
      const event = { ...input, id: newId(), actor: user.id, role: user.role, by: user.displayName, at: now };
      if (!isMeetingEvent(event)) refused = 'malformed';
      else refused = meetingRefusal(user, { villageCode: String(snapshot.fields.villageCode), createdBy: String(snapshot.fields.createdBy) }, snapshot.events, event);
      if (!refused) appendEvent(doc, event as MeetingEvent);
    },
    now,
  );
  return refused ? { ok: false, reason: refused } : { ok: true };
}
