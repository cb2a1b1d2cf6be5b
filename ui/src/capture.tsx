// capture.tsx — the Capture page: record an amp (or the rig being played)
// with pytone's re-amp signal, check the levels, train a .nam model with a
// live ESR curve, listen to it against the recording, save it into the
// library's models/ (it then shows in the model picker). The work runs in
// the engine's capture job (capture_* commands, docs/control-protocol.md);
// this page starts it and draws the state's "capture" as it changes.

import { useEffect, useState } from 'preact/hooks';
import { say, send, useApp } from './store';
import { libraryFiles } from './library';

export interface TakeReport {
  ok: boolean;
  problem: string | null;
  reason: string;
  out_peak_db: number | null;
  noise_db: number | null;
  latency: number;
  clipped: number;
  copies_esr?: number | null;
  signal?: string;
  seconds?: number;
}

export interface CaptureState {
  job: 'idle' | 'level_check' | 'record' | 'train';
  running: boolean;
  progress: number;
  message: string;
  error: string;
  check: TakeReport | null;
  take: TakeReport | null;
  train: {
    arch: string;
    epoch: number;
    epochs: number;
    esr: number[];
    best_esr: number | null;
    best_epoch: number;
    seconds_left: number | null;
    model: boolean;
    cancelled: boolean;
  } | null;
  saved: string | null;
}

const ARCHS = ['nano', 'feather', 'lite', 'standard', 'lstm'];

async function run(cmd: string, fields: Record<string, unknown> = {}) {
  try {
    return await send(cmd, fields);
  } catch (e) {
    say(e instanceof Error ? e.message : String(e), true);
    return null;
  }
}

/** A level between -60 and 0 dBFS as a bar. */
function Level({ label, db, testid }: { label: string; db: number | null | undefined; testid: string }) {
  const v = db == null ? -Infinity : db;
  const w = Math.max(0, Math.min(100, ((v + 60) / 60) * 100));
  return (
    <div class="cap-level" data-testid={testid}>
      <span class="cap-level-label">{label}</span>
      <span class="cap-level-bar">
        <span class={`cap-level-fill ${v > -1 ? 'hot' : v < -30 ? 'low' : ''}`} style={{ width: `${w}%` }} />
      </span>
      <span class="cap-level-value">{Number.isFinite(v) ? `${v.toFixed(1)} dBFS` : '—'}</span>
    </div>
  );
}

function Report({ r, what }: { r: TakeReport; what: string }) {
  return (
    <div class={`cap-report ${r.ok ? 'ok' : 'bad'}`} data-testid={`cap-${what}`} data-ok={r.ok ? '1' : '0'}>
      <Level label="recording peak" db={r.out_peak_db} testid={`cap-${what}-peak`} />
      <Level label="noise floor" db={r.noise_db} testid={`cap-${what}-noise`} />
      <p>
        <b>{r.ok ? 'passed' : `refused: ${r.problem}`}</b> — {r.reason}
      </p>
    </div>
  );
}

/** The validation ESR per epoch, on a log scale. */
function EsrCurve({ esr }: { esr: number[] }) {
  const W = 360, H = 120;
  if (!esr.length) return <svg class="cap-curve" data-testid="cap-curve" data-points="0" width={W} height={H} />;
  const ls = esr.map((e) => Math.log10(Math.max(e, 1e-6)));
  const lo = Math.min(...ls) - 0.1, hi = Math.max(...ls) + 0.1;
  const x = (i: number) => (esr.length === 1 ? W / 2 : (i / (esr.length - 1)) * (W - 10) + 5);
  const y = (l: number) => H - 5 - ((l - lo) / (hi - lo)) * (H - 10);
  const pts = ls.map((l, i) => `${x(i).toFixed(1)},${y(l).toFixed(1)}`).join(' ');
  return (
    <svg class="cap-curve" data-testid="cap-curve" data-points={esr.length} width={W} height={H} viewBox={`0 0 ${W} ${H}`}>
      <polyline points={pts} fill="none" stroke="currentColor" stroke-width="2" />
      {ls.map((l, i) => <circle cx={x(i)} cy={y(l)} r="2.5" />)}
      <text x="4" y="12" font-size="10">ESR {Math.pow(10, hi).toPrecision(2)}</text>
      <text x="4" y={H - 2} font-size="10">{Math.pow(10, lo).toPrecision(2)}</text>
    </svg>
  );
}

