// perf.mjs — the chain editor's frame rate in headless Chromium, against a
// real engine on the virtual backend playing a 30-block rig
// (tests/rigs/ui_perf_30.yaml: serial blocks and two parallel splits), with
// the meters running at 30 Hz. Prints numbers, asserts nothing about time.
//
// What it measures:
//   - requestAnimationFrame timestamps over PT_PERF_SECONDS (default 10) s:
//     frames/s, p50/p99/max frame interval, frames later than 16.7, 20 and
//     33.4 ms, on an empty page first (the browser's own frame clock), then
//     in the Edit view with the meters moving (the inspector open on an EQ
//     block), then while that block's gain knob is dragged up and down, one
//     pointer move every frame (each sends set_param; the EQ picture asks
//     the engine for its response, eq_response);
//   - long tasks (> 50 ms, PerformanceObserver) in each window;
//   - the main thread's time per meter event: the page's WebSocket handler
//     and the render it triggers (timed around the handler up to the end of
//     its microtasks, where Preact renders), and the main thread's script,
//     style and layout time per second (CDP Performance.getMetrics);
//   - the headroom: the renderer main thread's CPU time per frame (of 16.7
//     ms), from a Chrome trace (its tasks' thread time, tdur), beside their
//     wall-clock time: on this shared 2-core machine the difference is time
//     the page was ready to run but other processes had the CPUs.
// PT_PERF_TRACE=1 adds the main thread's self time by trace event,
// PT_PERF_PROFILE=1 a CPU profile of the drag by function (build the UI
// unminified for names: vite build --minify false --outDir DIR), PT_UI_DIR
// serves another build of the page.
// Headless Chromium (156 here) runs requestAnimationFrame from its own 60 Hz
// frame clock (an empty page: 60.0 frames/s, 16.7 ms apart); the flags
// --disable-gpu-vsync --disable-frame-rate-limit do not unlock it headless
// (an empty page then gets ~57 frames/s, 17.5 ms apart), so 60 frames/s is
// the ceiling here and a missed frame shows as a 33.4 ms interval. The
// page's clock has 0.1 ms resolution, so intervals of 16.7-16.8 ms are on
// time: "> 20 ms" counts the late frames, "> 16.7 ms" is printed as asked.
//
// usage: node tests/perf.mjs PYTONE_BINARY SOURCE_DIR
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './util.mjs';

const [pytone, srcDir] = process.argv.slice(2).map((p) => path.resolve(p));
const dist = process.env.PT_UI_DIR || path.join(srcDir, 'ui', 'dist');
const seconds = Number(process.env.PT_PERF_SECONDS || 10);
const rigFile = path.join(srcDir, 'tests', 'rigs', 'ui_perf_30.yaml');


