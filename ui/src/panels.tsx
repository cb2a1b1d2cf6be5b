// panels.tsx — the block editor (with the EQ picture), meters and load,
// scenes, the preset browser, the tuner and the performance view.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { app, edit, optional, say, send, setParam, useApp, useMeters } from './store';
import { Control } from './knob';
import { type Rig, type RigNode, findNode, nodes } from './graph';
import { valueOf, type NodeType } from './taper';
import { removeEdit, sceneRenameEdit, setBypassEdit, addNodeEdit, tempoEdit } from './undo';
import { response } from './eqcurve';
import { askConfirm, askText } from './dialog';
import { Assets } from './library';
import { prettyName, typeLabel } from './names';

// ---------------------------------------------------------------- editor

export function Editor({ rig }: { rig: Rig }) {
  const { selected, types } = useApp();
  const node = selected ? findNode(rig, selected) : null;
  if (!node) return <div class="editor empty">Click a block to edit it. Tab to a block and press Enter; Delete removes it; Alt+←/→ moves it.</div>;
  const g = types.get(node.type);
  // an LV2 plugin's or a Faust program's table comes with the node itself
  const t = g && node.param_defs ? { ...g, params: node.param_defs, readouts: node.readout_defs ?? g.readouts } : g;
  return (
    <section class="editor" aria-label={`${node.id} settings`} data-testid="editor">
      <header>
        <h2>
          {node.id} <small>{typeLabel(node.type)}</small>
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
        {(t?.params ?? []).filter((d) => !node.hide?.includes(d.name)).map((d) => (
          <Control
            def={d}
            label={node.labels?.[d.name]}
            value={valueOf(d, node.params[d.name])}
            testid={`param-${node.id}-${d.name}`}
            onChange={(v) => setParam(node.id, d.name, v)}
          />
        ))}
      </div>
      {node.type === 'eq' && <EqPicture node={node} />}
      {t && t.assets.length > 0 && <Assets node={node} kinds={t.assets} />}
      {t && t.readouts.length > 0 && <Readouts node={node} t={t} />}
    </section>
  );
}

/** What a readout means, where its name alone does not say. */
const READOUT_HELP: { [name: string]: string } = {
  late_blocks: 'parts of the impulse response that were not ready in time and were played late; 0 is normal, a rising count means the computer is too busy',
};

/** A readout's number: whole numbers (counts) without decimals. */
function readoutText(v: number | undefined, unit: string): string {
  if (v === undefined || !isFinite(v)) return '—';
  if (!unit && Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function Readouts({ node, t }: { node: RigNode; t: NodeType }) {
  const m = useMeters();
  const ro = m?.readouts[node.id] ?? {};
  return (
    <div class="readouts">
      {t.readouts.map((r) => (
        <div class="readout" title={READOUT_HELP[r.name] ?? ''}>
          <span>{(r as { label?: string }).label ?? prettyName(r.name)}</span> <b>{readoutText(ro[r.name], r.unit)}</b> {r.unit}
        </div>
      ))}
    </div>
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
        {engine ? 'response from the engine' : 'response computed in the page'} · 20 Hz – 20 kHz, ±24 dB
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

/** The overrun count, with what it means and what to do; whether the rig
 * or the rest of the computer is the likely cause follows from the load. */
function Dropouts({ count, p99 }: { count: number; p99: number }) {
  const [open, setOpen] = useState(false);
  const cause =
    p99 >= 70
      ? 'The rig uses most of each audio period: bypass or remove heavy blocks (captures, long IRs, oversampling), or use a larger buffer.'
      : 'The rig itself is light, so the computer caused them (other programs, power saving, the audio system): close other programs, or use a larger buffer (pytone run --frames 256).';
  const meaning = 'Dropouts: times the audio was not ready when the sound card needed it, heard as a click.';
  return (
    <div class="dropouts">
      <button class={`dropout-count ${count ? 'warn' : ''}`} data-testid="overruns" aria-expanded={open} title={`${meaning} ${count ? cause : 'None so far.'}`} onClick={() => setOpen(!open)}>
        <b>{count}</b> dropouts <span class="what">?</span>
      </button>
      {open && (
        <p class="hint" data-testid="overruns-help">
          {meaning} {count ? cause : 'None so far: nothing to do.'}
        </p>
      )}
    </div>
  );
}

export function Meters() {
  const m = useMeters();
  return (
    <section class="meters" aria-label="meters">
      <Meter label="IN" id="in" peak={m?.in.peak ?? 0} rms={m?.in.rms ?? 0} />
      <Meter label="OUT" id="out" peak={m?.out.peak ?? 0} rms={m?.out.rms ?? 0} />
      <div class="load" data-testid="load" title="How much of each audio period the rig's processing takes: typical and worst 1 %. Above about 70 % dropouts become likely.">
        DSP load <b>{m ? m.load.p50.toFixed(0) : '—'}%</b> typical · <b>{m ? m.load.p99.toFixed(0) : '—'}%</b> peak
      </div>
      <Dropouts count={m?.load.overruns ?? 0} p99={m?.load.p99 ?? 0} />
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
            onClick={async () => {
              const name = await askText('New scene', 'Name', `scene ${rig.scenes.length + 1}`, 'Store');
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
            onClick={async () => {
              const name = state?.scene;
              if (name && (await askConfirm(`Delete the scene ${name}? The sound playing stays as it is.`, 'Delete', true)))
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
