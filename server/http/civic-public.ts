import { cstTime } from '../../src/core/calendar';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateAppealInput } from '../../src/core/appeal';
import { campaignOpen, type CampaignWithCounts } from '../../src/core/campaign';
import { defaultPolicy, type Policies } from '../../src/core/policy-book';
import { showEvalCode } from '../../src/core/evalcode';
import { CITIZEN, type AppealEvent } from '../../src/core/events';
import { isOpen } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import type { SlotWithBookings } from '../../src/core/reception';
import { inRegion, levelOf, shortVillageName, townOf } from '../../src/core/regions';
import { topDeskRole } from '../../src/core/workflow';
import { appendOnServer, recordOnServer } from '../services/intake';
import type { Store } from '../store/types';
import type { CommitBus } from '../sync/bus';
import { clientIp } from '../net/address';
import type { CodeFinder } from './public';
import { escape, PREFIX, readForm, sendPage, when, wordsFor, type Lang } from './public-page';
import { createWindowCounter } from '../net/ratelimit';

// The public side of suggestion campaigns (问计) and reception days (首发接访): a citizen
// answers an open campaign without an account, and books a place at a reception day with
// their appeal's evaluation code. Both land as appeals and events like any other.

const MAX_SUGGESTION = 500;
/** Suggestions an address may send per window. */
export const SUGGESTION_LIMIT = { max: 5, windowMs: 10 * 60_000 };
const INTAKE_ID = 'public-suggestions';

interface CivicDeps {
  store: Store;
  bus: CommitBus;
  /** The deployment's policies: an appeal is projected by its county's. */
  policy: Policies;
  find: CodeFinder;
  villages: ReadonlySet<string>;
  places: ReadonlyMap<string, string>;
}

/** What the campaign and reception pages share, built once by createCivicPages. */
interface CivicContext extends CivicDeps {
  /** Suggestions sent per address, against SUGGESTION_LIMIT. */
  sent: ReturnType<typeof createWindowCounter>;
}

export function createCivicPages(deps: CivicDeps) {
  const ctx: CivicContext = { ...deps, sent: createWindowCounter(SUGGESTION_LIMIT) };
  /** Answers `/p/ask…` and `/p/reception…`; false for any other path. */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleCivicPage(ctx, req, res);
}

async function handleCivicPage(ctx: CivicContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  const path = url.pathname;
  if (req.method === 'GET' && path === `${PREFIX}ask`) return campaignList(ctx, res, lang).then(() => true);
  if (req.method === 'GET' && path === `${PREFIX}reception`) return slotList(ctx, res, lang).then(() => true);
  let m = /^\/p\/ask\/([0-9a-f-]{36})$/.exec(path);
  if (m) {
    const campaign = (await ctx.store.campaigns()).find((c) => c.id === m![1]);
    if (!campaign || !campaignOpen(campaign, Date.now())) return campaignList(ctx, res, lang).then(() => true);
    if (req.method === 'POST') await suggest(ctx, req, res, lang, campaign);
    else await campaignForm(ctx, res, lang, campaign, url.searchParams.get('town'));
    return true;
  }
  m = /^\/p\/reception\/([0-9a-f-]{36})$/.exec(path);
  if (m && req.method === 'POST') return book(ctx, req, res, lang, m[1]!).then(() => true);
  return false;
}

// A county is stored as its 12-digit code (371324 → 371324000000).
const regionName = ({ places }: CivicContext, region: string) => places.get(region.padEnd(12, '0')) ?? region;
/** The places inside a county or town, in code order. */
const within = ({ places }: CivicContext, region: string) => [...places].filter(([code]) => inRegion(region, code));
/** A page's error notice, in the page's words. */
const problemIn = (w: Record<string, string>) => (key: string) => `<p class="error" role="alert">${escape(w[key]!)}</p>`;

