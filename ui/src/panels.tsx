// panels.tsx — the block editor (with the EQ picture), meters and load,
// scenes, the preset browser, the tuner and the performance view.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  app,
  edit,
  listRigs,
  loadRig,
  optional,
  save,
  say,
  send,
  setParam,
  useApp,
  useMeters,
  type RigEntry,
} from './store';
import { Control } from './knob';
import { type Rig, type RigNode, findNode, nodes } from './graph';
import { metaEntry, valueOf, type NodeType } from './taper';
import { removeEdit, sceneRenameEdit, setBypassEdit, addNodeEdit, tempoEdit } from './undo';
import { response } from './eqcurve';

// ---------------------------------------------------------------- editor

export function Editor({ rig }: { rig: Rig }) {
  const { selected, types } = useApp();
  const node = selected ? findNode(rig, selected) : null;
  if (!node) return <div class="editor empty">Click a block to edit it. Tab to a block and press Enter; Delete removes it; Alt+←/→ moves it.</div>;
  const t = types.get(node.type);
  return (
    <section class="editor" aria-label={`${node.id} settings`} data-testid="editor">
      <header>
        <h2>
          {node.id} <small>{node.type}</small>
        </h2>
        <button
          class={`toggle ${node.bypass ? '' : 'on'}`}
          data-testid="editor-bypass"
          aria-pressed={!node.bypass}
          onClick={() => edit(setBypassEdit(rig, node.id, !node.bypass))}
        >
          {node.bypass ? 'Bypassed' : 'On'}
        </button>
        <button class="danger" data-testid="editor-remove" onClick={() => edit(removeEdit(rig, node.id))}>
          Remove
        </button>
      </header>
      {t?.summary && <p class="hint">{t.summary}</p>}
      <div class="controls">
        {(t?.params ?? []).map((d) => (
          <Control
            def={d}
            value={valueOf(d, node.params[d.name])}
            testid={`param-${node.id}-${d.name}`}
            onChange={(v) => setParam(node.id, d.name, v)}
          />
        ))}
      </div>
      {node.type === 'eq' && <EqPicture node={node} />}
      {t && t.assets.length > 0 && <Assets node={node} t={t} />}
      {t && t.readouts.length > 0 && <Readouts node={node} t={t} />}
    </section>
  );
}

function Readouts({ node, t }: { node: RigNode; t: NodeType }) {
  const m = useMeters();
  const ro = m?.readouts[node.id] ?? {};
  return (
    <div class="readouts">
      {t.readouts.map((r) => (
        <div class="readout">
          <span>{r.name}</span> <b>{ro[r.name]?.toFixed(2) ?? '—'}</b> {r.unit}
        </div>
      ))}
    </div>
  );
}

interface AssetEntry {
  path: string;
  kind: string;
}

/** A node's files: pick one from the library (`list_assets`), set it
 * (`set_asset`), and see it (`asset_info`: waveform, spectrum, metadata). */
