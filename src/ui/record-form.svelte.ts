import { onDestroy } from 'svelte';
import { showEvalCode } from '../core/evalcode';
import { campaignOpen } from '../core/campaign';
import { validateAppealInput, type FieldErrors, type Gps } from '../core/appeal';
import type { AttachmentRef } from '../core/attachments';
import { classify, DEFAULT_KEYWORDS } from '../core/classify';
import { regionInScope, type SessionUser } from '../core/roles';
import { inRegion, regionMatches, shortVillageName, type Region } from '../core/regions';
import { nearestPlace, placeRegions, type LatLng } from '../core/geo';
import { t } from '../i18n/index.svelte';
import { recordAppeal, villageChecker } from '../store/appeals';
import type { MeetingRow } from '../store/db';
import { StorageFullError } from '../store/errors';
import { storeFile } from '../store/files';
import { runningPatrol } from '../store/patrols';
import { allRegions, campaigns, deadlinePolicy, keywordLibrary, recordedFixes } from '../store/queries';
import { DEFAULT_HINT_RULE, duplicateHints, prepare, type HintResult, type PreparedCandidate } from '../core/duplicate-hints';
import { hintCandidates } from '../store/duplicate-hints';
import type { Picked } from './picked';
import { lastChoices, rememberChoices } from './last-choices';
import { live } from './live.svelte';
import { loadCountyMap } from './places';
import { markUnsaved, whileSaving } from './updates.svelte';
import { keepDraft, type Draft } from './draft.svelte';
import { showFirstError } from './first-error';
import { showFormTop } from './form-top';
import { go } from './router.svelte';
import { app, db, kickSync } from './session.svelte';
import { toast } from './toast.svelte';
import { phaseDone } from '../store/phases';
import { markJustSaved } from './just-saved.svelte';

// The record form's state and behaviour; RecordForm.svelte renders it. Create it during the
// component's setup: it follows live queries and effects that end with the component.

/** A village as lists show it: "大仲村", not the committee's full name. */
export const villageName = (v: Region) => shortVillageName(v.name);