async function campaignList(ctx: CivicContext, res: ServerResponse, lang: Lang): Promise<void> {
  const w = wordsFor(lang);
  const open = (await ctx.store.campaigns()).filter((c) => campaignOpen(c, Date.now()));
  const q = lang === 'en' ? '?lang=en' : '';
  const items = open.map(
    (c) => `<article><h2><a href="${PREFIX}ask/${c.id}${q}">${escape(c.title)}</a></h2><p>${escape(c.question)}</p><p class="meta">${escape(regionName(ctx, c.region))} · ${escape(w['ask.closes']!.replace('{date}', c.closesOn))} · ${escape(w['ask.counts']!.replace('{n}', String(c.suggestions)).replace('{adopted}', String(c.adopted)))}</p></article>`,
  );
  sendPage(res, 200, lang, w['ask.title']!, `<h1>${escape(w['ask.title']!)}</h1>${items.join('') || `<p>${escape(w['ask.none']!)}</p>`}`);
}

/** A county-wide campaign first asks which town, so the village list stays short on 2G. */
async function campaignForm(ctx: CivicContext, res: ServerResponse, lang: Lang, c: CampaignWithCounts, town: string | null, notice = '', status = 200): Promise<void> {
  const w = wordsFor(lang);
  const q = lang === 'en' ? '&lang=en' : '';
  const head = `<h1>${escape(c.title)}</h1><p>${escape(c.question)}</p>${notice}`;
  const townCode = c.region.length === 12 ? c.region : town && inRegion(c.region, town) && /^\d{9}000$/.test(town) ? town : null;
  if (!townCode) {
    const towns = within(ctx, c.region).filter(([code]) => levelOf(code) === 'town').map(([code, name]) => `<li><a href="${PREFIX}ask/${c.id}?town=${code}${q}">${escape(name)}</a></li>`);
    sendPage(res, status, lang, c.title, `${head}<p>${escape(w['ask.pickTown']!)}</p><ul>${towns.join('')}</ul>`);
    return;
  }
  const options = within(ctx, townCode).filter(([code]) => ctx.villages.has(code)).map(([code, name]) => `<option value="${code}">${escape(shortVillageName(name))}</option>`);
  const form = `<form method="post" action="${PREFIX}ask/${c.id}${lang === 'en' ? '?lang=en' : ''}"><label for="village">${escape(w['ask.village']!)} · ${escape(regionName(ctx, townCode))}</label><select id="village" name="village" required>${options.join('')}</select><label for="suggestion">${escape(w['ask.suggestion']!)}</label><textarea id="suggestion" name="suggestion" rows="5" maxlength="${MAX_SUGGESTION}" required></textarea><label for="name">${escape(w['ask.name']!)}</label><input type="text" id="name" name="name" maxlength="20"><label for="phone">${escape(w['ask.phone']!)}</label><input type="text" id="phone" name="phone" inputmode="tel" maxlength="20"><span class="meta">${escape(w['ask.private']!)}</span><button type="submit">${escape(w['ask.send']!)}</button></form>`;
  sendPage(res, status, lang, c.title, head + form);
}

async function suggest(ctx: CivicContext, req: IncomingMessage, res: ServerResponse, lang: Lang, c: CampaignWithCounts): Promise<void> {
  const w = wordsFor(lang);
  const problem = problemIn(w);
  const ip = clientIp(req);
  if (ctx.sent.blockedFor(ip) > 0) return campaignForm(ctx, res, lang, c, null, problem('ask.tooMany'), 429);
  const form = await readForm(req);
  const village = form?.get('village') ?? '';
  const name = (form?.get('name') ?? '').trim();
  const phone = (form?.get('phone') ?? '').replace(/\s+/g, '');
  const checked = validateAppealInput(
    {
      channel: 'online_opinion',
      category: c.category,
      kind: 'suggestion',
      urgency: 'yellow',
      villageCode: village,
      description: (form?.get('suggestion') ?? '').trim().slice(0, MAX_SUGGESTION),
      citizen: name || phone ? { anonymous: false, ...(name && { name }), ...(phone && { phone }) } : { anonymous: true },
      campaignId: c.id,
    },
    (code) => ctx.villages.has(code) && inRegion(c.region, code),
  );
  if (!checked.ok) return campaignForm(ctx, res, lang, c, townOf(village), problem(checked.errors.citizenPhone ? 'ask.badPhone' : 'ask.missing'), 400);
  ctx.sent.hit(ip);
  const { evalCode } = await recordOnServer(ctx.store, ctx.bus, ctx.policy, checked.value, { id: INTAKE_ID, role: topDeskRole(defaultPolicy(ctx.policy)) });
  const code = evalCode ? `<p>${escape(w['ask.code']!)} <b>${showEvalCode(evalCode)}</b> · <a href="${PREFIX}c/${evalCode}">${escape(w['ask.follow']!)}</a></p>` : '';
  sendPage(res, 200, lang, c.title, `<h1>${escape(c.title)}</h1><p class="note" role="status">${escape(w['ask.thanks']!)}</p>${code}<p><a href="${PREFIX}ask">${escape(w['ask.back']!)}</a></p>`);
}

