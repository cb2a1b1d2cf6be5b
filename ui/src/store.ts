// store.ts — what the page knows about the engine, and the actions that
// change it. Every change goes through the control protocol; the engine's
// pushed state events (to every open tab) are the truth the page shows.

import { useEffect, useState } from 'preact/hooks';
import { Client, CommandError, type Fields, type Status } from './protocol';
import type { NodeType } from './taper';
import { type Rig, type ParamValue, findNode, paramDiff, bypassDiff } from './graph';
import { type Cmd, type Edit, History, setParamEdit } from './undo';
import { askConfirm } from './dialog';

export interface SessionState {
  rig: string;
  path: string;
  scene: string | null;
  tempo: number;
  dsp_load_p50: number;
  dsp_load_p99: number;
  overruns: number;
  dirty: boolean;
  slot: number | null;
  slots: number;
  setlist?: string;
  latency_samples: number;
  rate: number;
  frames: number;
  reload_error: string;
}

export interface RigEntry {
  file: string;
  kind: 'rig' | 'setlist';
  valid?: boolean;
  name?: string;
  author?: string;
  tags?: string[];
  /** shipped with pytone ("../factory/rigs/NAME"): loaded and copied, never written */
  factory?: boolean;
}

export interface Meters {
  in: { peak: number; rms: number };
  out: { peak: number; rms: number };
  load: { p50: number; p99: number; max: number; overruns: number };
  nodes: { [id: string]: { peak: number; faults: number } };
  readouts: { [id: string]: { [name: string]: number } };
}

export type View = 'edit' | 'browse' | 'perform' | 'tuner' | 'capture';

export interface AppState {
  status: Status;
  state: SessionState | null;
  rig: Rig | null;
  types: Map<string, NodeType>;
  rigs: RigEntry[];
  selected: string | null;
  view: View;
  message: { text: string; error: boolean; time: number } | null;
  ab: { a: Rig | null; b: Rig | null; showing: 'a' | 'b' | null };
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string;
  redoLabel: string;
}

type Listener = () => void;

