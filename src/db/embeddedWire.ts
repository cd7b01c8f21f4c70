/**
 * The embedded database's wire-protocol multiplexer: many pg connections on
 * a Unix socket, one PGlite session (the rules are in embedded.ts's header).
 * Apart from embedded.ts because it is the protocol, not the server's life.
 */
import type net from 'node:net';

export interface PGliteLike {
  execProtocolRawSync(message: Uint8Array): Uint8Array;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** Waiting longer than this for a connection that holds the session idle inside a transaction is a deadlock in tm. */
const DEADLOCK_MS = 60_000;

class Session {
  /** Complete frontend messages not yet executed. */
  pending: Buffer[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  started = false;
  closed = false;
  /** Renamed statement names this connection created (closed when it goes). */
  readonly statements = new Set<string>();
  waitingSince = 0;
  lastActivity = Date.now();

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {}

  /** Splits received bytes into messages; answers the pre-startup negotiation itself. */
  receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N'); // no encryption on a private Unix socket
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.destroy();
          return;
        }
        this.started = true;
        this.pending.push(Buffer.from(message));
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) return;
      this.pending.push(Buffer.from(this.buffer.subarray(0, length)));
      this.buffer = this.buffer.subarray(length);
    }
  }
}

export class Multiplexer {
  private readonly sessions = new Set<Session>();
  /** The session PostgreSQL is serving: from a request's first message until it is idle again. */
  private owner: Session | null = null;
  private readonly waiting: Session[] = [];
  private pumping = false;
  /** PostgreSQL's transaction status after the last request ('I' idle, 'T' in a transaction, 'E' failed one). */
  private status = 'I';
  private nextId = 1;
  private broken: Error | null = null;
  private stopped = false;
  private readonly watchdog: NodeJS.Timeout;

  /** `log`: where the multiplexer's notices go (embedded.ts's writer). */
  constructor(
    private readonly db: PGliteLike,
    private readonly log: (line: string) => void,
  ) {
    this.watchdog = setInterval(() => this.checkDeadlock(), 5_000);
    this.watchdog.unref();
  }

  attach(socket: net.Socket): void {
    if (this.broken || this.stopped) {
      socket.destroy();
      return;
    }
    const session = new Session(this.nextId++, socket);
    this.sessions.add(session);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      session.lastActivity = Date.now();
      session.receive(chunk);
      this.schedule(session);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.closed(session));
  }

  /** Closes every connection; PostgreSQL is not used after this (it is about to be closed). */
  closeAll(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    for (const session of this.sessions) session.socket.destroy();
  }

  private schedule(session: Session): void {
    if (session.pending.length && this.owner !== session && !this.waiting.includes(session)) {
      session.waitingSince = Date.now();
      this.waiting.push(session);
    }
    this.pump();
  }

  /** Runs messages, synchronously, while the owner has some or another session can take over. */
  private pump(): void {
    if (this.pumping || this.broken || this.stopped) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!this.owner) {
          const next = this.waiting.shift();
          if (!next) return;
          this.owner = next;
        }
        const session = this.owner;
        const message = session.pending.shift();
        if (!message) {
          if (!session.closed) return; // the owner is inside a request or a transaction: wait for its next message
          this.cleanUp(session);
          continue;
        }
        const idle = this.execute(session, message);
        if (idle) {
          this.owner = null;
          if (session.closed) this.cleanUp(session);
          else if (session.pending.length) {
            session.waitingSince = Date.now();
            this.waiting.push(session); // pipelined requests: take turns
          }
        }
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.pumping = false;
    }
  }

  /** Executes one frontend message for a session; true when PostgreSQL is idle afterwards. */
  private execute(session: Session, message: Buffer): boolean {
    const type = String.fromCharCode(message[0]);
    if (message[0] === 0) {
      // The startup packet (no type byte: its first byte is the high byte of its length).
      const { output, status } = readyForQueryFilter(this.db.execProtocolRawSync(message), true);
      this.write(session, output);
      if (status) this.status = status;
      return status === 'I';
    }
    if (type === 'X') {
      session.socket.end();
      return false; // cleaned up when the socket closes
    }
    const renamed = renameMessage(session, message);
    const out = this.db.execProtocolRawSync(renamed);
    // PGlite sends ReadyForQuery after an error in the extended protocol as well as at Sync;
    // a pg client would take the first for the end of the next query. PostgreSQL sends it only
    // for Sync and simple Query, once.
    const ends = type === 'S' || type === 'Q';
    const { output, status } = readyForQueryFilter(out, ends);
    this.write(session, output);
    if (status) this.status = status;
    return ends && status === 'I';
  }

  private write(session: Session, output: Uint8Array): void {
    if (output.length && !session.socket.destroyed) session.socket.write(Buffer.from(output));
  }

  private closed(session: Session): void {
    session.closed = true;
    session.pending = [];
    const at = this.waiting.indexOf(session);
    if (at >= 0) this.waiting.splice(at, 1);
    if (this.owner === session) {
      this.cleanUp(session);
      this.pump();
    } else if (session.statements.size) {
      // Its statements are closed when the session is PostgreSQL's again.
      session.waitingSince = Date.now();
      this.waiting.push(session);
      this.pump();
    } else {
      this.sessions.delete(session);
    }
  }

  /**
   * A gone connection: end a request it left half-sent (Sync), roll back its
   * transaction, close its statements. Runs only while it owns the session.
   */
  private cleanUp(session: Session): void {
    this.sessions.delete(session);
    if (this.broken || this.stopped) {
      if (this.owner === session) this.owner = null;
      return;
    }
    if (this.owner === session) {
      const { status } = readyForQueryFilter(this.db.execProtocolRawSync(frontend('S', Buffer.alloc(0))), true);
      if (status && status !== 'I') this.db.execProtocolRawSync(frontend('Q', cstring('ROLLBACK')));
      if (session.statements.size) {
        const close = [...session.statements].map((name) => frontend('C', Buffer.concat([Buffer.from('S'), cstring(name)])));
        this.db.execProtocolRawSync(Buffer.concat([...close, frontend('S', Buffer.alloc(0))]));
      }
      this.status = 'I';
      this.owner = null;
    }
    session.statements.clear();
  }

  private checkDeadlock(): void {
    const owner = this.owner;
    const [first] = this.waiting;
    if (!owner || !first || owner.pending.length) return;
    const now = Date.now();
    if (now - first.waitingSince < DEADLOCK_MS || now - owner.lastActivity < DEADLOCK_MS) return;
    this.log(
      `tm: embedded database: a connection waited ${Math.round((now - first.waitingSince) / 1000)} s while another one held a transaction open without using it; closing the waiting one.`,
    );
    first.socket.destroy();
  }

  private fail(error: Error): void {
    this.broken = error;
    this.log(`tm: the embedded database stopped: ${error?.message ?? String(error)}`);
    this.closeAll();
  }
}

