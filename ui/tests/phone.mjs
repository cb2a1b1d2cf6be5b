// phone.mjs — the page on a phone, a tablet and a desktop, in headless
// Chromium (playwright-core driving Debian's chromium) against a real
// engine on the virtual backend (issue #15). What it checks, and how:
//   - at 390×844 and 768×1024, in every view (Edit with a block open,
//     Library with each kind, Perform, Tuner, Capture, and the file picker): the
//     document is no wider than the viewport; no two interactive elements'
//     boxes overlap (one inside the other excepted); every one can be
//     brought into the viewport by scrolling vertically and is then on
//     screen (left ≥ 0, right ≤ width) and the topmost element at its
//     centre (nothing covers it); at 390 every button is at least 44 px
//     high for a finger; no internal parameter name ("drive_db") or
//     command name on screen;
//   - at 1440×900: a cab and a capture added from the palette, each file
//     picked from the library's list (factory IR and capture, beside the
//     library), are in the engine's rig (get_rig) with those files; "Save
//     as" asks for a name and writes a file derived from it, whose YAML
//     holds that name and the files' relative paths; the library view
//     lists the rig under that name; a cancelled picker adds nothing.
// Screenshots: $SHOT_DIR/phone-*.png, tablet-*.png.
//
// usage: node tests/phone.mjs PYTONE_BINARY SOURCE_DIR SHOT_DIR
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './util.mjs';

const [pytone, srcDir, shotDir] = process.argv.slice(2);
const dist = path.join(srcDir, 'ui', 'dist');
fs.mkdirSync(shotDir, { recursive: true });
let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures++;
}

// a tree as the repository lays it out: the library rigs/ (the test's rigs)
// and the factory folders irs/, models/, circuits/ beside it
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-phone-'));
const lib = path.join(root, 'rigs');
fs.mkdirSync(lib);
for (const f of fs.readdirSync(path.join(srcDir, 'ui', 'tests', 'rigs'))) fs.copyFileSync(path.join(srcDir, 'ui', 'tests', 'rigs', f), path.join(lib, f));
fs.mkdirSync(path.join(lib, 'irs'));
fs.copyFileSync(path.join(srcDir, 'irs', 'synthetic_4x12.wav'), path.join(lib, 'irs', '4x12.wav'));
for (const d of ['irs', 'models', 'circuits']) fs.symlinkSync(path.join(srcDir, d), path.join(root, d));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let log = '';
const engine = spawn(pytone, ['run', '--backend', 'virtual', '--port', String(port), path.join(lib, 'default.yaml')], {
  cwd: srcDir,
  env: { ...process.env, PT_UI_DIR: dist, HOME: root, PT_RECOVERY_FILE: path.join(root, '.recovery.yaml') },
  stdio: ['ignore', 'pipe', 'pipe'],
});
engine.stdout.on('data', (d) => (log += d));
engine.stderr.on('data', (d) => (log += d));
const api = async (cmd, fields = {}) => (await fetch(`${base}/api/command`, { method: 'POST', body: JSON.stringify({ id: 1, cmd, ...fields }) })).json();
// 15 s: only a failure waits that long (a loaded 2-core machine is slow)
async function until(fn, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => false);
    if (v) return v;
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
if (!(await until(async () => (await fetch(`${base}/api/state`)).ok, 10000))) {
  console.log('FAIL the engine did not answer over HTTP:\n' + log);
  engine.kill('SIGTERM');
  process.exit(1);
}

