// e2e.mjs — the web UI in headless Chromium against a real engine on the
// virtual backend. What it checks, and against what:
//   - a rig loaded from the browser is the engine's rig (GET over HTTP);
//   - a block dragged from the palette, then into a parallel lane, is in the
//     engine's graph where it was dropped (the engine's own rig JSON); one
//     dropped beside a block alone in a lane is a new lane of that split;
//   - a parameter typed into a knob reaches the engine (get_param), a second
//     tab shows it (state events), undo gives back the old value;
//   - Save writes the change into the YAML file on disk (read back here);
//   - the meters move while the virtual device plays its DI clip;
//   - the engine's pictures and files in a second tab: the EQ curve drawn at
//     the engine's eq_response values, an IR's waveform columns, spectrum
//     and caption against its asset_info, the trash against the files on
//     disk, a dropped WAV imported byte for byte (and a dropped non-audio
//     .wav refused by the engine's IR loader, nothing left behind);
//   - the page reconnects when the engine restarts;
//   - the first load's compressed size (printed).
// Screenshots of each view go to $PT_SHOTS (build/ui-screenshots).
//
// usage: node tests/e2e.mjs PYTONE_BINARY SOURCE_DIR SHOT_DIR
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { freePort } from './util.mjs';

const [pytone, srcDir, shotDir] = process.argv.slice(2);
const dist = path.join(srcDir, 'ui', 'dist');
fs.mkdirSync(shotDir, { recursive: true });

let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures++;
}


