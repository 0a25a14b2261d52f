import * as v from 'valibot';

// Leaders' reception days (首发接访): an official publishes when and where they will meet
// citizens in person; a citizen (with the appeal's evaluation code) or a grid worker on their
// behalf books a place for an appeal. Booking and outcome are events on the appeal, so they
// show on its timeline and travel offline like any change. Places are counted, not enforced:
// a booking made offline cannot know the last place went; the slot shows it is over-full.

export interface ReceptionSlot {
  id: string;
  /** Who receives, as the public should read it: "县委书记 张三". */
  host: string;
  place: string;
  startsAt: number;
  endsAt: number;
  capacity: number;
  /** A county or a town: whose appeals may book it. */
  region: string;
  createdBy: string;
}

export interface SlotWithBookings extends ReceptionSlot {
  booked: number;
}

export const NewSlotSchema = v.pipe(
  v.strictObject({
    host: v.pipe(v.string(), v.trim(), v.minLength(2), v.maxLength(40)),
    place: v.pipe(v.string(), v.trim(), v.minLength(2), v.maxLength(80)),
    startsAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
    endsAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
    capacity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(200)),
    region: v.pipe(v.string(), v.regex(/^\d{6}$|^\d{9}000$/, 'a county (6 digits) or a town (12 digits ending 000)')),
  }),
  v.check((s) => s.endsAt > s.startsAt && s.endsAt - s.startsAt <= 12 * 3_600_000, 'a slot ends after it starts, within 12 hours'),
);