/** The page's layout, measured in the page. */
function measure() {
  const W = window.innerWidth, H = window.innerHeight;
  const sel = 'button, input, select, textarea, a[href], [role=button], [role=slider], [role=switch], [role=tab], label.button';
  // with a dialog open, the page behind it is out of reach on purpose
  const scope = document.querySelector('[data-testid=dialog]') ?? document;
  const all = [...scope.querySelectorAll(sel)].filter((e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !(e instanceof HTMLInputElement && e.type === 'file');
  });
  const name = (e) => (e.dataset.testid || e.getAttribute('aria-label') || e.textContent.trim().slice(0, 24) || e.tagName).replace(/\s+/g, ' ');
  // boxes in page coordinates, clipped by scrolling ancestors (a list that scrolls shows only part of itself)
  const box = (e) => {
    const r = e.getBoundingClientRect();
    let b = { l: r.left + scrollX, t: r.top + scrollY, r: r.right + scrollX, bt: r.bottom + scrollY };
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden)/.test(s.overflowY + s.overflowX)) {
        const q = p.getBoundingClientRect();
        b = { l: Math.max(b.l, q.left + scrollX), t: Math.max(b.t, q.top + scrollY), r: Math.min(b.r, q.right + scrollX), bt: Math.min(b.bt, q.bottom + scrollY) };
      }
    }
    return b;
  };
  const boxes = all.map(box);
  const overlaps = [];
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++) {
      if (all[i].contains(all[j]) || all[j].contains(all[i])) continue;
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l), h = Math.min(a.bt, b.bt) - Math.max(a.t, b.t);
      if (w > 0.5 && h > 0.5) overlaps.push(`${name(all[i])} × ${name(all[j])}`);
    }
  const unreachable = [], small = [];
  for (const e of all) {
    const inList = e.closest('.file-list');
    e.scrollIntoView({ block: 'center', inline: 'nearest' });
    const r = e.getBoundingClientRect();
    const x = (r.left + r.right) / 2, y = (r.top + Math.min(r.bottom, r.top + H)) / 2;
    const top = document.elementFromPoint(x, y);
    const onScreen = r.left >= -0.5 && r.right <= W + 0.5 && r.top >= -0.5 && y <= H;
    if (!onScreen || !top || !(e === top || e.contains(top) || (e.tagName === 'LABEL' && top.closest('label') === e))) unreachable.push(`${name(e)}${onScreen ? ' covered by ' + (top?.className || top?.tagName) : ` off screen (${Math.round(r.left)}..${Math.round(r.right)} of ${W})`}`);
    if (!inList && (e.tagName === 'BUTTON' || e.tagName === 'SELECT' || e.tagName === 'INPUT') && r.height < 43.5 && !e.classList.contains('bypass-btn')) small.push(`${name(e)} ${Math.round(r.height)} px`);
  }
  window.scrollTo(0, 0);
  const text = document.body.innerText;
  return {
    docWidth: document.documentElement.scrollWidth,
    width: W,
    n: all.length,
    overlaps,
    unreachable,
    small,
    internal: [...new Set(text.match(/\b[a-z]+_(db|dbu|hz|pct|ms|blocks)\b|asset_info|list_assets|list_files|late_blocks|eq_response/g) ?? [])],
  };
}