const lib = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-perf-'));
fs.copyFileSync(rigFile, path.join(lib, 'perf30.yaml'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let engineLog = '';
const engine = spawn(pytone, ['run', '--backend', 'virtual', '--port', String(port), path.join(lib, 'perf30.yaml')], {
  cwd: srcDir,
  env: { ...process.env, PT_UI_DIR: dist, HOME: lib, PT_RECOVERY_FILE: path.join(lib, 'recovery.yaml') },
  stdio: ['ignore', 'pipe', 'pipe'],
});
engine.stdout.on('data', (d) => (engineLog += d));
engine.stderr.on('data', (d) => (engineLog += d));
let up = false;
for (let i = 0; i < 100 && !up; i++) {
  try {
    up = (await fetch(`${base}/api/state`)).ok;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
if (!up) {
  engine.kill('SIGTERM');
  fs.rmSync(lib, { recursive: true, force: true });
  console.log('skipped: the engine did not serve the UI:\n' + engineLog);
  process.exit(0);
}

// in the page before its own scripts: time the WebSocket message handler
// (and the microtasks it queues: Preact renders in one) per meter event;
// collect long tasks; a rAF recorder
const instrument = () => {
  const P = (window.__pt = { on: false, meter: [], meterAt: [], state: [], longtasks: [] });
  const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get() {
      return d.get.call(this);
    },
    set(fn) {
      d.set.call(
        this,
        fn &&
          function (ev) {
            const kind = typeof ev.data === 'string' && ev.data.startsWith('{"event":"meters"') ? 'meter' : 'state';
            const t0 = performance.now();
            if (P.on && kind === 'meter') P.meterAt.push(t0);
            const r = fn.call(this, ev);
            if (P.on) queueMicrotask(() => P[kind].push(performance.now() - t0));
            return r;
          },
      );
    },
  });
  try {
    new PerformanceObserver((l) => {
      if (P.on) for (const e of l.getEntries()) P.longtasks.push(e.duration);
    }).observe({ type: 'longtask' });
  } catch {}
  window.__frames = (ms) =>
    new Promise((resolve) => {
      const ts = [];
      let end = 0;
      const f = (t) => {
        ts.push(t);
        if (!end) end = t + ms;
        if (t < end) requestAnimationFrame(f);
        else resolve(ts);
      };
      requestAnimationFrame(f);
    });
};

function q(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}
function frameLine(what, ts) {
  const iv = [];
  for (let i = 1; i < ts.length; i++) iv.push(ts[i] - ts[i - 1]);
  const s = iv.slice().sort((a, b) => a - b);
  const fps = (1000 * iv.length) / (ts[ts.length - 1] - ts[0]);
  const over = (ms) => iv.filter((x) => x > ms).length;
  console.log(
    `${what.padEnd(34)} ${fps.toFixed(1).padStart(6)} frames/s  interval p50 ${q(s, 0.5).toFixed(2)} p99 ${q(s, 0.99).toFixed(2)} ` +
      `max ${s[s.length - 1].toFixed(2)} ms  >16.7 ms: ${over(16.7)}  >20 ms: ${over(20)}  >33.4 ms: ${over(33.4)}  (of ${iv.length})`,
  );
  return fps;
}
function msLine(what, xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  console.log(`${what.padEnd(34)} n ${xs.length}  mean ${mean.toFixed(3)} ms  p50 ${q(s, 0.5).toFixed(3)}  p99 ${q(s, 0.99).toFixed(3)}  max ${(s[s.length - 1] ?? NaN).toFixed(3)} ms`);
}
function metricsOf(m) {
  const o = {};
  for (const { name, value } of m.metrics) o[name] = value;
  return o;
}

// The renderer main thread from a Chrome trace: wall-clock time in tasks and
// the thread's own CPU time in them (tdur), per second. On a loaded machine
// the difference is time the thread was ready but another process ran.
// verbose: also CPU self time by trace event name, the top 15.
const traceCats = (verbose) => (verbose ? ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink'] : ['toplevel']);
async function traceEnd(cdp, verbose) {
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  const { stream } = await done;
  let text = '';
  for (;;) {
    const c = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
    text += c.base64Encoded ? Buffer.from(c.data, 'base64').toString() : c.data;
    if (c.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const evs = JSON.parse(text);
  const list = Array.isArray(evs) ? evs : evs.traceEvents;
  // the page's renderer main thread: of the threads so named, the busiest
  const key = (e) => `${e.pid}:${e.tid}`;
  const mains = new Set(list.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map(key));
  const count = new Map();
  for (const e of list) if (e.ph === 'X' && mains.has(key(e))) count.set(key(e), (count.get(key(e)) ?? 0) + 1);
  const main = [...count].sort((a, b) => b[1] - a[1])[0]?.[0];
  const xs = list.filter((e) => e.ph === 'X' && e.dur != null && key(e) === main).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  if (xs.length < 2) return null;
  const self = new Map();
  const stack = [];
  let wall = 0, cpu = 0;
  for (const e of xs) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent) (wall += e.dur), (cpu += e.tdur ?? e.dur);
    else self.set(parent.name, (self.get(parent.name) ?? 0) - (e.tdur ?? e.dur));
    self.set(e.name, (self.get(e.name) ?? 0) + (e.tdur ?? e.dur));
    stack.push(e);
  }
  const span = (xs[xs.length - 1].ts + xs[xs.length - 1].dur - xs[0].ts) / 1e6;
  const top = verbose ? [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, v / 1000 / span]) : [];
  return { wall: wall / 1000 / span, cpu: cpu / 1000 / span, top };
}

async function session(label, extraArgs) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-perf-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.PT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
    viewport: { width: 1400, height: 860 },
  });
  const out = {};
  try {
    console.log(`-- ${label}: Chromium ${ctx.browser()?.version() ?? ''} ${extraArgs.join(' ')}`);
    const page = await ctx.newPage();
    await page.addInitScript(instrument);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let sent = 0;
    const sentCmds = new Map();
    let sockets = 0;
    page.on('websocket', (ws) => {
      sockets++;
      ws.on('framesent', (f) => {
        sent++;
        const m = /"cmd":"(\w+)"/.exec(String(f.payload));
        if (m) sentCmds.set(m[1], (sentCmds.get(m[1]) ?? 0) + 1);
      });
    });
    await page.goto('about:blank');
    await page.evaluate(instrument);
    out.empty = frameLine('empty page', await page.evaluate((ms) => __frames(ms), Math.min(seconds, 5) * 1000));

    await page.goto(base + '/');
    await page.waitForSelector('[data-testid=block-master]', { timeout: 15000 });
    const blocks = await page.locator('.block[data-testid^=block-]').count();
    const splits = await page.locator('[data-testid^=split-]').count();
    console.log(`edit view: ${blocks} blocks, ${splits} splits drawn`);
    await page.click('[data-testid=block-mids]'); // the inspector open, as when editing
    await page.waitForSelector('[data-testid=param-mids-gain_db]');
    await page.waitForTimeout(1000);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');

    const verbose = !!process.env.PT_PERF_TRACE; // PT_PERF_TRACE=1: self time by trace event
    const measure = async (what, during) => {
      await page.evaluate(() => Object.assign(window.__pt, { on: true, meter: [], meterAt: [], state: [], longtasks: [] }));
      await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: traceCats(verbose) } });
      const m0 = metricsOf(await cdp.send('Performance.getMetrics'));
      const t0 = Date.now();
      const frames = page.evaluate((ms) => __frames(ms), seconds * 1000);
      const extra = during ? await during(seconds * 1000) : null;
      const ts = await frames;
      const secs = (Date.now() - t0) / 1000;
      const m1 = metricsOf(await cdp.send('Performance.getMetrics'));
      const tr = await traceEnd(cdp, verbose);
      const P = await page.evaluate(() => {
        window.__pt.on = false;
        return window.__pt;
      });
      const fps = frameLine(what, ts);
      console.log(`  meter events handled in the page ${P.meterAt.length > 1 ? ((1000 * (P.meterAt.length - 1)) / (P.meterAt[P.meterAt.length - 1] - P.meterAt[0])).toFixed(1) : '-'}/s (asked for 30; ${sockets} WebSocket${sockets > 1 ? 's' : ''} opened so far); long tasks (> 50 ms): ${P.longtasks.length}${P.longtasks.length ? ', longest ' + Math.max(...P.longtasks).toFixed(0) + ' ms' : ''}${extra ? '; ' + extra : ''}`);
      msLine('  JS per meter event (handler+render)', P.meter);
      if (P.state.length) msLine('  JS per other message (state, reply)', P.state);
      const per = (k) => ((1000 * (m1[k] - m0[k])) / secs).toFixed(1);
      console.log(`  main thread per second: tasks ${per('TaskDuration')} ms, script ${per('ScriptDuration')} ms, style ${per('RecalcStyleDuration')} ms, layout ${per('LayoutDuration')} ms (of 1000); ` +
        `busy ${((1000 * (m1.TaskDuration - m0.TaskDuration)) / secs / fps).toFixed(1)} ms per frame (of 16.7)`);
      if (tr) {
        console.log(`  renderer main thread (trace): in tasks ${tr.wall.toFixed(0)} ms/s wall-clock, ${tr.cpu.toFixed(0)} ms/s on a CPU = ${(tr.cpu / fps).toFixed(1)} ms CPU per frame; ` +
          `the other ${(tr.wall - tr.cpu).toFixed(0)} ms/s it waited for a CPU (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
        for (const [k, v] of tr.top) console.log(`    ${v.toFixed(1).padStart(7)} ms/s  ${k} (self, CPU)`);
      }
      return { fps, cpuPerFrame: tr ? tr.cpu / fps : NaN };
    };
    out.meters = await measure('edit view, meters at 30 Hz', null);

    // drag the mids gain knob up and down: a real press on it (so the
    // pointer capture is real), then one pointermove every frame, sent from
    // a requestAnimationFrame loop in the page (Chromium delivers real mouse
    // moves once a frame; Playwright's own moves wait for each round trip and
    // arrive only ~25 times a second), then a real release
    const box = await page.locator('[data-testid=param-mids-gain_db]').boundingBox();
    const x = box.x + box.width / 2, y = box.y + box.height / 2;
    const profile = !!process.env.PT_PERF_PROFILE; // PT_PERF_PROFILE=1: where the drag's script time goes
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    out.drag = await measure('edit view, meters + knob drag', async (ms) => {
      await page.mouse.move(x, y);
      await page.mouse.down();
      const s0 = sent;
      sentCmds.clear();
      const t0 = Date.now();
      const moves = await page.evaluate(
        ({ ms, x, y }) =>
          new Promise((resolve) => {
            const el = document.querySelector('[data-testid=param-mids-gain_db]');
            let n = 0, start = 0;
            const f = (t) => {
              if (!start) start = t;
              const cy = y - 60 * Math.sin(2 * Math.PI * 0.5 * ((t - start) / 1000));
              el.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, pointerId: 1, pointerType: 'mouse', clientX: x, clientY: cy, buttons: 1 }));
              n++;
              if (t - start < ms) requestAnimationFrame(f);
              else resolve(n);
            };
            requestAnimationFrame(f);
          }),
        { ms, x, y },
      );
      await page.mouse.up();
      const secs = (Date.now() - t0) / 1000;
      return `${(moves / secs).toFixed(1)} pointer moves/s, ${((sent - s0) / secs).toFixed(0)} messages/s sent to the engine (${[...sentCmds].map(([k, v]) => `${k} ${(v / secs).toFixed(0)}/s`).join(', ')})`;
    });
    if (profile) {
      const { profile: pr } = await cdp.send('Profiler.stop');
      const dt = [0, ...pr.timeDeltas.slice(1)];
      const self = new Map();
      const byId = new Map(pr.nodes.map((n) => [n.id, n]));
      pr.samples.forEach((id, i) => {
        const f = byId.get(id).callFrame;
        const k = `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}`;
        self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
      });
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      console.log(`  CPU profile of the drag, self time (of ${total.toFixed(0)} ms sampled):`);
      for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${v.toFixed(1).padStart(8)} ms  ${k}`);
    }
    const gain = await page.getAttribute('[data-testid=param-mids-gain_db]', 'aria-valuenow');
    console.log(`  (the knob moved: mids gain_db now ${gain})`);
    if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
  } finally {
    await ctx.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  return out;
}

let status = 0;
try {
  const a = await session('default frame clock', []);
  console.log(
    `summary: the empty page gets ${a.empty.toFixed(1)} frames/s from headless Chromium's frame clock; the editor ${a.meters.fps.toFixed(1)} ` +
      `with the meters (${a.meters.cpuPerFrame.toFixed(1)} ms main-thread CPU a frame), ${a.drag.fps.toFixed(1)} with the meters and a knob dragged every frame ` +
      `(${a.drag.cpuPerFrame.toFixed(1)} ms CPU a frame; budget 16.7)`,
  );
} catch (e) {
  console.log(`perf.mjs failed: ${e.stack || e}`);
  status = 1;
} finally {
  if (engine.exitCode === null) {
    engine.kill('SIGTERM');
    await new Promise((r) => engine.once('exit', r));
  }
  const st = /stats: .*/.exec(engineLog);
  if (st) console.log(`engine during the run: ${st[0]}`);
  fs.rmSync(lib, { recursive: true, force: true });
}
process.exit(status);
