/**
 * Attached files and who may read them. Bytes live on disk, content-addressed by hash; the
 * store keeps which documents list each file, who vouched for each listing, and each
 * user's own upload of it (open while its bytes arrive, done once they matched the hash).
 * A document's readers may download a file once one of its listing's backers finished
 * uploading it (the backer '' vouches at once: someone who could already read the file
 * listed it). See server/sync/attachments.ts for the rules.
 */
export interface FileStore {
  file(hash: string): Promise<StoredFile | null>;
  /** Records a file whose bytes arrived whole (nothing when it is already known). */
  putFile(f: StoredFile, now: number): Promise<void>;
  /** Where the documents that list a file lie: who may download it follows them. */
  attachmentScopes(hash: string): Promise<{ villageCode: string; dept: string | null }[]>;
  /** Every document listing `hash`, with the backers of each listing (who may download follows the valid ones). */
  attachmentListings(hash: string): Promise<AttachmentListing[]>;
  /** One user's upload of a file, or null when the user never sent any of it. */
  fileUpload(hash: string, userId: string): Promise<FileUpload | null>;
  /** Records an unfinished upload of `size` declared bytes (nothing when the user has one for this hash). */
  openFileUpload(hash: string, userId: string, size: number, now: number): Promise<void>;
  /** The user sent every byte of `hash` and they matched: they uploaded the file. */
  finishFileUpload(hash: string, userId: string, size: number, now: number): Promise<void>;
  /** Forgets an unfinished upload (its bytes were discarded or expired); a finished one stays. */
  dropFileUpload(hash: string, userId: string): Promise<void>;
  /** How many unfinished uploads a user holds and the bytes they declared. */
  openFileUploads(userId: string): Promise<{ count: number; bytes: number }>;
  /** Unfinished uploads started before `before`, oldest first, at most `limit`. */
  staleFileUploads(before: number, limit: number): Promise<{ hash: string; userId: string }[]>;
}

/** A file whose bytes arrived whole and matched their hash. */
export interface StoredFile {
  hash: string;
  type: string;
  size: number;
  uploadedBy: string;
}

export interface FileUpload {
  size: number;
  startedAt: number;
  done: boolean;
}

/** A document that lists a file: where it lies, who vouched for the listing, and whether it lets the document's readers download the file. */
export interface AttachmentListing {
  docId: string;
  villageCode: string;
  dept: string | null;
  backers: string[];
  valid: boolean;
}

/** What the server knows of a file when someone attaches it. */
export interface AttachmentFacts {
  /** Its bytes arrived whole (from anyone). */
  stored: boolean;
  /** This user's own upload of it: finished, under way, or never begun. */
  upload: 'done' | 'open' | null;
  listings: AttachmentListing[];
}
