import type { Contact } from '../../src/core/appeal';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold, isOpen, type Status } from '../../src/core/fold';
import { scrubPublicText } from '../../src/core/privacy';
import type { AppealProjection } from '../../src/core/projection';
import type { Store } from '../store/types';

// mySociety's servicerequestupdates extension (what FixMyStreet polls with start_date and
// end_date): each step of an appeal that changed its status, each reply to the citizen, and
// each public reply it was shown with on the board. Status changes are told for every appeal a
// partner may list; a reply's words only for appeals the partner's own citizens filed (it was
// written to them), scrubbed of the citizen's name and phone like everything public.

export type RequestUpdate = {
  update_id: string;
  service_request_id: string;
  status: 'open' | 'closed';
  updated_datetime: string;
  description: string;
  media_url: string;
  /** Our own status behind open/closed (the extension's external_status_code). */
  external_status_code: string;
};

/** Appeals read per page while walking back through the latest changes. */
const PAGE = 200;

export interface UpdateQuery {
  region: string;
  start: number;
  end: number;
  limit: number;
  /** Our status's words, for updates that carry no text of their own. */
  statusWords: (status: Status) => string;
  /** Whether an appeal came in from a partner (its replies may be told). */
  fromPartner: (a: AppealProjection) => boolean;
}

/** Appeals under `region` changed at or after `start`, latest first, as many as `limit`. */
async function changedSince(store: Store, region: string, start: number, limit: number): Promise<AppealProjection[]> {
  const out: AppealProjection[] = [];
  let before: { updatedAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.browseAppeals({ prefixes: [region], limit: PAGE, ...(before && { before }) });
    for (const a of page) if (a.updatedAt >= start && out.length < limit) out.push(a);
    const last = page.at(-1);
    if (page.length < PAGE || !last || last.updatedAt < start || out.length >= limit) return out;
    before = { updatedAt: last.updatedAt, id: last.id };
  }
}

export async function requestUpdates(store: Store, q: UpdateQuery): Promise<RequestUpdate[]> {
  const appeals = await changedSince(store, q.region, q.start, q.limit);
  const contacts = await store.contacts(appeals.map((a) => a.id));
  const updates: RequestUpdate[] = [];
  for (const a of appeals) {
    const doc = docFromUpdates(await store.docParts(a.id));
    const events = readAppeal(doc, a.id).events as AppealEvent[];
    doc.destroy();
    updates.push(...updatesOf(a, events, contacts.get(a.id) ?? null, q));
  }
  return updates.sort((x, y) => (x.updated_datetime < y.updated_datetime ? -1 : x.updated_datetime > y.updated_datetime ? 1 : 0)).slice(0, q.limit);
}

/** One appeal's updates in [start, end]: each event after which its status differs, or that carries a reply the partner may read. */
export function updatesOf(a: AppealProjection, events: readonly AppealEvent[], contact: Contact | null, q: Pick<UpdateQuery, 'start' | 'end' | 'statusWords' | 'fromPartner'>): RequestUpdate[] {
  const out: RequestUpdate[] = [];
  let before: Status | null = null;
  events.forEach((e, i) => {
    const after = fold(events.slice(0, i + 1), a.id).status;
    const changed = after !== before;
    before = after;
    if (after === null || typeof e?.at !== 'number' || e.at < q.start || e.at > q.end) return;
    const reply = e.type === 'replied' && q.fromPartner(a) ? e.note : e.type === 'published' ? (e.reply ?? null) : null;
    if (!changed && !reply) return;
    out.push({
      update_id: e.id,
      service_request_id: a.id,
      status: isOpen(after) ? 'open' : 'closed',
      updated_datetime: new Date(e.at).toISOString(),
      description: reply ? scrubPublicText(reply, contact) : q.statusWords(after),
      media_url: '',
      external_status_code: after,
    });
  });
  return out;
}
