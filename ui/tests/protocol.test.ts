// The protocol client against a fake WebSocket that answers like the
// engine's dispatcher (src/control/protocol.c): replies matched by id,
// errors as CommandError, events to handlers, requests queued until the
// socket opens, in-flight requests failed and the socket reopened with
// back-off when the engine goes away.
import { describe, expect, it } from 'vitest';
import { Client, CommandError, wsUrl, type SocketLike } from '../src/protocol';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
}

function setup() {
  const socks: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; live: boolean }[] = [];
  const c = new Client({
    url: 'ws://x/ws',
    makeSocket: () => {
      const s = new FakeSocket();
      socks.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, live: true };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      (t as { live: boolean }).live = false;
    },
  });
  const fire = (ms: number) => {
    for (const t of timers.filter((t) => t.live && t.ms === ms)) {
      t.live = false;
      t.fn();
    }
  };
  return { c, socks, timers, fire };
}

describe('protocol client', () => {
  it('queues until open, then sends {"id", "cmd", fields} and resolves on the matching reply', async () => {
    const { c, socks } = setup();
    c.connect();
    const p = c.request('set_param', { node: 'drive', param: 'drive_db', value: 12, skip: undefined });
    expect(socks[0].sent).toEqual([]);
    socks[0].open();
    const msg = JSON.parse(socks[0].sent[0]);
    expect(msg).toEqual({ id: msg.id, cmd: 'set_param', node: 'drive', param: 'drive_db', value: 12 });
    socks[0].push({ id: msg.id + 100, ok: true }); // someone else's id: ignored
    socks[0].push({ id: msg.id, ok: true });
    await expect(p).resolves.toMatchObject({ ok: true });
  });

  it('an error reply rejects with its message; "unknown command" is remembered', async () => {
    const { c, socks } = setup();
    c.connect();
    socks[0].open();
    const p = c.request('eq_response', { node: 'eq' });
    const id = JSON.parse(socks[0].sent[0]).id;
    socks[0].push({ id, ok: false, error: "unknown command 'eq_response' (see docs/control-protocol.md)" });
    const e = await p.catch((x) => x);
    expect(e).toBeInstanceOf(CommandError);
    expect(e.unknownCommand).toBe(true);
    expect(c.unsupported.has('eq_response')).toBe(true);
    const q = c.request('set_param', {});
    socks[0].push({ id: JSON.parse(socks[0].sent[1]).id, ok: false, error: "set_param: 'node' is missing" });
    const e2 = await q.catch((x) => x);
    expect(e2.message).toBe("set_param: 'node' is missing");
    expect(e2.unknownCommand).toBe(false);
  });

  it('events go to handlers, replies do not', () => {
    const { c, socks } = setup();
    const got: string[] = [];
    c.onEvent((ev) => got.push(ev.event));
    c.connect();
    socks[0].open();
    socks[0].push({ event: 'meters', meters: {} });
    socks[0].push({ event: 'state', state: {}, rig: {} });
    socks[0].push({ id: null, ok: false, error: 'rate limit: too many messages, slow down' });
    socks[0].push({ id: 99, ok: true });
    socks[0].onmessage?.({ data: 'not json' });
    expect(got).toEqual(['meters', 'state', 'error']);
  });

  it('reconnects with growing delays when the engine goes away; in-flight requests fail; onOpen runs again', async () => {
    const { c, socks, fire } = setup();
    let opens = 0;
    const statuses: string[] = [];
    c.onOpen(() => opens++);
    c.onStatus((s) => statuses.push(s));
    c.connect();
    socks[0].open();
    const p = c.request('get_state');
    socks[0].close(); // engine restarts
    await expect(p).rejects.toThrow(/connection to the engine was lost/);
    expect(socks.length).toBe(1);
    fire(250); // first retry after 250 ms
    expect(socks.length).toBe(2);
    socks[1].close(); // still down
    fire(500); // then 500 ms
    expect(socks.length).toBe(3);
    socks[2].open();
    expect(opens).toBe(2);
    expect(statuses).toEqual(['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'open']);
    // after a good connection the delay starts small again
    socks[2].close();
    fire(250);
    expect(socks.length).toBe(4);
  });

  it('a request with no answer times out', async () => {
    const { c, socks, fire } = setup();
    c.connect();
    socks[0].open();
    const p = c.request('get_rig');
    fire(10000);
    await expect(p).rejects.toThrow(/no answer/);
  });

  it('the WebSocket address follows the page', () => {
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8750' })).toBe('ws://127.0.0.1:8750/ws');
    expect(wsUrl({ protocol: 'https:', host: 'h' })).toBe('wss://h/ws');
  });
});
