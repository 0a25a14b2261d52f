// Size limits shared by the form, the local store and the server's validation.
export const MAX_DESCRIPTION_CHARS = 20_000;
export const MAX_NAME_CHARS = 50;
export const MAX_EVENT_NOTE_CHARS = 5_000;
export const MAX_EVENTS_PER_APPEAL = 2_000;
/** Comments have budgets of their own (budget.ts), so talk never crowds out the pipeline. */
export const MAX_COMMENTS_PER_APPEAL = 1_000;
export const MAX_COMMENTS_PER_AUTHOR = 200;
export const MAX_COMMENTS_PER_UPDATE = 20;
/** One pushed Yjs update. */
export const MAX_UPDATE_BYTES = 1 << 20;
/** One WebSocket frame; a batch of updates must fit. */
export const MAX_FRAME_BYTES = 4 << 20;
export const MAX_PUSH_ITEMS = 200;
/** A category code; the codes are a fixed list (categories.ts), this only bounds what is compared. */
export const MAX_CATEGORY_CHARS = 64;
/** A user id as written into `createdBy` (UUIDv7, 36 chars, or a short fixed id). */
export const MAX_ACTOR_ID_CHARS = 64;
/** An attachment's media type, parameters included ("audio/webm;codecs=opus"). */
export const MAX_MEDIA_TYPE_CHARS = 100;
/** A hand-over bundle (handover.ts): a whole file or QR sequence; a bigger outbox goes as several. */
export const MAX_BUNDLE_BYTES = MAX_FRAME_BYTES;
/** Records in one hand-over bundle. */
export const MAX_BUNDLE_ENTRIES = 1_000;
