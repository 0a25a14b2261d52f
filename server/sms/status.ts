// SMPP 3.4 command_status values the gateway reads or answers with (§5.1.3).
export const ESME_ROK = 0x00;
export const ESME_RINVMSGLEN = 0x01;
export const ESME_RSYSERR = 0x08;
export const ESME_RINVDSTADR = 0x0b;
export const ESME_RMSGQFUL = 0x14;
export const ESME_RSUBMITFAIL = 0x45;
export const ESME_RTHROTTLED = 0x58;
export const ESME_RX_T_APPN = 0x64;
export const ESME_RX_R_APPN = 0x65;

/** The SMSC is busy, not the message wrong: slow down and try the same parts again. */
export const SLOW_DOWN: ReadonlySet<number> = new Set([ESME_RTHROTTLED, ESME_RMSGQFUL]);
/** Worth another try later (the SMSC's own trouble); anything else is the message's and final. */
export const TRANSIENT: ReadonlySet<number> = new Set([ESME_RSYSERR, ESME_RSUBMITFAIL, ESME_RX_T_APPN, 0x61 /* ESME_RINVSCHED */, 0x62 /* ESME_RINVEXPIRY */]);

/** Receipt message_type in esm_class bits 2–5: 0x04 an SMSC delivery receipt (§5.2.12). */
export const ESM_RECEIPT = 0x04;
export const ESM_UDHI = 0x40;