// the library: the test's own rigs (tests/rigs, apart from the factory rigs,
// which change) and two copies of a factory cabinet IR in irs/
const lib = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-lib-'));
const fixtures = path.join(srcDir, 'ui', 'tests', 'rigs');
for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(lib, f));
fs.mkdirSync(path.join(lib, 'irs'));
const factoryIr = path.join(srcDir, 'irs', 'synthetic_4x12.wav');
fs.copyFileSync(factoryIr, path.join(lib, 'irs', '4x12.wav'));
fs.copyFileSync(factoryIr, path.join(lib, 'irs', 'other.wav'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let engine = null;
let engineLog = '';

function startEngine() {
  engine = spawn(pytone, ['run', '--backend', 'virtual', '--port', String(port), path.join(lib, 'default.yaml')], {
    cwd: srcDir,
    env: { ...process.env, PT_UI_DIR: dist, HOME: lib },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  engine.stdout.on('data', (d) => (engineLog += d));
  engine.stderr.on('data', (d) => (engineLog += d));
}
async function waitUp() {
  for (let i = 0; i < 100; i++) {
    // an engine that started playing without announcing a server has none
    if (i > 10 && /playing/.test(engineLog) && !/control server/.test(engineLog)) return false;
    try {
      const r = await fetch(`${base}/api/state`);
      if (r.ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
async function api(cmd, fields = {}) {
  const r = await fetch(`${base}/api/command`, { method: 'POST', body: JSON.stringify({ id: 1, cmd, ...fields }) });
  return r.json();
}
async function drag(page, from, to) {
  // a state event may re-render the chain just as the target is found
  // ("Element is not attached to the DOM"): find it again, up to 3 times
  // the tab dragged in is brought to the front: a tab behind another gets
  // no animation frames, so its elements never count as stable
  await page.bringToFront();
  for (let tries = 0; ; tries++) {
    try {
      await page.locator(to).scrollIntoViewIfNeeded({ timeout: 5000 });
      await page.dragAndDrop(from, to);
      return;
    } catch (e) {
      if (tries >= 2 || !/not attached|detached/i.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
// 15 s: only a failure waits that long; a loaded 2-core machine can take
// seconds where a quiet one takes milliseconds
async function until(fn, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => false);
    if (v) return v;
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Drag, then wait until done() says the drop took effect. A synthetic drag
 * on a loaded machine is sometimes not taken as a drop (the rig unchanged):
 * then drag once more. */
async function dragUntil(page, from, to, done, ms = 15000) {
  const before = JSON.stringify((await api('get_rig')).rig);
  await drag(page, from, to);
  let v = await until(done, ms);
  if (!v && JSON.stringify((await api('get_rig')).rig) === before) {
    console.log(`     (the drag ${from} -> ${to} was not taken as a drop; dragging again)`);
    await drag(page, from, to);
    v = await until(done, ms);
  }
  return v;
}
/** Answer the page's own dialog (dialog.tsx): type `text` when given, then OK. */
async function answer(page, text) {
  await page.waitForSelector('[data-testid=dialog]', { timeout: 5000 });
  if (text !== undefined) await page.fill('[data-testid=dialog-input]', text);
  await page.click('[data-testid=dialog-ok]');
}
/** OK a confirmation that comes only sometimes (loading over unsaved changes). */
async function maybeOk(page) {
  if (await page.waitForSelector('[data-testid=dialog]', { timeout: 1000 }).catch(() => null)) await page.click('[data-testid=dialog-ok]');
}
function findNode(chain, id) {
  for (const it of chain) {
    if (it.id === id) return { it, chain };
    if (it.split) for (const b of it.branches) {
      const f = findNode(b.chain, id);
      if (f) return f;
    }
  }
  return null;
}

startEngine();
if (!(await waitUp())) {
  engine.kill('SIGTERM');
  fs.rmSync(lib, { recursive: true, force: true });
  if (!/control server/.test(engineLog)) {
    // an engine built without the control server (it came with the `control` branch)
    console.log('SKIP: this pytone serves no control server:\n' + engineLog);
    process.exit(77);
  }
  console.log('FAIL the engine did not answer over HTTP:\n' + engineLog);
  process.exit(1);
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-chromium-'));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.PT_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 860 },
});
const errors = [];
let bytes = 0;
const bytesGz = [];
try {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', async (r) => {
    if (r.url().startsWith(base) && !r.url().includes('/api/')) {
      const b = await r.body().catch(() => null);
      if (b) {
        bytes += b.length;
        bytesGz.push(zlib.gzipSync(b, { level: 9 }).length);
      }
    }
  });
  page.on('dialog', (d) => { errors.push(`the browser's own dialog opened (the page has its own): ${d.message()}`); d.dismiss(); });
  let meterFrames = 0;
  page.on('websocket', (ws) => ws.on('framereceived', (f) => String(f.payload).startsWith('{"event":"meters"') && meterFrames++));
  const t0 = Date.now();
  await page.goto(base + '/');
  check(await page.waitForSelector('[data-testid=block-drive]', { timeout: 8000 }).then(() => true, () => false), 'the page connects and draws the default rig');
  console.log(`time from navigation to the chain drawn: ${Date.now() - t0} ms`);
  const f0 = meterFrames;
  await page.waitForTimeout(2000);
  console.log(`meter events: ${((meterFrames - f0) / 2).toFixed(1)} per second (asked for 30)`);
  const gz = bytesGz.reduce((a, b) => a + b, 0);
  console.log(`first load: ${(bytes / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzip-compressed (goal < 300 KB)`);

  // meters move while audio plays
  const peaks = [];
  for (let i = 0; i < 6; i++) {
    peaks.push(Number(await page.getAttribute('[data-testid=meter-out]', 'data-peak')));
    await page.waitForTimeout(150);
  }
  check(peaks.some((p) => p > 0.001) && new Set(peaks).size > 2, `output meter moves while the DI clip plays (${peaks.map((p) => p.toFixed(3)).join(' ')})`);
  const nodePeak = Number(await page.getAttribute('[data-testid=meter-drive]', 'data-peak'));
  check(nodePeak > 0.001, `a block's meter shows its level (drive peak ${nodePeak.toFixed(3)})`);
  await page.click('[data-testid=block-presence]');
  await page.screenshot({ path: path.join(shotDir, 'edit.png') });

  // load a rig from the browser
  await page.click('[data-testid=view-browse]');
  await page.waitForSelector('[data-testid="rig-dual_amp.yaml"]');
  await page.screenshot({ path: path.join(shotDir, 'browse.png') });
  await page.fill('[data-testid=search]', 'rhythm');
  check((await page.locator('tr[data-testid^=rig-]').count()) === 1, 'searching by tag finds the one rig tagged "rhythm"');
  await page.click('[data-testid="load-crunch.yaml"]');
  await maybeOk(page);
  check(await until(async () => (await api('get_state')).state.rig === 'Crunch'), 'clicking a rig in the browser loads it in the engine');
  await page.click('[data-testid=view-edit]');
  await page.waitForSelector('[data-testid=block-slap]');

  // a second tab, to see edits arrive
  const tab2 = await ctx.newPage();
  await tab2.goto(base + '/');
  await tab2.waitForSelector('[data-testid=block-slap]');

  // drag a node type from the palette into the chain, after the drive
  let rig = await dragUntil(page, '[data-testid=palette-chorus]', '[data-testid=gap-main-3]', async () => {
    const r = (await api('get_rig')).rig;
    return findNode(r.chain, 'chorus') ? r : false;
  });
  check(rig && rig.chain.map((i) => i.id ?? i.split).join(',') === 'gate,tight,drive,chorus,mids,speaker,slap', `a chorus dragged from the palette lands after the drive (${rig && rig.chain.map((i) => i.id ?? i.split)})`);
  check(await tab2.waitForSelector('[data-testid=block-chorus]', { timeout: 3000 }).then(() => true, () => false), 'the second tab shows the new block');

  // move it into a new parallel lane beside the slap-back delay
  rig = await dragUntil(page, '[data-testid=block-chorus]', '[data-testid=parallel-slap]', async () => {
    const r = (await api('get_rig')).rig;
    const s = r.chain.find((i) => i.split);
    return s && s.branches.length === 2 && s.branches[1].chain[0]?.id === 'chorus' ? r : false;
  });
  check(!!rig, 'dragging the chorus onto the delay\'s parallel strip puts them in two lanes of a new split');
  if (rig) {
    const s = rig.chain.find((i) => i.split);
    check(s.branches[0].chain[0].id === 'slap' && rig.chain.length === 6, `the split replaces the delay in the main chain (${rig.chain.map((i) => i.id ?? i.split)})`);
  }
  await page.waitForSelector('[data-testid^=lane-level-]');
  // the delay is alone in its lane now: a block dropped beside it is a third lane of
  // that split (the engine's add_branch), not a split nested in the lane; undo removes it
  const order0 = (await api('get_rig')).rig.chain.map((i) => i.id ?? i.split).join(',');
  const lanes = async () => {
    const s = (await api('get_rig')).rig.chain.find((i) => i.split);
    return s && s.branches.length === 3 ? s.branches.map((b) => b.chain.map((n) => n.id ?? n.split).join('+')).join(' | ') : false;
  };
  const three = await dragUntil(page, '[data-testid=block-mids]', '[data-testid=parallel-slap]', lanes);
  check(three === 'slap | chorus | mids', `the mids dropped beside the lone delay make a third lane of the split (${three})`);
  await page.click('[data-testid=undo]');
  check(await until(async () => {
    const r = (await api('get_rig')).rig;
    return r.chain.find((i) => i.split).branches.length === 2 && r.chain.map((i) => i.id ?? i.split).join(',') === order0;
  }, 15000), `undo removes the lane (remove_branch) and puts the mids back (${order0})`);

  // reorder: drag the high-pass in front of the gate, then undo
  check(await dragUntil(page, '[data-testid=block-tight]', '[data-testid=gap-main-0]', async () => (await api('get_rig')).rig.chain.slice(0, 2).map((i) => i.id).join(',') === 'tight,gate'), 'dragging a block into the first gap moves it to the front');
  await page.click('[data-testid=undo]');
  check(await until(async () => (await api('get_rig')).rig.chain.slice(0, 2).map((i) => i.id).join(',') === 'gate,tight'), 'undo moves it back');
  // a lane's level, typed
  await page.fill('[data-testid=lane-level-split-1]', '-6');
  await page.press('[data-testid=lane-level-split-1]', 'Tab');
  check(await until(async () => (await api('get_rig')).rig.chain.find((i) => i.split).branches[1].level_db === -6), 'a lane level typed in the chain reaches the split (-6 dB)');
  await page.click('[data-testid=block-chorus]');
  await page.screenshot({ path: path.join(shotDir, 'parallel.png') });

  // change a parameter by typing into a knob
  await page.click('[data-testid=block-drive]');
  await page.click('[data-testid=param-drive-drive_db-value]');
  await page.fill('[data-testid=param-drive-drive_db-input]', '21.5');
  await page.press('[data-testid=param-drive-drive_db-input]', 'Enter');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 21.5), 'a value typed into the drive knob reaches the engine (get_param = 21.5)');
  // arrow keys on the focused knob: +1% of the travel each
  await page.focus('[data-testid=param-drive-tone_hz]');
  const tone0 = Number(await page.getAttribute('[data-testid=param-drive-tone_hz]', 'aria-valuenow'));
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  const tone1 = await until(async () => {
    const v = (await api('get_param', { node: 'drive', param: 'tone_hz' })).value;
    return v > tone0 ? v : false;
  });
  check(!!tone1, `arrow keys on the tone knob raise it in the engine (${tone0} -> ${tone1} Hz)`);
  check(await until(async () => (await tab2.getAttribute('[data-testid=block-drive]', 'aria-label')) && (await (async () => {
    await tab2.click('[data-testid=block-drive]');
    return Number(await tab2.getAttribute('[data-testid=param-drive-drive_db]', 'aria-valuenow')) === 21.5;
  })())), 'the second tab shows drive_db = 21.5');
  check((await page.locator('[data-testid=dirty]').count()) === 1, 'the unsaved-changes mark shows');

  // undo: tone, then the drive back to 12
  await page.click('[data-testid=undo]');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'tone_hz' })).value === tone0), 'undo restores the tone');
  await page.click('[data-testid=undo]');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 12), 'undo restores drive_db = 12 in the engine');
  check(await until(async () => Number(await tab2.getAttribute('[data-testid=param-drive-drive_db]', 'aria-valuenow')) === 12), 'and in the second tab');
  await page.click('[data-testid=redo]');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 21.5), 'redo puts 21.5 back');

  // scenes: rename (undoable), select
  await page.dblclick('[data-testid=scene-rhythm]');
  await page.fill('[aria-label="new name for scene rhythm"]', 'verse');
  await page.press('[aria-label="new name for scene rhythm"]', 'Enter');
  check(await until(async () => (await api('get_rig')).rig.scenes.join(',') === 'verse,lead'), 'double-click renames a scene in the engine (rhythm -> verse)');
  await page.click('[data-testid=undo]');
  check(await until(async () => (await api('get_rig')).rig.scenes.join(',') === 'rhythm,lead'), 'undo renames it back');
  // the rig's name, author and tags edited in the header (set_rig_info), one undo step
  const info0 = (await api('get_rig')).rig;
  await page.dblclick('[data-testid=rig-name]');
  await page.fill('[aria-label="rig name"]', 'Crunch 2');
  await page.fill('[aria-label="rig author"]', 'Tester');
  await page.fill('[aria-label="rig tags"]', 'crunch, live');
  await page.press('[aria-label="rig tags"]', 'Enter');
  check(await until(async () => {
    const r = (await api('get_rig')).rig;
    return r.name === 'Crunch 2' && r.author === 'Tester' && r.tags.join(',') === 'crunch,live';
  }), 'the rig\'s name, author and tags edited in the header reach the engine (set_rig_info)');
  check(await until(async () => (await page.textContent('[data-testid=rig-name]')) === 'Crunch 2'), 'and the header shows the new name');
  await page.click('[data-testid=undo]');
  check(await until(async () => {
    const r = (await api('get_rig')).rig;
    return r.name === info0.name && r.author === info0.author && r.tags.join(',') === info0.tags.join(',');
  }), `undo gives them back (${info0.name}, ${info0.author}, ${info0.tags})`);
  // a new scene, then Delete (after a confirmation) removes it in the engine (scene_delete)
  await page.click('[data-testid=scene-new]');
  await answer(page, 'tmp');
  check(await until(async () => (await api('get_rig')).rig.scenes.join(',') === 'rhythm,lead,tmp'), 'New stores a scene (tmp)');
  await until(async () => (await api('get_state')).state.scene === 'tmp' && !(await page.isDisabled('[data-testid=scene-delete]')));
  await page.click('[data-testid=scene-delete]');
  await answer(page);
  check(await until(async () => (await api('get_rig')).rig.scenes.join(',') === 'rhythm,lead' && (await api('get_state')).state.scene === null), 'Delete removes the selected scene in the engine (scene_delete)');

  // A/B: store A, change, store B, switch between them
  const driveA = (await api('get_param', { node: 'drive', param: 'drive_db' })).value; // the rhythm scene's, selected by the double-click
  await page.click('[data-testid=ab-a]');
  await page.click('[data-testid=param-drive-drive_db-value]');
  await page.fill('[data-testid=param-drive-drive_db-input]', '3');
  await page.press('[data-testid=param-drive-drive_db-input]', 'Enter');
  await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 3);
  await page.click('[data-testid=ab-b]');
  await page.click('[data-testid=ab-a]');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === driveA), `A/B: recalling A sends A's drive (${driveA}) to the engine`);
  await page.click('[data-testid=ab-b]');
  check(await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 3), 'A/B: recalling B sends B\'s drive (3)');

  await page.click('[data-testid=scene-lead]');
  check(await until(async () => (await api('get_state')).state.scene === 'lead'), 'a scene button selects the scene');
  await page.click('[data-testid=param-drive-drive_db-value]');
  await page.fill('[data-testid=param-drive-drive_db-input]', '19');
  await page.press('[data-testid=param-drive-drive_db-input]', 'Enter');
  await until(async () => (await api('get_param', { node: 'drive', param: 'drive_db' })).value === 19);

  // save: the YAML on disk holds the edits
  await page.click('[data-testid=save]');
  check(await until(async () => (await api('get_state')).state.dirty === false), 'Save clears the unsaved-changes mark');
  const yaml = fs.readFileSync(path.join(lib, 'crunch.yaml'), 'utf8');
  check(/drive_db: 19\b/.test(yaml.split('scenes:')[0]), 'crunch.yaml on disk has drive_db: 19 in the chain');
  check(/type: chorus/.test(yaml) && /split:/.test(yaml), 'crunch.yaml on disk has the chorus in a split');
  check(await until(async () => (await page.locator('[data-testid=dirty]').count()) === 0), 'the unsaved mark goes away');

  // knob drag with the mouse: 100 px up is half the travel; with Shift a tenth of that
  await page.click('[data-testid=block-mids]');
  const curve0 = await page.getAttribute('[data-testid=eq-curve] path.curve', 'd');
  const knob = await page.locator('[data-testid=param-mids-gain_db]').boundingBox();
  const gain0 = (await api('get_param', { node: 'mids', param: 'gain_db' })).value;
  await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2);
  await page.mouse.down();
  await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2 - 50, { steps: 5 });
  await page.mouse.up();
  const gain1 = await until(async () => {
    const v = (await api('get_param', { node: 'mids', param: 'gain_db' })).value;
    return Math.abs(v - (gain0 + 12)) < 0.01 ? v : false;
  });
  check(gain1 !== false, `dragging the gain knob up 50 px adds a quarter of its 48 dB travel (${gain0} -> ${gain1} dB)`);
  await page.keyboard.down('Shift');
  await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2);
  await page.mouse.down();
  await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2 - 50, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const gain2 = await until(async () => {
    const v = (await api('get_param', { node: 'mids', param: 'gain_db' })).value;
    return Math.abs(v - (gain0 + 13.2)) < 0.01 ? v : false;
  });
  check(gain2 !== false, `with Shift the same drag adds a tenth as much (-> ${gain2} dB)`);
  const curve1 = await page.getAttribute('[data-testid=eq-curve] path.curve', 'd');
  check(curve0 && curve1 && curve0 !== curve1, 'the EQ picture follows the gain');
  await page.dblclick('[data-testid=param-mids-gain_db]');
  check(await until(async () => (await api('get_param', { node: 'mids', param: 'gain_db' })).value === 0), 'double-click sets the default (0 dB)');
  await page.screenshot({ path: path.join(shotDir, 'eq.png') });

  // save as: a new file in the library, the session follows it
  await page.click('[data-testid=save-as]');
  await answer(page, 'crunch_copy');
  check(await until(async () => fs.existsSync(path.join(lib, 'crunch_copy.yaml')) && /crunch_copy\.yaml$/.test((await api('get_state')).state.path)), 'Save as writes crunch_copy.yaml and the rig now lives there');

  // the other views
  await page.click('[data-testid=view-tuner]');
  await page.click('[data-testid=add-tuner]');
  check(await page.waitForSelector('[data-testid=tuner-note]', { timeout: 4000 }).then(() => true, () => false), 'the tuner view adds a tuner block and shows its note');
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(shotDir, 'tuner.png') });
  await page.click('[data-testid=view-perform]');
  await page.waitForSelector('[data-testid=perform-name]');
  await page.screenshot({ path: path.join(shotDir, 'perform.png') });

  // a setlist: load it from the browser, step through it in the performance view
  await page.click('[data-testid=view-browse]');
  await page.click('[data-testid="load-gig.yaml"]');
  await maybeOk(page);
  check(await until(async () => (await api('get_state')).state.slots === 5), 'loading the setlist from the browser gives 5 slots');
  await page.click('[data-testid=view-perform]');
  await page.click('[aria-label="next rig"]');
  check(await until(async () => (await api('get_state')).state.slot === 1), 'the next-rig button selects slot 2');
  check(await until(async () => (await page.textContent('[data-testid=perform-name]')).startsWith('Crunch')), 'and the performance view names it');
  const bpm0 = (await api('get_state')).state.tempo;
  // taps timed inside the page, so a busy test machine does not stretch them
  await page.evaluate(() => new Promise((done) => {
    const b = document.querySelector('[data-testid=tap]');
    let n = 0;
    const tap = () => (b.click(), ++n < 4 ? setTimeout(tap, 400) : done());
    tap();
  }));
  const bpm1 = await until(async () => {
    const t = (await api('get_state')).state.tempo;
    return Math.abs(t - 150) < 12 ? t : false;
  });
  check(bpm1 !== false, `four taps 400 ms apart set about 150 BPM (${bpm1})`);
  await page.screenshot({ path: path.join(shotDir, 'setlist.png') });
  await page.click('[data-testid=undo]');
  check(await until(async () => (await api('get_state')).state.tempo === bpm0), `undo gives the tempo back (${bpm0})`);

  // Delete moves a rig into the library's trash; restore brings it back
  await page.click('[data-testid=view-browse]');
  await page.click('[data-testid="rig-crunch_copy.yaml"] >> text=Delete');
  await answer(page);
  check(await until(() => Promise.resolve(!fs.existsSync(path.join(lib, 'crunch_copy.yaml')) && fs.existsSync(path.join(lib, '.trash', 'crunch_copy.yaml'))), 15000), 'Delete moves the rig file into the library\'s .trash');
  check((await api('list_trash')).rigs.some((r) => r.file === 'crunch_copy.yaml'), 'and list_trash names it');
  await api('restore_rig', { path: 'crunch_copy.yaml' });
  check(fs.existsSync(path.join(lib, 'crunch_copy.yaml')), 'restore_rig brings it back');
  // a file dropped on the page: `bytes` (an array of numbers) named `name`
  const dropFile = (p, bytes, name) => p.evaluate(([bytes, name]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'audio/wav' }));
    const el = document.querySelector('.app');
    el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [Array.from(bytes), name]);
  // a cab needs its IR when added: the page asks for it and sends it with add_node
  await page.click('[data-testid=view-edit]');
  const before = JSON.stringify((await api('get_rig')).rig.chain);
  await drag(page, '[data-testid=palette-cab]', '[data-testid=gap-main-0]');
  /* a synthetic drag on a loaded machine is sometimes not taken as a drop:
   * when the page has not asked for the file after 5 s, drag once more */
  let asked = await page.waitForSelector('[data-testid="file-irs/other.wav"]', { timeout: 5000 }).catch(() => null);
  if (!asked) {
    console.log('     (the first drag was not taken as a drop; dragging again)');
    await drag(page, '[data-testid=palette-cab]', '[data-testid=gap-main-0]');
    asked = await page.waitForSelector('[data-testid="file-irs/other.wav"]', { timeout: 5000 }).catch(() => null);
  }
  if (asked) {
    await page.click('[data-testid="file-irs/other.wav"]');
    await page.click('[data-testid=dialog-ok]');
  }
  const added = await until(async () => {
    const chain = (await api('get_rig')).rig.chain;
    const cab = chain.find((n) => n.type === 'cab');
    if (cab) return `added (${cab.assets.ir})`;
    const t = await page.textContent('[data-testid=toast]').catch(() => '');
    return /assets/.test(t) ? `refused: ${t}` : false;
  }, 15000); /* adding a node rebuilds the rig: a loaded machine takes its time */
  const toastNow = await page.textContent('[data-testid=toast]').catch(() => '');
  check(added && (added.startsWith('added') ? /other\.wav/.test(added) : JSON.stringify((await api('get_rig')).rig.chain) === before), `a cab dragged from the palette asks for its IR and is ${added || 'neither added nor refused (toast: ' + toastNow + ')'}`);
  await page.click('[data-testid=view-browse]');
  // a .wav that is not audio: the engine's IR loader refuses it, the page says why, nothing lands
  await dropFile(page, new Uint8Array(1000), 'room.wav');
  const refusedToast = await until(async () => {
    const t = await page.textContent('[data-testid=toast]');
    return /room\.wav: .*irs\/room\.wav: not an audio file/.test(t) ? t : false;
  });
  check(refusedToast, `a dropped .wav that is not audio is refused by the engine's IR loader, the file named (${refusedToast})`);
  check(!fs.existsSync(path.join(lib, 'irs', 'room.wav')) && fs.readdirSync(path.join(lib, 'irs')).every((f) => !f.startsWith('.')), 'and nothing is left in the library\'s irs/ (no temporary file either)');

  // a second tab uses the engine's commands for files, pictures and the trash
  const tab3 = await ctx.newPage();
  await tab3.goto(base + '/');
  await tab3.waitForSelector('[data-testid^=block-]');
  await api('load_rig', { path: 'default.yaml' });
  await tab3.click('[data-testid=block-presence]');
  check(await until(async () => /response from the engine/.test(await tab3.textContent('[data-testid=eq-curve] figcaption'))), 'with eq_response the EQ picture draws the engine\'s curve');
  // the page's mapping (panels.tsx: ±24 dB over 140 px) of the engine's own numbers
  const eqr = await api('eq_response', { node: 'presence', points: 128 });
  const yOf = (db) => (((24 - Math.max(-24, Math.min(24, db))) / 48) * 140).toFixed(1);
  const want = `M0.0,${yOf(eqr.gain_db[0])} L`;
  const mid = eqr.gain_db.indexOf(Math.max(...eqr.gain_db));
  const d = await until(async () => {
    const v = await tab3.getAttribute('[data-testid=eq-curve] path.curve', 'd');
    return v && v.startsWith(want) && v.split(' ')[mid].endsWith(',' + yOf(eqr.gain_db[mid])) ? v : false;
  });
  check(d, `at the engine's values: ${want}… and its peak ${eqr.gain_db[mid].toFixed(2)} dB at ${eqr.freq_hz[mid].toFixed(0)} Hz (${(d || '').slice(0, 24)}…)`);
  await tab3.click('[data-testid=view-browse]');
  await tab3.click('[data-testid="rig-clean.yaml"] >> text=Delete');
  await answer(tab3);
  check(await until(() => Promise.resolve(!fs.existsSync(path.join(lib, 'clean.yaml')) && fs.existsSync(path.join(lib, '.trash', 'clean.yaml'))), 15000), 'Delete in the second tab moves clean.yaml into the trash');
  await tab3.click('text=Trash');
  check(await tab3.waitForSelector('.trash >> text=clean.yaml', { timeout: 5000 }).then(() => true, () => false), 'the trash lists it (list_trash)');
  await tab3.click('.trash div:has-text("clean.yaml") >> text=Restore');
  check(await until(() => Promise.resolve(fs.existsSync(path.join(lib, 'clean.yaml')) && !fs.existsSync(path.join(lib, '.trash', 'clean.yaml'))), 15000), 'Restore brings clean.yaml back from the trash (restore_rig)');
  await tab3.click('[data-testid=view-edit]');
  await tab3.click('[data-testid=block-cab]');
  check(await tab3.waitForSelector('[data-testid=asset-picture] svg[aria-label=waveform]', { timeout: 5000 }).then(() => true, () => false), 'a block with an IR shows its waveform from the engine\'s asset_info');
  const cabIr = (await api('get_rig')).rig.chain.find((n) => n.id === 'cab').assets.ir;
  const info = await api('asset_info', { path: cabIr });
  const wave = await tab3.getAttribute('[data-testid=asset-picture] svg[aria-label=waveform] path', 'd');
  const cols = wave ? wave.split('M').length - 1 : 0;
  check(info.ok && cols === info.waveform.length / 2 && info.waveform.length / 2 === Math.min(600, info.frames), `its waveform has the engine's ${info.waveform && info.waveform.length / 2} columns (${cols} drawn)`);
  check(await tab3.$('[data-testid=asset-picture] svg[aria-label=spectrum] path.curve') !== null && info.spectrum.freq_hz.length === 200, `and its spectrum (${info.spectrum && info.spectrum.freq_hz.length} points from 20 Hz to 20 kHz)`);
  const caption = await tab3.textContent('[data-testid=asset-picture] figcaption');
  check(caption.includes(`${info.rate} Hz`) && caption.includes(`${Math.round((1000 * info.frames) / info.rate)} ms`), `the caption gives the file's rate and length (${caption.slice(0, 80)})`);
  const options = await tab3.$$eval('select[aria-label="cab ir"] option', (o) => o.map((x) => x.value));
  const irs = (await api('list_files', { kind: 'ir' })).files.map((a) => a.path);
  check(options.filter((o) => o !== cabIr || irs.includes(o)).join(',') === irs.join(',') && irs.includes('irs/other.wav'), `the IR list offers the library's IRs (list_files: ${irs}; offered: ${options})`);
  await tab3.selectOption('select[aria-label="cab ir"]', 'irs/other.wav');
  check(await until(async () => /other\.wav$/.test((await api('get_rig')).rig.chain.find((n) => n.id === 'cab').assets.ir)), 'choosing another IR points the engine\'s cab at it (set_asset)');
  await tab3.screenshot({ path: path.join(shotDir, 'ir.png') });
  // a real WAV dropped on the page: the engine validates it and puts it in irs/
  const wavBytes = fs.readFileSync(factoryIr);
  await dropFile(tab3, wavBytes, 'room.wav');
  check(await until(async () => /Imported room\.wav as irs\/room\.wav/.test(await tab3.textContent('[data-testid=toast]'))), 'a real WAV dropped on the page is imported by the engine (POST /api/import) and the page says where it went');
  const landed = path.join(lib, 'irs', 'room.wav');
  check(fs.existsSync(landed) && Buffer.compare(fs.readFileSync(landed), wavBytes) === 0, `it is in the library's irs/, byte for byte (${wavBytes.length} bytes)`);
  check((await api('list_assets', { kind: 'ir' })).assets.some((a) => a.path === 'irs/room.wav'), 'and list_assets offers it');
  await tab3.close();

  // the engine restarts: the page says so, reconnects and redraws
  engine.kill('SIGTERM');
  await new Promise((r) => engine.once('exit', r));
  check(await until(async () => (await page.getAttribute('[data-testid=conn]', 'data-status')) !== 'open'), 'the page notices the engine is gone');
  await page.screenshot({ path: path.join(shotDir, 'offline.png') });
  startEngine();
  await waitUp();
  check(await until(async () => (await page.getAttribute('[data-testid=conn]', 'data-status')) === 'open', 8000), 'the page reconnects when the engine is back');
  check(await until(async () => (await page.textContent('[data-testid=rig-name]')) === 'Default'), 'and shows the rig the engine now plays');
  check(errors.length === 0, `no script errors in the page (${errors.join('; ')})`);
} catch (e) {
  console.log('FAIL exception: ' + (e && e.stack ? e.stack : e));
  failures++;
} finally {
  await ctx.close();
  if (engine && engine.exitCode === null) engine.kill('SIGTERM');
  fs.rmSync(userDir, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
if (failures) console.log('--- engine log ---\n' + engineLog.slice(-3000));
fs.rmSync(lib, { recursive: true, force: true });
process.exit(failures ? 1 : 0);