/**
 * Keeps at most one ReadyForQuery ('Z'), the last, and only when the message
 * ends a request; returns the transaction status it carried ('I', 'T', 'E').
 */
function readyForQueryFilter(out: Uint8Array, keep: boolean): { output: Uint8Array; status: string | null } {
  const buffer = Buffer.from(out.buffer, out.byteOffset, out.length);
  let status: string | null = null;
  let lastZ = -1;
  let count = 0;
  for (let i = 0; i + 5 <= buffer.length; i += 1 + buffer.readInt32BE(i + 1)) {
    if (buffer[i] === 0x5a /* Z */) {
      status = String.fromCharCode(buffer[i + 5]);
      lastZ = i;
      count++;
    }
  }
  if (count === 0 || (keep && count === 1)) return { output: out, status };
  const parts: Buffer[] = [];
  for (let i = 0; i + 5 <= buffer.length; ) {
    const end = i + 1 + buffer.readInt32BE(i + 1);
    if (buffer[i] !== 0x5a || (keep && i === lastZ)) parts.push(buffer.subarray(i, end));
    i = end;
  }
  return { output: Buffer.concat(parts), status };
}

/** Statement and portal names made private to a session. */
function renameMessage(session: Session, message: Buffer): Buffer {
  const type = String.fromCharCode(message[0]);
  const statement = (name: string) => (name ? `s${session.id}_${name}` : name);
  const portal = (name: string) => (name ? `p${session.id}_${name}` : name);
  switch (type) {
    case 'P': {
      const [name, at] = readCString(message, 5);
      if (!name) return message;
      const renamed = statement(name);
      session.statements.add(renamed);
      return frontend('P', Buffer.concat([cstring(renamed), message.subarray(at)]));
    }
    case 'B': {
      const [portalName, at] = readCString(message, 5);
      const [statementName, rest] = readCString(message, at);
      if (!portalName && !statementName) return message;
      return frontend('B', Buffer.concat([cstring(portal(portalName)), cstring(statement(statementName)), message.subarray(rest)]));
    }
    case 'D':
    case 'C': {
      const kind = String.fromCharCode(message[5]);
      const [name, at] = readCString(message, 6);
      if (!name) return message;
      const renamed = kind === 'S' ? statement(name) : portal(name);
      if (type === 'C' && kind === 'S') session.statements.delete(renamed);
      return frontend(type, Buffer.concat([Buffer.from(kind), cstring(renamed), message.subarray(at)]));
    }
    case 'E': {
      const [name, at] = readCString(message, 5);
      if (!name) return message;
      return frontend('E', Buffer.concat([cstring(portal(name)), message.subarray(at)]));
    }
    default:
      return message;
  }
}

function readCString(buffer: Buffer, at: number): [string, number] {
  const end = buffer.indexOf(0, at);
  return [buffer.toString('utf8', at, end), end + 1];
}

function cstring(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

function frontend(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
