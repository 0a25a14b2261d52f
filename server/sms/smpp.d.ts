// The `smpp` package (farhadi/node-smpp, MIT) ships no types and none are published: this
// declares only what server/sms and its tests use.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  /** A decoded PDU: its header, and its mandatory and optional parameters by name. */
  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [param: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
    toBuffer(): Buffer;
  }

  export class Session extends EventEmitter {
    socket: Socket;
    server?: Server;
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    bind_transceiver(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    submit_sm(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    enquire_link(options?: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
    unbind(options?: Record<string, unknown>, responseCallback?: (pdu: PDU) => void): boolean;
  }

  export class Server extends NetServer {
    sessions: Session[];
  }

  export interface PDUConstructor {
    new (command: string, options?: Record<string, unknown>): PDU;
    new (buffer: Buffer): PDU;
  }

  /**
   * The module as CommonJS exports it. Import it whole (`import smpp from 'smpp'`): most of its
   * names are copied onto `exports` in a loop, which Node's ESM named-export detection cannot see.
   */
  interface Smpp {
    PDU: PDUConstructor;
    connect(options: { host: string; port: number; tls?: boolean }, listener?: () => void): Session;
    createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  }
  const smpp: Smpp;
  export default smpp;
}
