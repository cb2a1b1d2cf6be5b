// capture.mjs — the Capture page in headless Chromium (playwright-core
// driving Debian's chromium) against a real engine on the virtual backend,
// capturing the rig being played (a gate and a drive pedal). What it checks:
//   - a silent take (the gate shut through the protocol) is refused and the
//     page shows the reason the engine gave;
//   - a level check passes and its meters show the engine's measured levels
//     (the same numbers capture_status gives);
//   - a take is recorded: the page shows progress while the job runs, the
//     other buttons are disabled, and the take's latency once done;
//   - a tiny training (nano, 2 epochs, chosen on the page): the ESR curve has
//     a point per epoch, the text the engine's best ESR;
//   - A/B: both clips play (WebAudio) from the engine's capture_audio;
//   - "Save into the library" writes models/NAME.nam (a .nam Python-free
//     JSON read here: WaveNet, nano's channels) and the library's capture
//     list shows it (the model picker's list).
// Screenshot: $SHOT_DIR/capture.png.
//
// usage: node tests/capture.mjs PYTONE_BINARY SOURCE_DIR SHOT_DIR
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

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ui-capture-'));
const lib = path.join(root, 'rigs');
fs.mkdirSync(lib);
fs.writeFileSync(
  path.join(lib, 'capture.yaml'),
  'version: 1\nname: Capture test\nchain:\n  - id: gate\n    type: gate\n    params:\n      threshold_db: -96\n' +
    '  - id: drive\n    type: drive\n    params:\n      drive_db: 12\n      level_db: -12\n',
);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let log = '';
const engine = spawn(pytone, ['run', '--backend', 'virtual', '--port', String(port), path.join(lib, 'capture.yaml')], {
  cwd: srcDir,
  env: { ...process.env, PT_UI_DIR: dist, HOME: root, PT_RECOVERY_FILE: path.join(root, '.recovery.yaml') },
  stdio: ['ignore', 'pipe', 'pipe'],
});
engine.stdout.on('data', (d) => (log += d));
engine.stderr.on('data', (d) => (log += d));
const api = async (cmd, fields = {}) => (await fetch(`${base}/api/command`, { method: 'POST', body: JSON.stringify({ id: 1, cmd, ...fields }) })).json();
async function until(fn, ms = 5000) {
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

const browser = await chromium.launch({
  executablePath: process.env.PT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(base + '/');
  await page.click('[data-testid=view-capture]');
  await page.waitForSelector('[data-testid=capture]');
  const idle = () => page.waitForSelector('[data-testid=capture][data-running="0"]', { timeout: 60000 });

  // a silent take: refused, with the engine's reason on the page
  await api('set_param', { node: 'gate', param: 'threshold_db', value: 0 });
  await page.fill('[data-testid=cap-gain]', '-6');
  await page.click('[data-testid=cap-check]');
  await page.waitForSelector('[data-testid=cap-check][data-ok="0"]', { timeout: 30000 });
  await idle();
  const st0 = (await api('capture_status')).capture;
  const err0 = await page.textContent('[data-testid=cap-error]');
  check(st0.check.problem === 'silent' && err0 === st0.error && err0.startsWith('level check: no signal came back'), `a silent take is refused with the engine's reason: "${err0}"`);

  // a level check that passes: the meters show the measured levels
  await api('set_param', { node: 'gate', param: 'threshold_db', value: -96 });
  await page.click('[data-testid=cap-check]');
  await page.waitForSelector('[data-testid=cap-check][data-ok="1"]', { timeout: 30000 });
  await idle();
  const st1 = (await api('capture_status')).capture;
  const peakText = await page.textContent('[data-testid=cap-check-peak] .cap-level-value');
  check(st1.check.ok && peakText === `${st1.check.out_peak_db.toFixed(1)} dBFS`, `the level check passes; the meter reads ${peakText} (engine: ${st1.check.out_peak_db})`);
  check(!(await page.isVisible('[data-testid=cap-error]')), 'no error shown after a good check');

  // the take: progress while it runs, the other buttons disabled
  await page.click('[data-testid=cap-record]');
  const during = await until(async () => {
    if (!(await page.isVisible('[data-testid=cap-progress]'))) return false;
    return { rec: await page.isDisabled('[data-testid=cap-record]'), train: await page.isDisabled('[data-testid=cap-train]') };
  }, 10000);
  check(during && during.rec && during.train, 'while the take runs, its progress shows and Record/Train are disabled');
  await page.waitForSelector('[data-testid=cap-take][data-ok="1"]', { timeout: 60000 });
  await idle();
  const st2 = (await api('capture_status')).capture;
  const takeText = await page.textContent('[data-testid=cap-take]');
  check(st2.take.ok && takeText.includes(`latency ${st2.take.latency} samples`), `the take is shown: ${takeText}`);

  // a tiny training: nano, 2 epochs
  await page.selectOption('[data-testid=cap-arch]', 'nano');
  await page.fill('[data-testid=cap-epochs]', '2');
  await page.fill('[data-testid=cap-name]', 'UI capture');
  await page.click('[data-testid=cap-train]');
  await page.waitForSelector('[data-testid=cap-train-status][data-model="1"]', { timeout: 120000 });
  await idle();
  const st3 = (await api('capture_status')).capture;
  const points = await page.getAttribute('[data-testid=cap-curve]', 'data-points');
  const trainText = await page.textContent('[data-testid=cap-train-status] p');
  check(st3.train.arch === 'nano' && st3.train.epochs === 2 && points === '2', `the ESR curve has a point per epoch (${points})`);
  check(trainText.includes(`best validation ESR ${st3.train.best_esr.toFixed(5)}`), `the best ESR shown is the engine's: ${trainText}`);

  // A/B
  await page.click('[data-testid=cap-listen-rec]');
  await until(async () => (await page.evaluate(() => document.body.dataset.capListened)) === 'recording');
  await page.click('[data-testid=cap-listen-model]');
  const heard = await until(async () => (await page.evaluate(() => document.body.dataset.capListened)) === 'model');
  check(heard, 'A/B: the recording and the model both play');

  // save into the library: the file, and the capture list shows it
  await page.fill('[data-testid=cap-save-name]', 'ui-capture');
  await page.click('[data-testid=cap-save]');
  await page.waitForSelector('[data-testid=cap-saved]', { timeout: 10000 });
  const file = path.join(lib, 'models', 'ui-capture.nam');
  let nam = null;
  try {
    nam = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.log(`(${file}: ${e.message})`);
  }
  check(nam && nam.architecture === 'WaveNet' && nam.config.layers[0].channels === 4 && nam.metadata.name === 'UI capture', 'models/ui-capture.nam is a nano WaveNet with the name given');
  await page.screenshot({ path: path.join(shotDir, 'capture.png'), fullPage: true });
  await page.click('[data-testid=view-browse]');
  await page.click('[data-testid=lib-tab-nam]');
  const listed = await page.waitForSelector('[data-testid="file-models/ui-capture.nam"]', { timeout: 10000 }).then(() => true, () => false);
  check(listed, "the library's captures list the saved model");
} catch (e) {
  console.log(`FAIL ${e.stack}`);
  failures++;
} finally {
  await browser.close();
  engine.kill('SIGTERM');
  await new Promise((r) => engine.on('exit', r));
  fs.rmSync(root, { recursive: true, force: true });
}
if (failures) console.log('engine log:\n' + log.slice(-3000));
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