function Assets({ node, t }: { node: RigNode; t: NodeType }) {
  const [files, setFiles] = useState<AssetEntry[] | null>(null);
  useEffect(() => {
    send('list_assets', {})
      .then((r) => setFiles(r.assets as AssetEntry[]))
      .catch(() => setFiles(null));
  }, [node.id]);
  return (
    <div class="assets">
      <h3>Files</h3>
      {files === null && <p class="hint">This engine cannot list the library's files (command list_assets); the current file is shown.</p>}
      {t.assets.map((a) => {
        const cur = node.assets?.[a.name] ?? '';
        const choices = (files ?? []).filter((f) => f.kind === a.kind);
        return (
          <div class="asset">
            <label>
              {a.name} <span class="dim">({a.kind})</span>{' '}
              <select
                aria-label={`${node.id} ${a.name}`}
                value={cur}
                onChange={(e) => optional('set_asset', { node: node.id, asset: a.name, path: (e.target as HTMLSelectElement).value }, 'Choosing a file')}
              >
                {!choices.some((f) => f.path === cur) && <option value={cur}>{cur || '(none)'}</option>}
                {choices.map((f) => (
                  <option value={f.path}>{f.path}</option>
                ))}
              </select>
            </label>
            {cur && <AssetPicture path={cur} />}
          </div>
        );
      })}
    </div>
  );
}

interface AssetInfo {
  kind?: string;
  rate?: number;
  channels?: number;
  frames?: number;
  waveform?: number[]; // min/max pairs, -1..1
  spectrum?: { freq_hz: number[]; gain_db: number[] };
  meta?: Record<string, string | number>;
}

function AssetPicture({ path }: { path: string }) {
  const [info, setInfo] = useState<AssetInfo | null | 'none'>(null);
  useEffect(() => {
    send('asset_info', { path })
      .then((r) => setInfo(r as AssetInfo))
      .catch(() => setInfo('none'));
  }, [path]);
  if (info === null) return null;
  if (info === 'none') return <p class="hint">{path} — pictures need the engine command asset_info.</p>;
  const W = 300, H = 80;
  const wf = info.waveform ?? [];
  const cols = wf.length / 2;
  const wave = Array.from({ length: cols }, (_, i) => {
    const x = (i / Math.max(1, cols - 1)) * W;
    return `M${x.toFixed(1)},${((1 - wf[2 * i + 1]) * H / 2).toFixed(1)}V${((1 - wf[2 * i]) * H / 2).toFixed(1)}`;
  }).join('');
  const sp = info.spectrum;
  const x = (f: number) => (Math.log(f / 20) / Math.log(1000)) * W;
  const y = (db: number) => ((12 - Math.max(-48, Math.min(12, db))) / 60) * H;
  const spec = sp ? sp.freq_hz.map((f, i) => `${i ? 'L' : 'M'}${x(f).toFixed(1)},${y(sp.gain_db[i]).toFixed(1)}`).join(' ') : '';
  return (
    <figure class="asset-pic" data-testid="asset-picture">
      {wf.length > 0 && (
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="waveform">
          <path d={wave} class="wave" />
        </svg>
      )}
      {sp && (
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="spectrum">
          <path d={spec} class="curve" />
        </svg>
      )}
      <figcaption>
        {wf.length > 0 && 'waveform · '}
        {sp && 'spectrum 20 Hz – 20 kHz, +12 … −48 dB · '}
        {[info.kind, info.rate && `${info.rate} Hz`, info.channels && `${info.channels} ch`, info.frames && info.rate && `${((1000 * info.frames) / info.rate).toFixed(0)} ms`]
          .filter(Boolean)
          .join(' · ')}
        {Object.entries(info.meta ?? {}).map(([k, v]) => (
          <div>{metaEntry(k, v)}</div>
        ))}
      </figcaption>
    </figure>
  );
}

/** The EQ band's response: the engine's (`eq_response`) when it has the
 * command, else computed here from the same RBJ formulas. */
function EqPicture({ node }: { node: RigNode }) {
  const { state, types } = useApp();
  const t = types.get('eq');
  const rate = state?.rate ?? 48000;
  const get = (name: string) => {
    const d = t?.params.find((p) => p.name === name);
    return d ? valueOf(d, node.params[name]) : 0;
  };
  const shape = String(node.params.shape ?? 'peak');
  const [engine, setEngine] = useState<{ freq_hz: number[]; gain_db: number[] } | null>(null);
  const key = JSON.stringify(node.params);
  // one request in flight: a knob dragged changes the parameters every
  // frame, and the state events bring them back; what changed meanwhile is
  // asked for once the answer is in
  const ask = useRef({ busy: false, again: false, node: node.id });
  ask.current.node = node.id;
  useEffect(() => {
    if (app.value.status !== 'open') return;
    const a = ask.current;
    if (a.busy) {
      a.again = true;
      return;
    }
    const go = () => {
      a.busy = true;
      a.again = false;
      const id = a.node;
      send('eq_response', { node: id, points: 128 })
        .then((r) => id === a.node && setEngine({ freq_hz: r.freq_hz as number[], gain_db: r.gain_db as number[] }))
        .catch(() => setEngine(null))
        .finally(() => {
          a.busy = false;
          if (a.again) go();
        });
    };
    go();
  }, [node.id, key]);
  const local = useMemo(() => response(shape, rate, get('freq_hz'), get('q'), get('gain_db')), [key, rate]);
  const r = engine ?? local;
  const W = 360, H = 140, top = 24, bottom = -24;
  const x = (f: number) => (Math.log(f / 20) / Math.log(1000)) * W;
  const y = (db: number) => ((top - Math.max(bottom, Math.min(top, db))) / (top - bottom)) * H;
  const d = r.freq_hz.map((f, i) => `${i ? 'L' : 'M'}${x(f).toFixed(1)},${y(r.gain_db[i]).toFixed(1)}`).join(' ');
  return (
    <figure class="eq-pic" data-testid="eq-curve">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="EQ response">
        {[100, 1000, 10000].map((f) => (
          <line class="grid" x1={x(f)} x2={x(f)} y1={0} y2={H} />
        ))}
        {[-12, 0, 12].map((g) => (
          <line class={g ? 'grid' : 'grid zero'} x1={0} x2={W} y1={y(g)} y2={y(g)} />
        ))}
        <path d={d} class="curve" />
      </svg>
      <figcaption>
        {engine ? 'response from the engine' : 'response computed in the page (engine has no eq_response)'} · 20 Hz – 20 kHz, ±24 dB
      </figcaption>
    </figure>
  );
}

// ---------------------------------------------------------------- meters

const dbOf = (x: number) => 20 * Math.log10(Math.max(x, 1e-9));
const meterPos = (x: number) => Math.max(0, Math.min(1, (dbOf(x) + 60) / 60));

function Meter({ label, peak, rms, id }: { label: string; peak: number; rms: number; id: string }) {
  const clipAt = useRef(0);
  const hold = useRef({ v: 0, t: 0 });
  const now = performance.now();
  if (peak >= 0.999) clipAt.current = now;
  if (peak >= hold.current.v || now - hold.current.t > 1500) hold.current = { v: peak, t: now };
  const clipped = clipAt.current > 0 && now - clipAt.current < 3000;
  return (
    <div class="meter" data-testid={`meter-${id}`} data-peak={peak.toFixed(4)} data-rms={rms.toFixed(4)}>
      <div class="meter-label">{label}</div>
      <div class="meter-bar">
        <div class="rms" style={{ transform: `scaleX(${meterPos(rms)})` }} />
        <div class="peak" style={{ transform: `scaleX(${meterPos(peak)})` }} />
        <div class="hold" style={{ left: `${meterPos(hold.current.v) * 100}%` }} />
      </div>
      <button class={`clip ${clipped ? 'lit' : ''}`} title="clip (click to reset)" onClick={() => (clipAt.current = 0)}>
        clip
      </button>
      <div class="meter-num">{dbOf(peak) < -99 ? '−∞' : dbOf(peak).toFixed(1)} dB</div>
    </div>
  );
}

export function Meters() {
  const m = useMeters();
  return (
    <section class="meters" aria-label="meters">
      <Meter label="IN" id="in" peak={m?.in.peak ?? 0} rms={m?.in.rms ?? 0} />
      <Meter label="OUT" id="out" peak={m?.out.peak ?? 0} rms={m?.out.rms ?? 0} />
      <div class="load" data-testid="load">
        DSP <b>{m ? m.load.p50.toFixed(1) : '—'}%</b> p50 · <b>{m ? m.load.p99.toFixed(1) : '—'}%</b> p99 ·{' '}
        <b class={m && m.load.overruns ? 'warn' : ''}>{m?.load.overruns ?? 0}</b> overruns
      </div>
    </section>
  );
}

// ---------------------------------------------------------------- scenes

export function Scenes({ rig, big = false }: { rig: Rig; big?: boolean }) {
  const { state } = useApp();
  const [renaming, setRenamingState] = useState<string | null>(null);
  // the typed name lives here, so state events re-rendering the list keep it
  const [text, setText] = useState('');
  const setRenaming = (s: string | null) => {
    setText(s ?? '');
    setRenamingState(s);
  };
  const select = (name: string) => send('scene_select', { name }).catch((e) => say(String(e.message ?? e), true));
  return (
    <section class={`scenes ${big ? 'big' : ''}`} aria-label="scenes">
      {!big && <h3>Scenes</h3>}
      <div class="scene-list">
        {rig.scenes.map((s, i) =>
          renaming === s ? (
            <input
              class="scene-rename"
              aria-label={`new name for scene ${s}`}
              ref={(el) => { if (el && el !== document.activeElement) el.focus(); }}
              value={text}
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                const v = text.trim();
                if (e.key === 'Enter' && v && v !== s) edit(sceneRenameEdit(s, v)).then(() => setRenaming(null));
                else if (e.key === 'Enter' || e.key === 'Escape') setRenaming(null);
              }}
              onBlur={() => setRenaming(null)}
            />
          ) : (
            <button
              class={`scene ${state?.scene === s ? 'active' : ''}`}
              data-testid={`scene-${s}`}
              aria-pressed={state?.scene === s}
              title={big ? `scene ${i + 1}` : 'click to select, double-click to rename'}
              onClick={() => select(s)}
              onDblClick={() => !big && setRenaming(s)}
            >
              {big && <small>{i + 1}</small>} {s}
            </button>
          ),
        )}
      </div>
      {!big && (
        <div class="scene-actions">
          <button
            data-testid="scene-store"
            disabled={!state?.scene}
            title="store the current values into the selected scene"
            onClick={() => state?.scene && send('scene_store', { name: state.scene }).then(() => say(`Stored scene ${state.scene}`), (e) => say(e.message, true))}
          >
            Store
          </button>
          <button
            data-testid="scene-new"
            title="store the current values as a new scene"
            onClick={() => {
              const name = prompt('New scene name', `scene ${rig.scenes.length + 1}`);
              if (name) send('scene_store', { name }).then(() => say(`Stored scene ${name}`), (e) => say(e.message, true));
            }}
          >
            New
          </button>
          <button disabled={!state?.scene} onClick={() => state?.scene && setRenaming(state.scene)}>
            Rename
          </button>
          <button
            data-testid="scene-delete"
            disabled={!state?.scene}
            title="delete the selected scene (the values playing stay)"
            onClick={() => {
              const name = state?.scene;
              if (name && confirm(`Delete scene ${name}?`))
                optional('scene_delete', { name }, 'Deleting a scene').then((r) => r && say(`Deleted scene ${name}`));
            }}
          >
            Delete
          </button>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- browser

export function Browser() {
  const { rigs, state } = useApp();
  const [q, setQ] = useState('');
  const [trash, setTrash] = useState<RigEntry[] | null>(null);
  useEffect(() => {
    listRigs();
  }, []);
  const needle = q.trim().toLowerCase();
  const shown = rigs.filter(
    (r) =>
      !needle ||
      [r.file, r.name ?? '', r.author ?? '', ...(r.tags ?? [])].some((s) => s.toLowerCase().includes(needle)),
  );
  const current = state?.path?.split('/').pop();
  const ask = (what: string, def: string) => prompt(what, def)?.trim();
  const withYaml = (s: string) => (/\.ya?ml$/.test(s) ? s : `${s}.yaml`);
  return (
    <section class="browser" aria-label="preset browser">
      <div class="browser-bar">
        <input
          type="search"
          placeholder="search name, tag, author"
          aria-label="search rigs"
          data-testid="search"
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <button onClick={() => listRigs()}>Refresh</button>
        <button
          onClick={async () => {
            const r = await optional('list_trash', {}, 'The trash');
            if (r) setTrash(r.rigs as RigEntry[]);
          }}
        >
          Trash
        </button>
      </div>
      <table class="rig-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>File</th>
            <th>Author</th>
            <th>Tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr class={r.file === current ? 'current' : ''} data-testid={`rig-${r.file}`}>
              <td>
                <button class="link" data-testid={`load-${r.file}`} onClick={() => loadRig(r.file)} title="load">
                  {r.kind === 'setlist' ? '☰ ' : ''}
                  {r.name ?? r.file}
                  {r.valid === false && <span class="warn"> (invalid)</span>}
                </button>
              </td>
              <td class="dim">{r.file}</td>
              <td>{r.kind === 'setlist' ? <span class="dim">setlist</span> : (r.author ?? '')}</td>
              <td>
                {(r.tags ?? []).map((t) => (
                  <span class="tag" onClick={() => setQ(t)}>
                    {t}
                  </span>
                ))}
              </td>
              <td>
                <div class="row-actions">
                <button
                  title="rename the file"
                  onClick={async () => {
                    const to = ask('Rename to', r.file);
                    if (to && (await optional('rename_rig', { from: r.file, to: withYaml(to) }, 'Renaming'))) listRigs();
                  }}
                >
                  Rename
                </button>
                <button
                  title="copy the file"
                  onClick={async () => {
                    const to = ask('Copy as', r.file.replace(/\.ya?ml$/, ' copy.yaml'));
                    if (to && (await optional('copy_rig', { from: r.file, to: withYaml(to) }, 'Duplicating'))) listRigs();
                  }}
                >
                  Duplicate
                </button>
                <button
                  class="danger"
                  title="move to the trash (it can be restored)"
                  onClick={async () => {
                    if (await optional('delete_rig', { path: r.file }, 'Deleting')) listRigs();
                  }}
                >
                  Delete
                </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {trash && (
        <div class="trash">
          <h3>Trash</h3>
          {trash.length === 0 && <p class="hint">empty</p>}
          {trash.map((r) => (
            <div>
              {r.file}{' '}
              <button
                onClick={async () => {
                  if (await optional('restore_rig', { path: r.file }, 'Restoring')) {
                    setTrash(trash.filter((x) => x !== r));
                    listRigs();
                  }
                }}
              >
                Restore
              </button>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

export async function saveAs() {
  const st = app.value.state;
  const cur = st?.path?.split('/').pop() ?? 'rig.yaml';
  const to = prompt('Save as (file in the rig library)', cur.replace(/\.ya?ml$/, ' 2.yaml'))?.trim();
  if (to) await save(/\.ya?ml$/.test(to) ? to : `${to}.yaml`);
}

// ---------------------------------------------------------------- tuner

const NOTES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];

export function Tuner({ rig, compact = false }: { rig: Rig; compact?: boolean }) {
  const m = useMeters();
  const tuner = nodes(rig.chain).find((n) => n.type === 'tuner');
  if (!tuner)
    return (
      <section class="tuner">
        <p>This rig has no tuner block.</p>
        <button
          data-testid="add-tuner"
          onClick={() => {
            const first = rig.chain[0];
            const id = 'tuner';
            edit(addNodeEdit('tuner', id, first ? { before: 'id' in first ? first.id : first.split } : null));
          }}
        >
          Add a tuner at the start
        </button>
      </section>
    );
  const ro = m?.readouts[tuner.id] ?? {};
  const note = Math.round(ro.note ?? -1);
  const cents = Math.round(ro.cents ?? 0) || 0; // no "-0"

  const has = note >= 0 && (ro.freq_hz ?? 0) > 0;
  const muted = tuner.params.mute === true || tuner.params.mute === 1;
  const inTune = has && Math.abs(cents) < 3;
  const angle = has ? Math.max(-50, Math.min(50, cents)) * 1.6 : 0;
  return (
    <section class={`tuner ${compact ? 'compact' : ''}`} data-testid="tuner">
      <div class={`tuner-note ${inTune ? 'in-tune' : ''}`} data-testid="tuner-note">
        {has ? NOTES[note % 12] : '—'}
        {has && !compact && <sub>{Math.floor(note / 12) - 1}</sub>}
      </div>
      <svg viewBox="0 0 200 110" class="needle" aria-label={has ? `${cents.toFixed(0)} cents` : 'no pitch'}>
        <path d="M 20 100 A 80 80 0 0 1 180 100" class="needle-arc" />
        {[-50, -25, 0, 25, 50].map((c) => {
          const a = ((c * 1.6 - 90) * Math.PI) / 180;
          return <line class="needle-tick" x1={100 + 72 * Math.cos(a)} y1={100 + 72 * Math.sin(a)} x2={100 + 82 * Math.cos(a)} y2={100 + 82 * Math.sin(a)} />;
        })}
        <line class={`needle-hand ${inTune ? 'in-tune' : ''}`} x1="100" y1="100" x2="100" y2="28" transform={`rotate(${angle} 100 100)`} />
      </svg>
      <div class="tuner-read">
        {has ? `${(ro.freq_hz ?? 0).toFixed(1)} Hz · ${cents >= 0 ? '+' : ''}${cents.toFixed(0)} cents` : 'play a string'}
      </div>
      <button
        class={`toggle ${muted ? 'on' : ''}`}
        data-testid="tuner-mute"
        aria-pressed={muted}
        onClick={() => setParam(tuner.id, 'mute', !muted)}
      >
        {muted ? 'Muted while tuning' : 'Mute while tuning'}
      </button>
    </section>
  );
}

// ---------------------------------------------------------------- performance

export function Perform({ rig }: { rig: Rig }) {
  const { state } = useApp();
  const taps = useRef<number[]>([]);
  const tap = () => {
    const t = performance.now();
    const ts = taps.current.filter((x) => t - x < 2500);
    ts.push(t);
    taps.current = ts;
    if (ts.length >= 2) {
      const gaps = ts.slice(1).map((x, i) => x - ts[i]);
      const bpm = 60000 / (gaps.reduce((a, b) => a + b, 0) / gaps.length);
      const old = app.value.state?.tempo ?? 120;
      if (bpm >= 20 && bpm <= 400) edit(tempoEdit(old, Math.round(bpm * 10) / 10));
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement)?.tagName === 'INPUT') return;
      const k = Number(e.key);
      if (k >= 1 && k <= rig.scenes.length) send('scene_select', { name: rig.scenes[k - 1] }).catch(() => {});
      if (e.key === 't' || e.key === 'T') tap();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rig]);
  return (
    <section class="perform" data-testid="perform">
      <div class="perform-top">
        {state && state.slots > 0 && (
          <button class="big-nav" aria-label="previous rig" disabled={(state.slot ?? 0) <= 0} onClick={() => send('select_slot', { slot: (state.slot ?? 0) - 1 })}>
            ◀
          </button>
        )}
        <div class="perform-name" data-testid="perform-name">
          {rig.name}
          {state?.setlist && (
            <small>
              {state.setlist} · {(state.slot ?? 0) + 1}/{state.slots}
            </small>
          )}
        </div>
        {state && state.slots > 0 && (
          <button class="big-nav" aria-label="next rig" disabled={(state.slot ?? 0) >= state.slots - 1} onClick={() => send('select_slot', { slot: (state.slot ?? 0) + 1 })}>
            ▶
          </button>
        )}
      </div>
      <Scenes rig={rig} big />
      <div class="perform-bottom">
        <Tuner rig={rig} compact />
        <button class="tap" data-testid="tap" onClick={tap} title="tap tempo (T)">
          TAP
          <b>{state ? state.tempo.toFixed(1) : '—'}</b>
          <small>BPM</small>
        </button>
      </div>
    </section>
  );
}