const ctx = await chromium.launch({
  executablePath: process.env.PT_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await ctx.newPage({ viewport: { width: 390, height: 844 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`a browser dialog was opened: ${d.message()}`);
    d.dismiss();
  });
  await page.goto(base + '/');

  await page.waitForSelector('[data-testid=block-drive]', { timeout: 15000 });
  // a block with a long type name: its label must fit, clear of its lamp
  await api('add_node', { type: 'compressor', node: 'comp', position: { after: 'gate' } });
  await page.waitForSelector('[data-testid=block-comp]', { timeout: 8000 });
  for (const [tag, width, height] of [['phone', 390, 844], ['tablet', 768, 1024]]) {
    await page.setViewportSize({ width, height });
    const views = [
      ['edit', async () => { await page.click('[data-testid=view-edit]'); await page.click('[data-testid=block-drive]'); await page.waitForSelector('[data-testid=editor]'); }],
      ['edit-cab', async () => { await page.click('[data-testid=block-cab]'); await page.waitForSelector('[data-testid=asset-picture] svg', { timeout: 4000 }); }],
      ['picker', async () => { await page.click('[data-testid=browse-cab-ir]'); await page.waitForSelector('[data-testid="file-../irs/synthetic_4x12.wav"]'); }],
      ['library', async () => { await page.click('[data-testid=dialog-cancel]'); await page.click('[data-testid=view-browse]'); await page.waitForSelector('[data-testid="rig-dual_amp.yaml"]'); }],
      ['library-irs', async () => { await page.click('[data-testid=lib-tab-ir]'); await page.click('[data-testid="file-../irs/synthetic_4x12.wav"]'); await page.waitForSelector('[data-testid=asset-picture] svg'); }],
      ['library-captures', async () => { await page.click('[data-testid=lib-tab-nam]'); await page.waitForSelector('[data-testid="file-../models/a1_standard.nam"]'); }],
      ['library-circuits', async () => { await page.click('[data-testid=lib-tab-circuit]'); await page.waitForSelector('[data-testid="file-../circuits/ts808.yaml"]'); }],
      ['perform', async () => { await page.click('[data-testid=view-perform]'); await page.waitForSelector('[data-testid=perform]'); }],
      ['tuner', async () => { await page.click('[data-testid=view-tuner]'); await page.waitForSelector('.tuner'); }],
      ['capture', async () => { await page.click('[data-testid=view-capture]'); await page.waitForSelector('[data-testid=capture]'); await page.selectOption('[data-testid=cap-source]', 'engine'); await page.waitForSelector('[data-testid=cap-engine-hint]'); }],
    ];
    await page.click('[data-testid=view-edit]');
    await page.waitForSelector('[data-testid=block-comp]');
    const labels = await page.$$eval('.block', (bs) => bs.map((b) => {
      const t = b.querySelector('.block-type'), l = b.querySelector('.bypass-btn').getBoundingClientRect();
      const r = t.getBoundingClientRect(), o = b.getBoundingClientRect();
      const clear = r.right <= l.left || r.left >= l.right || r.bottom <= l.top || r.top >= l.bottom;
      return { text: t.textContent, fits: t.scrollWidth <= t.clientWidth + 0.5 && r.left >= o.left && r.right <= o.right, clear };
    }));
    const bad = labels.filter((x) => !x.fits || !x.clear);
    check(labels.some((x) => /compressor/i.test(x.text)) && bad.length === 0, `${tag}: every block's type label fits its block, clear of its lamp (${labels.map((x) => x.text).join(', ')}${bad.length ? '; not: ' + bad.map((x) => x.text).join(', ') : ''})`);
    for (const [view, open] of views) {
      await open();
      await page.waitForTimeout(150);
      const m = await page.evaluate(measure);
      await page.screenshot({ path: path.join(shotDir, `${tag}-${view}.png`), fullPage: tag === 'phone' });
      check(m.docWidth <= width && m.width === width, `${tag} ${width}×${height} ${view}: the page is ${m.docWidth} px wide, the layout viewport ${m.width} px (the screen: ${width})`);
      check(m.overlaps.length === 0, `${tag} ${view}: no two of its ${m.n} controls overlap${m.overlaps.length ? ': ' + m.overlaps.slice(0, 6).join('; ') : ''}`);
      check(m.unreachable.length === 0, `${tag} ${view}: every control is on screen and uncovered after scrolling vertically${m.unreachable.length ? ': ' + m.unreachable.slice(0, 6).join('; ') : ''}`);
      if (tag === 'phone') check(m.small.length === 0, `${tag} ${view}: buttons and fields at least 44 px high${m.small.length ? ': ' + m.small.slice(0, 6).join('; ') : ''}`);
      check(m.internal.length === 0, `${tag} ${view}: no internal names on screen${m.internal.length ? ': ' + m.internal.join(', ') : ''}`);
    }
  }
  await page.close();

  // desktop: a cab and a capture from the lists, save as a new name, find it
  const desk = await ctx.newPage({ viewport: { width: 1440, height: 900 } });
  desk.on('pageerror', (e) => errors.push(e.message));
  desk.on('dialog', (d) => {
    errors.push(`a browser dialog was opened: ${d.message()}`);
    d.dismiss();
  });
  await desk.goto(base + '/');
  await desk.waitForSelector('[data-testid=block-drive]', { timeout: 8000 });
  const chainNow = async () => (await api('get_rig')).rig.chain;
  const before = JSON.stringify(await chainNow());
  await desk.click('[data-testid=palette-cab]');
  await desk.waitForSelector('[data-testid="file-../irs/plate_2s_stereo.wav"]');
  await desk.click('[data-testid=dialog-cancel]');
  await desk.waitForTimeout(300);
  check(JSON.stringify(await chainNow()) === before && !(await desk.$('[data-testid=dialog]')), 'a cancelled file picker adds nothing');
  await desk.click('[data-testid=block-presence]');
  await desk.click('[data-testid=palette-cab]');
  await desk.click('[data-testid="file-../irs/plate_2s_stereo.wav"]');
  check(await desk.waitForSelector('[data-testid=dialog] [data-testid=asset-picture] svg[aria-label=waveform]', { timeout: 10000 }).then(() => true, () => false), 'the picker shows the chosen IR\'s waveform');
  await desk.click('[data-testid=dialog-ok]');
  const cab = await until(async () => (await chainNow()).find((n) => n.type === 'cab' && n.assets?.ir === '../irs/plate_2s_stereo.wav'), 10000);
  check(cab, `a cab added from the palette plays the factory IR picked from the list (${cab && cab.id}: ${cab && cab.assets.ir})`);
  await desk.click('[data-testid=palette-nam]');
  await desk.fill('[data-testid=picker-search]', 'a1');
  await desk.click('[data-testid="file-../models/a1_standard.nam"]');
  await desk.click('[data-testid=dialog-ok]');
  const nam = await until(async () => (await chainNow()).find((n) => n.type === 'nam' && n.assets?.model === '../models/a1_standard.nam'), 10000);
  check(nam, `a capture added from the palette uses the factory capture picked from the list (${nam && nam.id}: ${nam && nam.assets.model})`);
  await desk.click('[data-testid=save-as]');
  await desk.fill('[data-testid=dialog-input]', 'Phone Test: Plate & A1');
  const hint = await desk.textContent('[data-testid=dialog-hint]');
  check(/phone_test_plate_a1\.yaml/.test(hint), `Save as says which file it will write (${hint})`);
  await desk.click('[data-testid=dialog-ok]');
  const saved = path.join(lib, 'phone_test_plate_a1.yaml');
  check(await until(async () => fs.existsSync(saved) && /phone_test_plate_a1\.yaml$/.test((await api('get_state')).state.path)), 'Save as writes phone_test_plate_a1.yaml and the rig lives there now');
  const yaml = fs.existsSync(saved) ? fs.readFileSync(saved, 'utf8') : '';
  check(/^name: "?Phone Test: Plate & A1"?$/m.test(yaml) || /^name: 'Phone Test: Plate & A1'$/m.test(yaml), 'the saved YAML carries the name typed');
  check(yaml.includes('../irs/plate_2s_stereo.wav') && yaml.includes('../models/a1_standard.nam'), 'and refers to the factory files as the factory rigs do (../irs/, ../models/)');
  await desk.click('[data-testid=view-browse]');
  const row = await desk.waitForSelector('[data-testid="load-phone_test_plate_a1.yaml"]', { timeout: 4000 }).catch(() => null);
  const rowText = row ? (await row.textContent()).trim() : '';
  check(rowText === 'Phone Test: Plate & A1', `the library lists it under its name (${rowText})`);
  await desk.screenshot({ path: path.join(shotDir, 'desktop-library.png') });
  await desk.close();
  check(errors.length === 0, `no page errors and no browser dialogs${errors.length ? ': ' + errors.join('; ') : ''}`);
} finally {
  await ctx.close();
  engine.kill('SIGTERM');
  await new Promise((r) => engine.once('exit', r));
  fs.rmSync(root, { recursive: true, force: true });
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
