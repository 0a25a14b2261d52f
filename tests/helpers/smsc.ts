import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Server, type Session } from 'smpp';

// An operator's SMS centre on loopback, for the SMPP gateway's tests: the `smpp` package's own
// server. It binds whoever asks, answers submit_sm as `answer` says (accepted with a message
// id by default), records every PDU the gateway sends, and delivers what a test hands it.

export interface FakeSmsc {
  port: number;
  /** Every PDU the gateway sent, in order (responses included). */
  received: PDU[];
  of(command: string): PDU[];
  /** How the next submit_sm is answered: a command_status (0 = accepted). */
  answer: (pdu: PDU) => number;
  /** Sends a deliver_sm to the bound gateway; resolves to its deliver_sm_resp. */
  deliver(params: Record<string, unknown>): Promise<PDU>;
  /** Cuts every session and stops listening (the SMSC goes away). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  sessions(): number;
}

/** The service number the gateway's tests bind as. */
export const SERVICE = '106901234';

/** The environment that turns the gateway on against this SMSC, retrying quickly. */
export function gatewayEnv(smsc: Pick<FakeSmsc, 'port'>): Record<string, string> {
  return {
    MINSHENG_SMPP_URL: `smpp://127.0.0.1:${smsc.port}`,
    MINSHENG_SMPP_SYSTEM_ID: 'minsheng',
    MINSHENG_SMPP_PASSWORD: 'secret1',
    MINSHENG_SMPP_SOURCE_ADDR: SERVICE,
    MINSHENG_PUBLIC_URL: 'https://ms.example.cn',
    MINSHENG_SMPP_RETRY_MS: '50',
  };
}

export async function startFakeSmsc(port = 0): Promise<FakeSmsc> {
  const received: PDU[] = [];
  let ids = 0;
  let server: Server;
  const bound = new Set<Session>();
  const smsc: FakeSmsc = {
    port,
    received,
    of: (command) => received.filter((p) => p.command === command),
    answer: () => 0,
    deliver(params) {
      const session = [...bound].at(-1);
      if (!session) return Promise.reject(new Error('no gateway is bound'));
      return new Promise<PDU>((resolve) => session.send(new smpp.PDU('deliver_sm', params), resolve));
    },
    async stop() {
      for (const s of [...server.sessions]) s.destroy();
      bound.clear();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async restart() {
      await listen(smsc.port);
    },
    sessions: () => bound.size,
  };

  function listen(at: number): Promise<void> {
    server = smpp.createServer({}, (session) => {
      session.on('error', () => session.destroy());
      session.on('close', () => bound.delete(session));
      session.on('pdu', (pdu: PDU) => {
        received.push(pdu);
        switch (pdu.command) {
          case 'bind_transceiver':
            bound.add(session);
            session.send(pdu.response({ system_id: 'FAKESMSC' }));
            break;
          case 'submit_sm': {
            const status = smsc.answer(pdu);
            session.send(status === 0 ? pdu.response({ message_id: `m${++ids}` }) : pdu.response({ command_status: status }));
            break;
          }
          case 'enquire_link':
          case 'unbind':
            session.send(pdu.response());
            break;
        }
      });
    });
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        smsc.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  await listen(port);
  return smsc;
}

/** The decoded short_message of a PDU the fake SMSC received: its header elements and its text. */
export function bodyOf(pdu: PDU): { udh: number[][]; text: string } {
  const sm = pdu.short_message as { udh?: Buffer[]; message: string | Buffer };
  return { udh: (sm.udh ?? []).map((b) => [...b]), text: typeof sm.message === 'string' ? sm.message : sm.message.toString('latin1') };
}