async function slotList(ctx: CivicContext, res: ServerResponse, lang: Lang, notice = '', status = 200): Promise<void> {
  const w = wordsFor(lang);
  const slots = await ctx.store.slots(Date.now());
  const item = (s: SlotWithBookings) => {
    const left = s.capacity - s.booked;
    const form = left > 0 && s.startsAt > Date.now() ? `<form method="post" action="${PREFIX}reception/${s.id}${lang === 'en' ? '?lang=en' : ''}"><label for="code-${s.id}">${escape(w['reception.code']!)}</label><input type="text" id="code-${s.id}" name="code" maxlength="16" autocapitalize="characters" required><button type="submit">${escape(w['reception.book']!)}</button></form>` : '';
    return `<article><h2>${escape(s.host)}</h2><p class="meta">${escape(when(s.startsAt, lang)!)}–${escape(cstTime(s.endsAt))} · ${escape(s.place)} · ${escape(regionName(ctx, s.region))}</p><p>${escape(left > 0 ? w['reception.left']!.replace('{n}', String(left)) : w['reception.full']!)}</p>${form}</article>`;
  };
  sendPage(res, status, lang, w['reception.title']!, `<h1>${escape(w['reception.title']!)}</h1>${notice}${slots.map(item).join('') || `<p>${escape(w['reception.none']!)}</p>`}`);
}

async function book(ctx: CivicContext, req: IncomingMessage, res: ServerResponse, lang: Lang, slotId: string): Promise<void> {
  const w = wordsFor(lang);
  const problem = problemIn(w);
  const slot = (await ctx.store.slots(Date.now())).find((s) => s.id === slotId);
  if (!slot || slot.startsAt <= Date.now()) return slotList(ctx, res, lang, problem('reception.gone'), 404);
  const form = await readForm(req);
  const found = await ctx.find(req, form?.get('code') ?? '');
  if ('status' in found) return slotList(ctx, res, lang, problem(found.status === 429 ? 'public.tooMany' : 'public.notFound'), found.status);
  if (!inRegion(slot.region, found.appeal.village)) return slotList(ctx, res, lang, problem('reception.notHere'), 409);
  if (slot.booked >= slot.capacity) return slotList(ctx, res, lang, problem('reception.full'), 409);
  const booked = await appendOnServer(ctx.store, ctx.bus, ctx.policy, found.appeal.id, 'public-reception', (state) =>
    !isOpen(state.status) || state.reception?.slotId === slot.id
      ? null
      : ({ id: newId(), type: 'reception_booked', slotId: slot.id, startsAt: slot.startsAt, host: slot.host, actor: CITIZEN, role: CITIZEN, at: Date.now(), ...(state.lastAppliedId && { basis: state.lastAppliedId }) } as AppealEvent),
  );
  if (!booked) return slotList(ctx, res, lang, problem('reception.notOpen'), 409);
  await slotList(ctx, res, lang, `<p class="note" role="status">${escape(w['reception.booked']!.replace('{time}', when(slot.startsAt, lang)!).replace('{place}', slot.place))}</p>`);
}
