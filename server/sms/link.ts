import smpp, { type PDU, type Session } from 'smpp';
import { ESME_RX_R_APPN, ESME_RX_T_APPN } from './status';
import type { SmppConfig } from './config';
import { log } from '../log';

// One SMPP 3.4 session to the SMSC, bound as a transceiver (it sends and receives on the same
// connection). It keeps itself up: enquire_link every `enquireLinkMs`, a link that stops
// answering is cut, and a cut or refused link is tried again after a delay that doubles up
// to a minute. What arrives (deliver_sm) is answered only after `onDeliver` has finished with
// it, so an SMSC resends whatever a crash interrupted.

export type LinkState = 'down' | 'connecting' | 'bound' | 'stopped';

/** A submit that never reached an answer: the link went down under it. */
export class LinkDown extends Error {}

export interface LinkHandlers {
  /** Handles one deliver_sm; resolves to its deliver_sm_resp status (0 = taken). A throw answers "try again later". */
  onDeliver(pdu: PDU): Promise<number>;
  /** Bound (again): the outbox may drain. */
  onBound(): void;
}

export interface SmppLink {
  state(): LinkState;
  /** Sends one submit_sm; resolves to the SMSC's response, rejects with LinkDown when the link fails first. */
  submit(params: Record<string, unknown>): Promise<PDU>;
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 60_000;
/** How long a request may wait for its response before the link is judged dead. */
const RESPONSE_MS = 30_000;

export function openSmppLink(config: SmppConfig, handlers: LinkHandlers): SmppLink {
  let state: LinkState = 'down';
  let session: Session | null = null;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let keepalive: NodeJS.Timeout | null = null;
  /** Requests waiting for their response, rejected when the link goes down. */
  const waiting = new Set<(err: Error) => void>();

  const request = (s: Session, command: 'submit_sm' | 'enquire_link' | 'bind_transceiver', params: Record<string, unknown>): Promise<PDU> =>
    new Promise<PDU>((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        waiting.delete(fail);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new LinkDown(`no ${command}_resp in ${RESPONSE_MS} ms`));
        // An SMSC that stops answering is as good as gone: cut it and bind afresh.
        if (session === s) s.destroy();
      }, RESPONSE_MS);
      timer.unref();
      waiting.add(fail);
      const sent = s.send(new smpp.PDU(command, params), (resp) => {
        clearTimeout(timer);
        waiting.delete(fail);
        resolve(resp);
      });
      if (!sent) fail(new LinkDown('the link is not writable'));
    });

  function connect(): void {
    if (state === 'stopped') return;
    state = 'connecting';
    const s = smpp.connect({ host: config.host, port: config.port, tls: config.tls });
    session = s;
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (keepalive) clearInterval(keepalive);
      keepalive = null;
      for (const fail of [...waiting]) fail(new LinkDown('the SMSC link went down'));
      if (session === s) session = null;
      if (state === 'stopped') return;
      state = 'down';
      failures++;
      const delay = Math.min(MAX_BACKOFF_MS, config.retryMs * 2 ** Math.min(failures - 1, 16));
      log.warn({ delay, attempt: failures }, 'sms: SMSC link down, reconnecting');
      reconnectTimer = setTimeout(connect, delay);
      reconnectTimer.unref();
    };
    s.on('error', () => {
      // 'close' follows; the reason (ECONNREFUSED, a reset) is the only detail, and never a number.
      s.destroy();
    });
    s.on('close', drop);
    s.on('connect', () => {
      void request(s, 'bind_transceiver', { system_id: config.systemId, password: config.password, system_type: config.systemType, interface_version: 0x34 }).then(
        (resp) => {
          if (resp.command_status !== 0) {
            log.error(`sms: the SMSC refused the bind (status 0x${resp.command_status.toString(16)}): check MINSHENG_SMPP_SYSTEM_ID and MINSHENG_SMPP_PASSWORD`);
            s.destroy();
            return;
          }
          if (state === 'stopped') return;
          state = 'bound';
          failures = 0;
          keepalive = setInterval(() => {
            void request(s, 'enquire_link', {}).catch(() => undefined);
          }, config.enquireLinkMs);
          keepalive.unref();
          handlers.onBound();
        },
        () => s.destroy(),
      );
    });
    s.on('enquire_link', (pdu: PDU) => s.send(pdu.response()));
    s.on('unbind', (pdu: PDU) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('deliver_sm', (pdu: PDU) => {
      handlers.onDeliver(pdu).then(
        (status) => s.send(pdu.response({ command_status: status })),
        (err: unknown) => {
          log.error({ err: err instanceof Error ? err.message : String(err) }, 'sms: an incoming message could not be taken in; the SMSC will resend it');
          s.send(pdu.response({ command_status: ESME_RX_T_APPN }));
        },
      );
    });
    // Anything else the SMSC asks (data_sm, a command we do not know) is answered with a refusal, never left hanging.
    // (alert_notification alone expects no answer.)
    s.on('pdu', (pdu: PDU) => {
      if (pdu.isResponse() || ['deliver_sm', 'enquire_link', 'unbind', 'alert_notification'].includes(pdu.command)) return;
      try {
        s.send(pdu.response({ command_status: ESME_RX_R_APPN }));
      } catch {
        s.destroy();
      }
    });
  }

  connect();
  return {
    state: () => state,
    submit(params) {
      const s = session;
      if (!s || state !== 'bound') return Promise.reject(new LinkDown('not bound to the SMSC'));
      return request(s, 'submit_sm', params);
    },
    stop() {
      const was = state;
      state = 'stopped';
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (keepalive) clearInterval(keepalive);
      const s = session;
      session = null;
      for (const fail of [...waiting]) fail(new LinkDown('the gateway is stopping'));
      if (!s) return Promise.resolve();
      if (s.socket.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = setTimeout(() => s.destroy(), 2_000);
        done.unref();
        s.socket.once('close', () => {
          clearTimeout(done);
          resolve();
        });
        if (was === 'bound') {
          // A polite unbind; the SMSC answers and we close, or the timer cuts it.
          s.send(new smpp.PDU('unbind', {}), () => s.close());
        } else s.destroy();
      });
    },
  };
}