class Observable<T> {
  private listeners = new Set<Listener>();
  constructor(public value: T) {}
  set(patch: Partial<T>) {
    this.value = { ...this.value, ...patch };
    for (const l of this.listeners) l();
  }
  subscribe(l: Listener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export const app = new Observable<AppState>({
  status: 'closed',
  state: null,
  rig: null,
  types: new Map(),
  rigs: [],
  selected: null,
  view: 'edit',
  message: null,
  ab: { a: null, b: null, showing: null },
  canUndo: false,
  canRedo: false,
  undoLabel: '',
  redoLabel: '',
});

/** Meters come 30 times a second: kept apart so only meters re-render. */
export const meters = new Observable<{ m: Meters | null; at: number }>({ m: null, at: 0 });

export function useApp(): AppState {
  const [, force] = useState(0);
  useEffect(() => app.subscribe(() => force((n) => n + 1)), []);
  return app.value;
}
export function useMeters(): Meters | null {
  const [, force] = useState(0);
  useEffect(() => meters.subscribe(() => force((n) => n + 1)), []);
  return meters.value.m;
}

export const history = new History();
export let client: Client;

function syncHistory() {
  // unchanged (a knob dragged: the same entry merged again): no re-render
  const v = app.value;
  if (v.canUndo === history.canUndo && v.canRedo === history.canRedo && v.undoLabel === history.undoLabel && v.redoLabel === history.redoLabel) return;
  app.set({
    canUndo: history.canUndo,
    canRedo: history.canRedo,
    undoLabel: history.undoLabel,
    redoLabel: history.redoLabel,
  });
}

export function say(text: string, error = false) {
  app.set({ message: { text, error, time: Date.now() } });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function send(cmd: string, fields: Fields = {}) {
  return client.request(cmd, fields);
}

/** Run commands one after the other; stops at the first failure. */
async function runCmds(cmds: Cmd[]) {
  for (const { cmd, ...fields } of cmds) await client.request(cmd, fields);
}

async function refreshRig() {
  const [st, rg] = await Promise.all([send('get_state'), send('get_rig')]);
  applyState(st.state as SessionState, rg.rig as Rig);
}

/** Values this page set in the last moments. A state event built by the
 * engine just before our latest set_param arrived can still carry an older
 * value; for LOCAL_HOLD_MS the page keeps its own (the knob does not jump
 * back under the hand, and a drag right after another starts from where the
 * first ended). After that, or once the engine agrees, the engine wins. */
const LOCAL_HOLD_MS = 400;
const localEdits = new Map<string, { node: string; param: string; value: ParamValue; t: number }>();

export function keepLocalEdits(rig: Rig, now = Date.now()) {
  for (const [key, e] of localEdits) {
    const n = findNode(rig, e.node);
    if (!n || now - e.t > LOCAL_HOLD_MS || n.params?.[e.param] === e.value) localEdits.delete(key);
    else n.params = { ...n.params, [e.param]: e.value };
  }
}

export function noteLocalEdit(node: string, param: string, value: ParamValue, now = Date.now()) {
  localEdits.set(`${node}\u0000${param}`, { node, param, value, t: now });
}

function applyState(state: SessionState | null, rig: Rig | null) {
  if (rig) keepLocalEdits(rig);
  const prev = app.value.rig;
  let selected = app.value.selected;
  if (rig && selected && !findNode(rig, selected)) selected = null;
  if (rig && prev && state && prev.path !== rig.path) history.clear();
  app.set({ state: state ?? app.value.state, rig: rig ?? app.value.rig, selected });
  syncHistory();
}

/** Apply an edit (its commands in order) and remember it for undo. */
export async function edit(e: Edit): Promise<boolean> {
  try {
    await runCmds(e.forward);
    history.push(e);
    syncHistory();
    return true;
  } catch (err) {
    say(errText(err), true);
    await refreshRig().catch(() => {});
    return false;
  }
}

/** Change a parameter: shown at once, sent to the engine, undoable. */
export async function setParam(node: string, param: string, value: ParamValue) {
  const rig = app.value.rig;
  if (!rig) return;
  const e = setParamEdit(rig, node, param, value);
  // optimistic: the knob follows the hand; the state event confirms
  noteLocalEdit(node, param, value);
  const n = findNode(rig, node);
  if (n) {
    n.params = { ...n.params, [param]: value };
    app.set({ rig: { ...rig } });
  }
  return edit(e);
}

export async function undo() {
  localEdits.clear(); /* the engine's values are the truth again */
  const e = history.undo();
  syncHistory();
  if (!e) return;
  try {
    await runCmds(e.inverse);
    say(`Undid ${e.label}`);
  } catch (err) {
    say(`Undo failed: ${errText(err)}`, true);
  }
  await refreshRig().catch(() => {});
}

export async function redo() {
  localEdits.clear();
  const e = history.redo();
  syncHistory();
  if (!e) return;
  try {
    await runCmds(e.forward);
    say(`Redid ${e.label}`);
  } catch (err) {
    say(`Redo failed: ${errText(err)}`, true);
  }
  await refreshRig().catch(() => {});
}

export async function listRigs() {
  try {
    const r = await send('list_rigs');
    const rigs = (r.rigs as RigEntry[]).slice().sort((a, b) => a.file.localeCompare(b.file));
    app.set({ rigs });
  } catch (err) {
    say(errText(err), true);
  }
}

export async function loadRig(path: string) {
  if (app.value.state?.dirty && !(await askConfirm(`“${app.value.rig?.name}” has unsaved changes. Load ${path} anyway and lose them?`, 'Load anyway', true))) return false;
  try {
    await send('load_rig', { path });
    history.clear();
    app.set({ ab: { a: null, b: null, showing: null }, selected: null });
    await refreshRig();
    say(`Loaded ${path}`);
    return true;
  } catch (err) {
    say(errText(err), true);
    return false;
  }
}

export async function save(path?: string) {
  try {
    await send('save_rig', { path });
    await refreshRig();
    say(path ? `Saved as ${path}` : 'Saved');
    await listRigs();
    return true;
  } catch (err) {
    say(errText(err), true);
    return false;
  }
}

/** A command the engine may not have yet: says so plainly when it does not. */
export async function optional(cmd: string, fields: Fields, what: string): Promise<Record<string, unknown> | null> {
  try {
    return await send(cmd, fields);
  } catch (err) {
    if (err instanceof CommandError && err.unknownCommand) say(`${what} is not possible with this version of the engine; update PyTone FX`, true);
    else say(errText(err), true);
    return null;
  }
}

// ---------------------------------------------------------------- A/B

/** A/B compare: two sets of values on the same graph; switching sends the differences. */
export async function abStore(slot: 'a' | 'b') {
  const rig = app.value.rig;
  if (!rig) return;
  const copy = JSON.parse(JSON.stringify(rig)) as Rig;
  app.set({ ab: { ...app.value.ab, [slot]: copy, showing: slot } });
  say(`Stored the current sound as ${slot.toUpperCase()}`);
}

export async function abRecall(slot: 'a' | 'b') {
  const { ab, rig } = app.value;
  const target = ab[slot];
  if (!target || !rig) return;
  // keep what is playing in the other slot when leaving it
  const other = slot === 'a' ? 'b' : 'a';
  const keep = ab.showing === other ? (JSON.parse(JSON.stringify(rig)) as Rig) : ab[other];
  const cmds: Cmd[] = [
    ...paramDiff(rig, target).map((d) => ({ cmd: 'set_param', node: d.node, param: d.param, value: d.value })),
    ...bypassDiff(rig, target).map((d) => ({ cmd: 'set_bypass', node: d.node, bypass: d.bypass })),
  ];
  try {
    await runCmds(cmds);
    app.set({ ab: { ...ab, [other]: keep, showing: slot } });
  } catch (err) {
    say(errText(err), true);
  }
  await refreshRig().catch(() => {});
}

// ---------------------------------------------------------------- start

export function start(url: string) {
  client = new Client({ url });
  client.onStatus((status) => {
    app.set({ status });
    // stale read-outs would lie: clear them until the engine is back
    if (status !== 'open') meters.set({ m: null, at: 0 });
  });
  client.onEvent((ev) => {
    if (ev.event === 'meters') meters.set({ m: ev.meters as Meters, at: performance.now() });
    else if (ev.event === 'state') applyState(ev.state as SessionState, ev.rig as Rig);
    else if (ev.event === 'error') say(String(ev.error), true);
  });
  client.onOpen(async () => {
    try {
      await send('subscribe', { meters: true, state: true, meters_hz: 30 });
      const t = await send('list_types');
      const types = new Map<string, NodeType>();
      for (const nt of t.types as NodeType[]) types.set(nt.name, nt);
      app.set({ types });
      await refreshRig();
      await listRigs();
    } catch (err) {
      say(errText(err), true);
    }
  });
  client.connect();
}