/** Asks the device for one position; does nothing where the browser has no geolocation. */
export function requestFix(onFix: (gps: Gps) => void, onFail: () => void): void {
  navigator.geolocation?.getCurrentPosition(
    (p) => onFix({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: Math.round(p.coords.accuracy) }),
    onFail,
    { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
  );
}

/** What the user starts with: a meeting's channel, else the last one chosen, else the role's usual one. */
function startingChannel(user: SessionUser, meeting: MeetingRow | null, last: string | undefined): string {
  if (meeting) return 'bench_meeting';
  return last ?? (user.role === 'bench_facilitator' ? 'bench_meeting' : user.role === 'grid_worker' ? 'grid_patrol' : '');
}

/** What the record form keeps as a draft: everything the user chose and typed. */
interface RecordDraft {
  channel: string;
  category: string;
  kind: string;
  urgency: string;
  town: string;
  villageCode: string;
  campaignId: string;
  description: string;
  anonymous: boolean;
  citizenName: string;
  citizenPhone: string;
  solvedOnSpot: boolean;
  onSpot: string;
  gps: Gps | null;
  attachments: Picked[];
  /** The duplicate hints' state (absent in drafts kept before them). */
  repeatOf?: string;
  dupesDismissed?: boolean;
}

const DAY = 86_400_000;
/** Hints follow the text once typing pauses: no work on every key. */
const HINT_DEBOUNCE_MS = 300;

export class RecordFormModel {
  /** Set when recording from a bench meeting: channel and village are the meeting's, and the form stays for the next appeal. */
  readonly meeting: MeetingRow | null;
  readonly user: SessionUser;

  // What the user enters.
  channel = $state('');
  category = $state('');
  kind = $state('');
  urgency = $state('yellow');
  town = $state('');
  villageCode = $state('');
  villageQuery = $state('');
  campaignId = $state('');
  description = $state('');
  anonymous = $state(false);
  citizenName = $state('');
  citizenPhone = $state('');
  solvedOnSpot = $state(false);
  onSpot = $state('');
  attachments = $state<Picked[]>([]);
  #gps = $state<Gps | null>(null);
  /** The earlier appeal this one repeats, linked from the duplicate hints ('' for none). */
  repeatOf = $state('');
  /** The worker said the hints are not the same problem: they stay closed for this appeal. */
  dupesDismissed = $state(false);

  // How it went.
  gpsFailed = $state(false);
  picking = $state(false);
  errors = $state<FieldErrors>({});
  formError = $state<string | null>(null);
  saving = $state(false);
  /** Appeals saved from this form while it stayed open for a meeting. */
  savedHere = $state(0);

  // From the device.
  readonly #regions = live(allRegions(db), (rows) => this.#loadCountyPoints(rows));
  readonly #library = live(keywordLibrary(db));
  readonly #campaigns = live(campaigns(db));
  readonly #patrol = live(runningPatrol(db, app.session!.user.id));
  /** The user's patrol running while the form is open: an appeal on the patrol channel is linked to it. */
  get patrol() {
    return this.meeting ? null : (this.#patrol.current ?? null);
  }
  /**
   * Where appeals were recorded with a fix, by village. Read once, when a point is first set:
   * a city dispatcher's device may hold tens of thousands of appeals, and most forms are
   * saved without a point.
   */
  #fixes = $state.raw<Map<string, LatLng[]> | null>(null);
  #fixesRead = false;
  #countyPoints = $state.raw<Readonly<Record<string, LatLng>>>({});

  readonly regions = $derived(this.#regions.current ?? []);
  readonly villages = $derived(this.regions.filter((r) => r.level === 'village' && regionInScope(this.user.scope, r.code)));
  readonly towns = $derived(this.regions.filter((r) => r.level === 'town' && this.villages.some((v) => v.parent === r.code)));
  readonly villagesInTown = $derived(this.villages.filter((v) => v.parent === this.town));
  /** Search across every town in scope, by name or pinyin initials ("dzc" → 大仲村). */
  readonly found = $derived(this.villageQuery.trim() ? this.villages.filter((v) => regionMatches(v, this.villageQuery)).slice(0, 8) : []);

  // Suggestions while typing: the category (and department) from the keyword library, with
  // the words that triggered it, and a village of the user's scope named in the text.
  readonly suggestions = $derived(this.description.trim().length >= 2 ? classify(this.description, this.#library.current ?? DEFAULT_KEYWORDS) : []);
  readonly namedVillages = $derived(this.villages.filter((v) => v.code !== this.villageCode && [...villageName(v)].length >= 2 && this.description.includes(villageName(v))).slice(0, 3));
  /** A suggestion may answer one of the city's open campaigns that asks this village. */
  readonly campaigns = $derived(
    this.kind === 'suggestion' && this.villageCode ? (this.#campaigns.current ?? []).filter((c) => campaignOpen(c, Date.now()) && inRegion(c.region, this.villageCode)) : [],
  );

  // With a point (GPS or tapped), the nearest village is suggested where appeals recorded
  // there with a fix tell where it is (within 1.5 km), else the town whose seat is nearest.
  // Villages only spread around their town by the map are never suggested: that would mislead.
  readonly #placed = $derived(placeRegions(this.regions, this.#countyPoints, this.#fixes ?? new Map()));
  readonly near = $derived.by(() => {
    if (!this.gps) return null;
    const village = nearestPlace(this.gps, this.#placed, this.villages.map((v) => v.code));
    if (village && village.metres <= 1500) return { ...village, level: 'village' as const };
    const seat = nearestPlace(this.gps, this.#placed, this.towns.map((tw) => tw.code));
    return seat && { ...seat, level: 'town' as const };
  });

  /** Whether anything the villager said would be lost if the page went away. */
  readonly unsaved = $derived(RecordFormModel.#hasInput(this));

  // Duplicate hints (查重提示): appeals on the device of this village and category within the
  // repeat window, read once per village and category (and again after each save here), and
  // compared with the text once typing pauses.
  #hintPool = $state.raw<{ key: string; list: PreparedCandidate[] }>({ key: '', list: [] });
  #hintText = $state('');
  #hintEpoch = $state(0);
  readonly #hintKey = $derived(`${this.villageCode}|${this.category}`);
  readonly #windowDays = $derived(this.villageCode ? deadlinePolicy(db, this.villageCode).repeat.windowDays : DEFAULT_HINT_RULE.windowDays);
  readonly dupes: HintResult = $derived(
    this.#hintPool.key === this.#hintKey
      ? duplicateHints({ village: this.villageCode, category: this.category, text: this.#hintText, now: Date.now() }, this.#hintPool.list, { ...DEFAULT_HINT_RULE, windowDays: this.#windowDays })
      : { count: 0, hints: [] },
  );
  /** The linked appeal's title, from the pool (the link stays even when the text moves on). */
  readonly repeatTitle = $derived(this.#hintPool.list.find((c) => c.id === this.repeatOf)?.title ?? '');

  constructor(meeting: MeetingRow | null) {
    this.meeting = meeting;
    this.user = app.session!.user;
    const last = lastChoices(this.user.id);
    this.channel = startingChannel(this.user, meeting, last.channel);
    this.town = meeting?.town ?? last.town ?? '';
    this.villageCode = meeting?.village ?? last.village ?? '';

    // What the villager said is not to be lost to an app update or a closed tab.
    $effect(() => markUnsaved('record', this.unsaved));
    onDestroy(() => markUnsaved('record', false));
    // Nor to leaving the form: what was typed is kept as a draft and is back on return.
    this.draft = keepDraft(`record:${this.user.id}:${meeting?.id ?? ''}`, () => this.#draftOf(), (d) => RecordFormModel.#hasInput(d), (d) => this.#restore(d), { inline: true });
    this.#followDuplicates();
    // With a single town or village in scope, there is nothing to choose.
    $effect(() => {
      if (!this.town && this.towns.length === 1) this.town = this.towns[0]!.code;
      if (!this.villageCode && this.villagesInTown.length === 1) this.villageCode = this.villagesInTown[0]!.code;
    });
  }

  readonly draft: Draft;

  #followDuplicates(): void {
    $effect(() => {
      const text = this.description;
      const timer = setTimeout(() => (this.#hintText = text), HINT_DEBOUNCE_MS);
      return () => clearTimeout(timer);
    });
    $effect(() => {
      const [key, village, category, since] = [this.#hintKey, this.villageCode, this.category, Date.now() - this.#windowDays * DAY];
      void this.#hintEpoch;
      let current = true;
      void hintCandidates(db, village, category, since).then((rows) => {
        if (current) this.#hintPool = { key, list: rows.map(prepare) };
      });
      return () => (current = false);
    });
    // A link belongs to an appeal of this village and category: another choice drops it.
    $effect(() => {
      const pool = this.#hintPool;
      if (this.repeatOf && pool.key === this.#hintKey && !pool.list.some((c) => c.id === this.repeatOf)) this.repeatOf = '';
    });
  }

  /** Links this appeal as a repeat of an earlier one ('' unlinks). */
  linkRepeat(id: string): void {
    this.repeatOf = id;
  }

  #draftOf(): RecordDraft {
    return {
      channel: this.channel, category: this.category, kind: this.kind, urgency: this.urgency, town: this.town, villageCode: this.villageCode,
      campaignId: this.campaignId, description: this.description, anonymous: this.anonymous, citizenName: this.citizenName, citizenPhone: this.citizenPhone,
      solvedOnSpot: this.solvedOnSpot, onSpot: this.onSpot, gps: $state.snapshot(this.gps), attachments: $state.snapshot(this.attachments) as Picked[],
      repeatOf: this.repeatOf, dupesDismissed: this.dupesDismissed,
    };
  }

  static #hasInput(d: RecordDraft): boolean {
    return !!(d.description.trim() || d.citizenName.trim() || d.citizenPhone.trim() || d.onSpot.trim() || d.attachments.length > 0);
  }

  #restore(d: RecordDraft): void {
    // A meeting's channel and village are the meeting's, whatever the draft says.
    const { gps, channel, town, villageCode, ...rest } = d;
    Object.assign(this, rest);
    if (!this.meeting) Object.assign(this, { channel, town, villageCode });
    this.gps = gps;
  }

  /** Empties the form (and its draft) on the user's word. */
  discard(): void {
    this.#clearForNext();
    this.gps = null;
    this.errors = {};
    this.formError = null;
  }

  /** The position chosen (GPS or tapped on the map), if any. */
  get gps(): Gps | null {
    return this.#gps;
  }

  set gps(p: Gps | null) {
    this.#gps = p;
    if (p && !this.#fixesRead) {
      this.#fixesRead = true;
      void recordedFixes(db).then((fixes) => (this.#fixes = fixes));
    }
  }

  #loadCountyPoints(rows: Region[]): void {
    const county = rows.find((r) => r.level === 'county');
    if (county) void loadCountyMap(county.code).then((m) => (this.#countyPoints = m?.points ?? {}));
  }

  regionName(code: string | null): string {
    return this.regions.find((r) => r.code === code)?.name ?? '';
  }

  useVillage(v: Region): void {
    this.town = v.parent ?? this.town;
    this.villageCode = v.code;
  }

  useNear(code: string, level: 'village' | 'town'): void {
    if (level === 'village') return this.useVillage(this.villages.find((v) => v.code === code)!);
    this.town = code;
    if (!this.villageCode.startsWith(code.slice(0, 9))) this.villageCode = '';
  }

  locate(): void {
    this.gpsFailed = false;
    requestFix(
      (fix) => (this.gps = fix),
      () => (this.gpsFailed = true),
    );
  }

  /** A point tapped on the map. */
  picked(p: LatLng): void {
    this.gps = p;
    this.gpsFailed = false;
    this.picking = false;
  }

  #input(refs: AttachmentRef[]) {
    return {
      channel: this.channel,
      category: this.category,
      kind: this.kind,
      urgency: this.urgency,
      villageCode: this.villageCode,
      description: this.description,
      gps: this.gps,
      citizen: { anonymous: this.anonymous, name: this.citizenName, phone: this.citizenPhone },
      ...(this.meeting && { meetingId: this.meeting.id }),
      ...(this.patrol && this.channel === 'grid_patrol' && { patrolId: this.patrol.id }),
      ...(this.campaignId && this.campaigns.some((c) => c.id === this.campaignId) && { campaignId: this.campaignId }),
      ...(this.solvedOnSpot && { onSpot: this.onSpot }),
      ...(this.repeatOf && { repeatOf: this.repeatOf }),
      ...(refs.length > 0 && { attachments: refs }),
    };
  }

  /** The next villager at a meeting is already waiting: clear what is theirs, keep the meeting's. */
  #clearForNext(): void {
    this.description = this.category = this.kind = this.campaignId = this.citizenName = this.citizenPhone = this.onSpot = '';
    this.anonymous = this.solvedOnSpot = this.dupesDismissed = false;
    this.urgency = 'yellow';
    this.attachments = [];
    this.repeatOf = '';
    // What was just saved here is a candidate for the next villager's hints.
    this.#hintEpoch++;
  }

  async submit(): Promise<void> {
    const { user, meeting } = this;
    this.saving = true;
    this.formError = null;
    let phaseAt = performance.now();
    try {
      // The form's own village list once read (live): the store checks again as it writes.
      const known = this.#regions.current ? new Set(this.villages.map((v) => v.code)) : null;
      const precheck = validateAppealInput(this.#input([]), known ? (code) => known.has(code) : await villageChecker(db, user.scope));
      phaseAt = phaseDone('save:precheck', phaseAt);
      const spotMissing = this.solvedOnSpot && !this.onSpot.trim();
      if (!precheck.ok || spotMissing) {
        this.errors = { ...(precheck.ok ? {} : precheck.errors), ...(spotMissing && { onSpot: 'required' as const }) };
        this.formError = t('form.invalid');
        void showFirstError();
        return;
      }
      // Files first, each on its own: one that does not fit on the device is reported, and
      // the appeal's text is saved all the same.
      const refs: AttachmentRef[] = [];
      const lost: string[] = [];
      for (const a of this.attachments) {
        const stored = await storeFile(db, a.blob, Date.now(), a.preview);
        if (stored.ok) refs.push(stored.ref);
        else lost.push(a.name);
      }
      phaseAt = phaseDone('save:files', phaseAt);
      const result = await whileSaving(() => recordAppeal(db, this.#input(refs), { id: user.id, role: user.role, name: user.displayName, scope: user.scope }));
      if (!result.ok) {
        this.errors = result.errors;
        this.formError = t('form.invalid');
        void showFirstError();
        return;
      }
      this.errors = {};
      phaseAt = phaseDone('save:record', phaseAt);
      // The draft's bookkeeping is done at once (leaving the form keeps no draft); its row is
      // deleted while the list paints.
      const draftCleared = this.draft.saved(!!meeting);
      if (!meeting) rememberChoices(user.id, { channel: this.channel, town: this.town, village: this.villageCode });
      // The push starts after the next frame: on a slow phone it would hold up the list's.
      requestAnimationFrame(() => setTimeout(kickSync));
      phaseDone('save:after', phaseAt);
      const note = lost.length > 0 ? t('attach.notSaved', { names: lost.join('、') }) : null;
      if (meeting) {
        await draftCleared;
        this.savedHere++;
        this.#clearForNext();
        this.formError = note;
        // The form goes back to its top: a lost attachment is told where the eyes go, not only at the bottom.
        toast(note ?? t('meeting.appealSaved', { count: this.savedHere }), note ? 10_000 : undefined);
        void showFormTop();
        return;
      }
      // The citizen leaves with the code in hand (the detail page also shows its QR code).
      const saved = result.value.evalCode ? t('form.savedWithCode', { code: showEvalCode(result.value.evalCode) }) : t('form.saved');
      toast(note ?? saved, 10_000);
      // The list shows it first, and measures from here to its first frame with it (AppealList.svelte).
      markJustSaved(result.value.row);
      performance.mark('save:leave', { detail: result.value.id });
      go('/');
      await draftCleared;
    } catch (err) {
      this.formError = err instanceof StorageFullError ? t('form.storageFull') : t('form.saveFailed', { message: err instanceof Error ? err.message : String(err) });
    } finally {
      this.saving = false;
    }
  }
}