let playing: AudioBufferSourceNode | null = null;

/** Play a clip of the held-out segment: the recording or the model. */
async function listen(which: 'recording' | 'model') {
  const r = await run('capture_audio', { which, seconds: 5 });
  if (!r) return;
  const raw = atob(r.pcm as string);
  const n = raw.length >> 1;
  const ctx = new AudioContext();
  const buf = ctx.createBuffer(1, Math.max(1, n), r.rate as number);
  const ch = buf.getChannelData(0);
  for (let i = 0; i < n; i++) {
    const v = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);
    ch[i] = (v >= 32768 ? v - 65536 : v) / 32767;
  }
  playing?.stop();
  playing = ctx.createBufferSource();
  playing.buffer = buf;
  playing.connect(ctx.destination);
  playing.start();
  document.body.dataset.capListened = which;
}

export function Capture() {
  const { state } = useApp();
  const c = (state as unknown as { capture?: CaptureState } | null)?.capture ?? null;
  const [source, setSource] = useState('rig');
  const [device, setDevice] = useState('');
  const [gain, setGain] = useState(-6);
  const [full, setFull] = useState(false);
  const [arch, setArch] = useState('standard');
  const [epochs, setEpochs] = useState(100);
  const [name, setName] = useState('');
  const [saveName, setSaveName] = useState('my-capture');
  const [jackIn, setJackIn] = useState('');
  const [jackOut, setJackOut] = useState('');
  const [ports, setPorts] = useState<{ running: boolean; outputs: string[]; inputs: string[] } | null>(null);
  useEffect(() => {
    if (source !== 'jack') return;
    run('capture_ports').then((r) => r && setPorts((r.ports as { jack: { running: boolean; outputs: string[]; inputs: string[] } }).jack));
  }, [source]);
  if (!c) return <p class="hint">This engine has no Capture job (an older pytone).</p>;
  const busy = c.running;
  const takeFields = () => ({
    source,
    gain_db: gain,
    full,
    ...(source === 'portaudio' && device ? { device } : {}),
    ...(source === 'jack' && jackIn ? { input: jackIn } : {}),
    ...(source === 'jack' && jackOut ? { output: jackOut } : {}),
  });
  const t = c.train;
  return (
    <div class="capture" data-testid="capture" data-job={c.job} data-running={busy ? '1' : '0'}>
      <section class="cap-status" aria-live="polite">
        {busy && (
          <div class="cap-progress" data-testid="cap-progress">
            <progress max={1} value={c.progress} /> {c.message}{' '}
            <button data-testid="cap-cancel" onClick={() => run('capture_cancel')}>
              Cancel
            </button>
          </div>
        )}
        {!busy && c.message && <p class="hint" data-testid="cap-message">{c.message}</p>}
        {c.error && (
          <p class="cap-error" role="alert" data-testid="cap-error">
            {c.error}
          </p>
        )}
        {!busy && !c.message && !c.error && <p class="hint">Record an amp (or this rig) with pytone's re-amp signal, then train a capture of it.</p>}
      </section>

      <section class="cap-step">
        <h2>1 · Where the signal goes</h2>
        <label class="cap-source">
          Source{' '}
          <select data-testid="cap-source" value={source} disabled={busy} onChange={(e) => setSource((e.target as HTMLSelectElement).value)}>
            <option value="rig">this rig (a capture of it)</option>
            <option value="engine">an amp on the engine's interface</option>
            <option value="jack">an amp through JACK ports</option>
            <option value="portaudio">an amp on another interface</option>
          </select>
        </label>
        {source === 'engine' && (
          <p class="hint" data-testid="cap-engine-hint">
            During the level check and the take the engine's outputs play the test signal, not the rig: connect them to the amp, not to speakers, and the amp's
            output (a load box or a microphone) to the engine's input.
          </p>
        )}
        {source === 'portaudio' && (
          <label>
            Device{' '}
            <input data-testid="cap-device" placeholder="default" value={device} disabled={busy} onInput={(e) => setDevice((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {source === 'jack' && ports && !ports.running && <p class="cap-error">No JACK server is running: start one (e.g. with QjackCtl), then pick the ports.</p>}
        {source === 'jack' && ports?.running && (
          <>
            <label>
              To the amp{' '}
              <select data-testid="cap-jack-output" value={jackOut} disabled={busy} onChange={(e) => setJackOut((e.target as HTMLSelectElement).value)}>
                <option value="">the first playback port</option>
                {ports.inputs.map((p) => (
                  <option value={p}>{p}</option>
                ))}
              </select>
            </label>
            <label>
              From the amp{' '}
              <select data-testid="cap-jack-input" value={jackIn} disabled={busy} onChange={(e) => setJackIn((e.target as HTMLSelectElement).value)}>
                <option value="">the first capture port</option>
                {ports.outputs.map((p) => (
                  <option value={p}>{p}</option>
                ))}
              </select>
            </label>
          </>
        )}
        <label>
          Signal level{' '}
          <input type="number" data-testid="cap-gain" min={-60} max={0} step={1} value={gain} disabled={busy} onInput={(e) => setGain(Number((e.target as HTMLInputElement).value))} /> dB
        </label>
        <label>
          <input type="checkbox" data-testid="cap-full" checked={full} disabled={busy} onChange={(e) => setFull((e.target as HTMLInputElement).checked)} /> the full 3-minute signal (else 40 s)
        </label>
      </section>

      <section class="cap-step">
        <h2>2 · Level check and take</h2>
        <button data-testid="cap-check" disabled={busy} onClick={() => run('capture_check', takeFields())}>
          Level check
        </button>{' '}
        <button data-testid="cap-record" disabled={busy} onClick={() => run('capture_record', takeFields())}>
          Record the take
        </button>{' '}
        {c.check && <Report r={c.check} what="check" />}
        {c.take && (
          <p data-testid="cap-take" data-ok={c.take.ok ? '1' : '0'}>
            Take: {c.take.seconds?.toFixed(0)} s ({c.take.signal}), latency {c.take.latency} samples, validation copies agree to ESR{' '}
            {c.take.copies_esr?.toExponential(2)}.
          </p>
        )}
      </section>

      <section class="cap-step">
        <h2>3 · Train</h2>
        <label>
          Model{' '}
          <select data-testid="cap-arch" value={arch} disabled={busy} onChange={(e) => setArch((e.target as HTMLSelectElement).value)}>
            {ARCHS.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          Epochs <input type="number" data-testid="cap-epochs" min={1} max={10000} value={epochs} disabled={busy} onInput={(e) => setEpochs(Number((e.target as HTMLInputElement).value))} />
        </label>{' '}
        <label>
          Name <input data-testid="cap-name" placeholder="amp and settings" value={name} disabled={busy} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>{' '}
        <button data-testid="cap-train" disabled={busy || !c.take} onClick={() => run('capture_train', { arch, epochs, ...(name.trim() ? { name: name.trim() } : {}) })}>
          Train
        </button>
        {t && (
          <div class="cap-train" data-testid="cap-train-status" data-epoch={t.epoch} data-model={t.model ? '1' : '0'}>
            <EsrCurve esr={t.esr} />
            <p>
              {t.arch}: epoch {t.epoch} of {t.epochs}
              {t.best_esr != null && `, best validation ESR ${t.best_esr.toFixed(5)} (epoch ${t.best_epoch})`}
              {busy && c.job === 'train' && t.seconds_left != null && `, about ${Math.round(t.seconds_left)} s left`}
              {t.cancelled && ' — cancelled, the best model so far is kept'}
            </p>
          </div>
        )}
      </section>

      <section class="cap-step">
        <h2>4 · Listen and save</h2>
        <button data-testid="cap-listen-rec" disabled={busy || !c.take} onClick={() => listen('recording')}>
          ▶ A: the recording
        </button>{' '}
        <button data-testid="cap-listen-model" disabled={busy || !t?.model} onClick={() => listen('model')}>
          ▶ B: the model
        </button>{' '}
        <label>
          models/<input data-testid="cap-save-name" value={saveName} disabled={busy} onInput={(e) => setSaveName((e.target as HTMLInputElement).value)} />.nam
        </label>{' '}
        <button
          data-testid="cap-save"
          disabled={busy || !t?.model}
          onClick={async () => {
            const r = await run('capture_save', { path: `models/${saveName.trim()}.nam` });
            if (r) {
              say(`saved models/${saveName.trim()}.nam: pick it in a capture block`);
              await libraryFiles(true);
            }
          }}
        >
          Save into the library
        </button>
        {c.saved && <p data-testid="cap-saved">Saved as {c.saved}.</p>}
      </section>
    </div>
  );
}
