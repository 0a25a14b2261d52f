/** A file chosen in a form, not yet stored: the form stores it when the appeal is saved. */
export interface Picked {
  blob: Blob;
  name: string;
  /** Size as picked, before the photo was compressed. */
  originalSize: number;
  url: string;
  /** A photo's small copy, sent with the record at once (src/core/media-budget.ts). */
  preview?: Blob | null;
}
