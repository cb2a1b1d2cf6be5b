// protocol.ts — the control protocol client (docs/control-protocol.md on the
// engine side): JSON requests {"id", "cmd", ...} over one WebSocket, replies
// matched by id, pushed events ({"event": "state" | "meters"}), and
// reconnection with back-off when the engine goes away (it restarts).

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Fields = { [k: string]: unknown };

export interface Reply {
  id: number | string | null;
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

export class CommandError extends Error {
  readonly cmd: string;
  constructor(cmd: string, message: string) {
    super(message);
    this.cmd = cmd;
  }
  /** The engine does not know this command (an older engine). */
  get unknownCommand(): boolean {
    return /unknown command/i.test(this.message);
  }
}

export type Status = 'connecting' | 'open' | 'closed';

/** The subset of the browser WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface ClientOptions {
  url: string;
  makeSocket?: (url: string) => SocketLike;
  /** Reconnect delays grow from minDelayMs to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

interface Pending {
  cmd: string;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: unknown;
}

type EventHandler = (ev: { event: string; [k: string]: unknown }) => void;

export class Client {
  private opts: Required<ClientOptions>;
  private sock: SocketLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private queue: string[] = []; // sent once the socket opens
  private delay: number;
  private retryTimer: unknown = null;
  private stopped = false;
  private eventHandlers = new Set<EventHandler>();
  private statusHandlers = new Set<(s: Status) => void>();
  private openHandlers = new Set<() => void>();
  status: Status = 'closed';
  /** Commands the engine answered "unknown command" to. */
  readonly unsupported = new Set<string>();

  constructor(opts: ClientOptions) {
    this.opts = {
      makeSocket: (u) => new WebSocket(u) as unknown as SocketLike,
      minDelayMs: 250,
      maxDelayMs: 4000,
      timeoutMs: 10000,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...opts,
    };
    this.delay = this.opts.minDelayMs;
  }

  connect(): void {
    this.stopped = false;
    this.open();
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer) this.opts.clearTimer(this.retryTimer);
    this.retryTimer = null;
    this.sock?.close();
    this.sock = null;
    this.setStatus('closed');
  }

  onEvent(h: EventHandler): () => void {
    this.eventHandlers.add(h);
    return () => this.eventHandlers.delete(h);
  }
  onStatus(h: (s: Status) => void): () => void {
    this.statusHandlers.add(h);
    return () => this.statusHandlers.delete(h);
  }
  /** Called on every (re)connection: subscribe and fetch the state here. */
  onOpen(h: () => void): () => void {
    this.openHandlers.add(h);
    return () => this.openHandlers.delete(h);
  }

  /** Send one command; resolves with the reply, rejects with CommandError. */
  request(cmd: string, fields: Fields = {}): Promise<Reply> {
    const id = this.nextId++;
    const msg: Fields = { id, cmd };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) msg[k] = v;
    const text = JSON.stringify(msg);
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.opts.setTimer(() => {
        if (this.pending.delete(id)) reject(new CommandError(cmd, `${cmd}: no answer from the engine`));
      }, this.opts.timeoutMs);
      this.pending.set(id, { cmd, resolve, reject, timer });
      if (this.sock && this.status === 'open') this.sock.send(text);
      else this.queue.push(text);
    });
  }

  private setStatus(s: Status) {
    if (this.status === s) return;
    this.status = s;
    for (const h of this.statusHandlers) h(s);
  }

  private open() {
    if (this.stopped) return;
    this.setStatus('connecting');
    let sock: SocketLike;
    try {
      sock = this.opts.makeSocket(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.sock = sock;
    sock.onopen = () => {
      if (this.sock !== sock) return;
      this.delay = this.opts.minDelayMs;
      this.setStatus('open');
      const q = this.queue;
      this.queue = [];
      for (const t of q) sock.send(t);
      for (const h of this.openHandlers) h();
    };
    sock.onmessage = (ev) => {
      if (this.sock === sock) this.handle(String(ev.data));
    };
    sock.onerror = () => {};
    sock.onclose = () => {
      if (this.sock !== sock) return;
      this.sock = null;
      // requests in flight will never be answered by this connection
      for (const [id, p] of this.pending) {
        this.opts.clearTimer(p.timer);
        p.reject(new CommandError(p.cmd, `${p.cmd}: the connection to the engine was lost`));
        this.pending.delete(id);
      }
      this.queue = [];
      this.setStatus('closed');
      this.scheduleRetry();
    };
  }

  private scheduleRetry() {
    if (this.stopped || this.retryTimer) return;
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, this.opts.maxDelayMs);
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      this.open();
    }, d);
  }

  /** One message from the engine. */
  handle(text: string): void {
    let msg: { [k: string]: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.event === 'string') {
      for (const h of this.eventHandlers) h(msg as { event: string });
      return;
    }
    const id = msg.id;
    if (typeof id !== 'number') {
      // an error the server could not tie to a request (rate limit, frame)
      if (msg.ok === false)
        for (const h of this.eventHandlers) h({ event: 'error', error: String(msg.error ?? '') });
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.opts.clearTimer(p.timer);
    if (msg.ok === true) p.resolve(msg as unknown as Reply);
    else {
      const err = new CommandError(p.cmd, String(msg.error ?? `${p.cmd} failed`));
      if (err.unknownCommand) this.unsupported.add(p.cmd);
      p.reject(err);
    }
  }
}

/** The WebSocket address of the engine that served this page. */
export function wsUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}
