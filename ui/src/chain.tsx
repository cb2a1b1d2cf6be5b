// chain.tsx — the graph, left to right: blocks, parallel branches as lanes
// with their mix levels, drop gaps between blocks. Drag a type from the
// palette into a gap to add it; drag a block into a gap to move it, onto a
// block's "parallel" strip to put both in a new split, onto the bin to
// remove it.

import { useState } from 'preact/hooks';
import { Component } from 'preact';
import { app, edit, send, useMeters } from './store';
import { askText, openDialog } from './dialog';
import { pickFile } from './library';
import { KIND_WORDS, typeLabel, type FileKind } from './names';
import {
  type Rig,
  type RigItem,
  type RigSplit,
  find,
  freshId,
  isSplit,
  itemId,
  measure,
  moveIsNoop,
  movePosition,
  positionAt,
} from './graph';
import { addNodeEdit, laneEdit, moveEdit, parallelEdit, removeEdit, setBranchEdit, setBypassEdit } from './undo';

export const DT_TYPE = 'application/x-pytone-type';
export const DT_NODE = 'application/x-pytone-node';

/** What is being dragged (dataTransfer cannot be read during dragover). */
export let dragging: { type?: string; node?: string } | null = null;
export function setDragging(d: { type?: string; node?: string } | null) {
  dragging = d;
  document.body.classList.toggle('dragging', !!d);
}

function readDrop(e: DragEvent): { type?: string; node?: string } | null {
  const dt = e.dataTransfer;
  const type = dt?.getData(DT_TYPE) || dragging?.type;
  const node = dt?.getData(DT_NODE) || dragging?.node;
  if (type) return { type };
  if (node) return { node };
  return null;
}

/** Files for a new node whose type needs them (cab: an IR, nam: a capture,
 * circuit: a circuit file), each picked from the library's list of that
 * kind. null: cancelled (nothing is added). */
export async function askAssets(type: string): Promise<{ [name: string]: string } | null> {
  if (type === 'lv2') {
    const uri = await askPlugin();
    return uri ? { uri } : null; /* undo.ts sends it as add_node's `uri` */
  }
  const t = app.value.types.get(type);
  const out: { [name: string]: string } = {};
  for (const a of (t?.assets ?? []).filter((x) => x.required)) {
    const word = a.kind in KIND_WORDS ? KIND_WORDS[a.kind as FileKind].one : a.kind;
    const path = await pickFile(a.kind as FileKind, `${typeLabel(type)}: choose its ${word}`);
    if (!path) return null;
    out[a.name] = path;
  }
  return out;
}

interface Plugin {
  name: string;
  uri: string;
  audio_in: number;
  audio_out: number;
}

/** An installed LV2 plugin to add (list_plugins), filtered by what is typed;
 * null when cancelled. */
async function askPlugin(): Promise<string | null> {
  let plugins: Plugin[] = [];
  try {
    plugins = ((await send('list_plugins')).plugins as Plugin[]) ?? [];
  } catch (err) {
    return askText('LV2 plugin', `No plugin list (${String(err)}): its URI`, '', 'Add');
  }
  return openDialog<string | null>('Add an LV2 plugin', null, (close) => <PluginList plugins={plugins} close={close} />);
}

function PluginList({ plugins, close }: { plugins: Plugin[]; close: (v: string | null) => void }) {
  const [q, setQ] = useState('');
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = plugins.filter((p) => words.every((w) => `${p.name} ${p.uri}`.toLowerCase().includes(w))).slice(0, 60);
  return (
    <div class="plugin-list">
      <input data-testid="plugin-filter" placeholder="filter: name or URI" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} ref={(el) => el?.focus()} />
      <ul>
        {shown.map((p) => (
          <li key={p.uri}>
            <button data-testid="plugin-item" title={p.uri} onClick={() => close(p.uri)}>
              {p.name} <small>{p.audio_in}→{p.audio_out}</small>
            </button>
          </li>
        ))}
      </ul>
      <div class="dialog-buttons">
        <button data-testid="dialog-cancel" onClick={() => close(null)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Add a block of `type` after the selected block (in its lane), or at the
 * end of the chain: a tap or Enter on the palette. */
async function addFromPalette(type: string) {
  const rig = app.value.rig;
  if (!rig) return;
  const sel = app.value.selected;
  const p = sel ? find(rig.chain, sel) : null;
  const pos = p ? positionAt(p.chain, p.index + 1, p.split, p.branch) : positionAt(rig.chain, rig.chain.length, null, 0);
  const id = freshId(rig.chain, type);
  const assets = await askAssets(type);
  if (assets && (await edit(addNodeEdit(type, id, pos, assets)))) app.set({ selected: id });
}

async function dropInGap(rig: Rig, chain: RigItem[], index: number, split: string | null, branch: number, e: DragEvent) {
  const d = readDrop(e);
  setDragging(null);
  if (!d) return;
  if (d.type) {
    const id = freshId(rig.chain, d.type);
    const assets = await askAssets(d.type);
    if (!assets) return;
    if (await edit(addNodeEdit(d.type, id, positionAt(chain, index, split, branch), assets))) app.set({ selected: id });
  } else if (d.node) {
    if (moveIsNoop(rig, d.node, chain, index)) return;
    // a split cannot go inside itself
    if (split && (split === d.node || isInside(rig, d.node, split))) return;
    await edit(moveEdit(rig, d.node, movePosition(rig, d.node, chain, index, split, branch)));
  }
}

function isInside(rig: Rig, outer: string, id: string): boolean {
  const p = find(rig.chain, outer);
  const it = p?.chain[p.index];
  return !!it && isSplit(it) && !!find(it.branches.flatMap((b) => b.chain), id);
}

/** The split whose lane holds `target` alone (a block beside it is then a
 * new lane of that split, not a split nested in the lane), or null. */
function aloneInLane(rig: Rig, target: string): string | null {
  const p = find(rig.chain, target);
  if (!p || !p.split || p.chain.length !== 1) return null;
  const sp = find(rig.chain, p.split);
  const it = sp?.chain[sp.index];
  return it && isSplit(it) && it.branches.length < MAX_LANES ? p.split : null;
}

const MAX_LANES = 16; // PT_SESSION_MAX_BRANCHES

async function dropParallel(rig: Rig, target: string, e: DragEvent) {
  const d = readDrop(e);
  setDragging(null);
  if (!d || d.node === target) return;
  const lane = aloneInLane(rig, target);
  const splitId = freshId(rig.chain, 'split');
  if (d.type) {
    const id = freshId(rig.chain, d.type);
    const assets = await askAssets(d.type);
    if (!assets) return;
    const dragged = { type: d.type, id, assets };
    if (await edit(lane ? laneEdit(rig, lane, dragged) : parallelEdit(rig, target, splitId, dragged))) app.set({ selected: id });
  } else if (d.node) {
    if (isInside(rig, d.node, target) || d.node === lane) return;
    await edit(lane ? laneEdit(rig, lane, { move: d.node }) : parallelEdit(rig, target, splitId, { move: d.node }));
  }
}

function Gap({ rig, chain, index, split, branch }: { rig: Rig; chain: RigItem[]; index: number; split: string | null; branch: number }) {
  const [over, setOver] = useState(false);
  const where = split ? `${split}-${branch}-${index}` : `main-${index}`;
  return (
    <div
      class={`gap ${over ? 'over' : ''}`}
      data-testid={`gap-${where}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        dropInGap(rig, chain, index, split, branch, e);
      }}
    >
      <div class="gap-line" />
    </div>
  );
}

function BlockMeter({ id }: { id: string }) {
  const m = useMeters();
  const peak = m?.nodes[id]?.peak ?? 0;
  const db = 20 * Math.log10(peak + 1e-9);
  const w = Math.max(0, Math.min(1, (db + 60) / 60));
  return (
    <div class="block-meter" data-testid={`meter-${id}`} data-peak={peak.toFixed(4)}>
      <div class={`bar ${db > -1 ? 'hot' : ''}`} style={{ transform: `scaleX(${w})` }} />
    </div>
  );
}

type BlockNode = RigItem & { id: string; type: string; bypass: boolean };
interface BlockProps {
  node: BlockNode;
  selected: boolean;
  summary?: string;
}

/** The rig as it is now: a block is drawn again only when what it shows
 * changes (not on every parameter change), so its handlers look it up. */
function currentRig(): Rig | null {
  return app.value.rig;
}

/** One block, memoised (Block, below) on what it shows (id, type, bypass, selection): a
 * knob turned or a state event re-renders the editor, not 30 blocks; each
 * block's meter subscribes to the meters on its own. */
function BlockView({ node, selected, summary }: BlockProps) {
  const [over, setOver] = useState(false);
  return (
    <div class="block-wrap">
      <div
        class={`block ${selected ? 'selected' : ''} ${node.bypass ? 'bypassed' : ''}`}
        data-testid={`block-${node.id}`}
        data-type={node.type}
        draggable
        tabIndex={0}
        role="button"
        aria-pressed={selected}
        aria-label={`${node.id} (${typeLabel(node.type)})${node.bypass ? ', bypassed' : ''}`}
        title={summary}
        onDragStart={(e) => {
          e.dataTransfer?.setData(DT_NODE, node.id);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
          setDragging({ node: node.id });
        }}
        onDragEnd={() => setDragging(null)}
        onClick={() => app.set({ selected: node.id })}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            app.set({ selected: node.id });
          } else if (e.key === 'Delete') {
            e.preventDefault();
            const rig = currentRig();
            if (rig) edit(removeEdit(rig, node.id));
          } else if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
            e.preventDefault();
            const rig = currentRig();
            const p = rig && find(rig.chain, node.id);
            if (!p) return;
            const to = e.key === 'ArrowLeft' ? p.index - 1 : p.index + 2;
            if (to < 0 || to > p.chain.length) return;
            edit(moveEdit(rig, node.id, movePosition(rig, node.id, p.chain, to, p.split, p.branch)));
          }
        }}
      >
        <div class="block-head">
          <button
            class={`bypass-btn ${node.bypass ? '' : 'on'}`}
            title={node.bypass ? 'bypassed: click to enable' : 'on: click to bypass'}
            aria-label={`${node.bypass ? 'enable' : 'bypass'} ${node.id}`}
            data-testid={`bypass-${node.id}`}
            onClick={(e) => {
              e.stopPropagation();
              const rig = currentRig();
              if (rig) edit(setBypassEdit(rig, node.id, !node.bypass));
            }}
          />
          <span class="block-id">{node.id}</span>
        </div>
        <div class="block-type">{typeLabel(node.type)}</div>
        <BlockMeter id={node.id} />
      </div>
      <div
        class={`parallel-zone ${over ? 'over' : ''}`}
        data-testid={`parallel-${node.id}`}
        title="drop here to run in parallel with this block"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const rig = currentRig();
          if (rig) dropParallel(rig, node.id, e);
        }}
      >
        ∥ parallel
      </div>
    </div>
  );
}
class Block extends Component<BlockProps> {
  shouldComponentUpdate(b: BlockProps) {
    const a = this.props;
    return !(a.node.id === b.node.id && a.node.type === b.node.type && a.node.bypass === b.node.bypass && a.selected === b.selected && a.summary === b.summary);
  }
  render(p: BlockProps) {
    return <BlockView {...p} />;
  }
}

/** A number typed in place: what is typed survives re-renders until Enter or leaving the field. */
function NumberField(p: { value: number; min: number; max: number; step: number; label: string; testid?: string; onCommit: (v: number) => void }) {
  const [text, setText] = useState<string | null>(null);
  const commit = () => {
    if (text === null) return;
    const v = Number(text);
    setText(null);
    if (text.trim() !== '' && isFinite(v) && v >= p.min && v <= p.max && v !== p.value) p.onCommit(v);
  };
  return (
    <input
      type="number"
      min={p.min}
      max={p.max}
      step={p.step}
      value={text ?? String(Number(p.value.toFixed(Math.max(0, -Math.floor(Math.log10(p.step))))))}
      aria-label={p.label}
      data-testid={p.testid}
      onInput={(e) => setText((e.target as HTMLInputElement).value)}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
      onBlur={commit}
    />
  );
}

function Lane({ rig, split, b }: { rig: Rig; split: RigSplit; b: number }) {
  const br = split.branches[b];
  return (
    <div class="lane" data-testid={`lane-${split.split}-${b}`} style={{ flexGrow: measure(br.chain).h }}>
      <div class="lane-mix">
        <label title="lane level (dB)">
          dB
          <NumberField
            value={br.level_db}
            min={-96}
            max={24}
            step={0.5}
            label={`${split.split} lane ${b + 1} level dB`}
            testid={`lane-level-${split.split}-${b}`}
            onCommit={(v) => edit(setBranchEdit(rig, split.split, b, v, br.pan))}
          />
        </label>
        <label title="lane pan (-1 left, 1 right)">
          pan
          <NumberField
            value={br.pan}
            min={-1}
            max={1}
            step={0.1}
            label={`${split.split} lane ${b + 1} pan`}
            testid={`lane-pan-${split.split}-${b}`}
            onCommit={(v) => edit(setBranchEdit(rig, split.split, b, br.level_db, v))}
          />
        </label>
      </div>
      <Row rig={rig} chain={br.chain} split={split.split} branch={b} />
    </div>
  );
}

function Split({ rig, split }: { rig: Rig; split: RigSplit }) {
  return (
    <div class="split" data-testid={`split-${split.split}`}>
      <div class="split-head">
        <span>{split.split}</span>
        <button
          class="icon"
          title="remove this split and what is in it"
          aria-label={`remove split ${split.split}`}
          onClick={() => edit(removeEdit(rig, split.split))}
        >
          ✕
        </button>
      </div>
      <div class="lanes">
        {split.branches.map((_, b) => (
          <Lane rig={rig} split={split} b={b} />
        ))}
      </div>
    </div>
  );
}

function Row({ rig, chain, split, branch }: { rig: Rig; chain: RigItem[]; split: string | null; branch: number }) {
  const out = [<Gap rig={rig} chain={chain} index={0} split={split} branch={branch} />];
  chain.forEach((it, i) => {
    out.push(
      isSplit(it) ? (
        <Split rig={rig} split={it} />
      ) : (
        <Block node={it} selected={app.value.selected === it.id} summary={app.value.types.get(it.type)?.summary} />
      ),
    );
    out.push(<Gap rig={rig} chain={chain} index={i + 1} split={split} branch={branch} />);
  });
  if (!chain.length && split) out.push(<div class="lane-empty">dry</div>);
  return <div class="row">{out}</div>;
}

export function Chain({ rig }: { rig: Rig }) {
  return (
    <div class="chain" data-testid="chain">
      <div class="io">IN</div>
      <Row rig={rig} chain={rig.chain} split={null} branch={0} />
      <div class="io">OUT</div>
    </div>
  );
}

export function Bin() {
  const [over, setOver] = useState(false);
  return (
    <div
      class={`bin ${over ? 'over' : ''}`}
      data-testid="bin"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const d = readDrop(e);
        setDragging(null);
        const rig = app.value.rig;
        if (rig && d?.node) edit(removeEdit(rig, d.node));
      }}
    >
      drop a block here to remove it
    </div>
  );
}

export function Palette() {
  const { types } = app.value;
  return (
    <div class="palette" aria-label="node types">
      <h3>Blocks</h3>
      <p class="hint">Tap to add after the selected block, or drag into the chain.</p>
      {[...types.values()].map((t) => (
        <div
          class="palette-item"
          draggable
          tabIndex={0}
          role="button"
          data-testid={`palette-${t.name}`}
          title={t.summary}
          onDragStart={(e) => {
            e.dataTransfer?.setData(DT_TYPE, t.name);
            if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
            setDragging({ type: t.name });
          }}
          onDragEnd={() => setDragging(null)}
          onClick={() => addFromPalette(t.name)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              addFromPalette(t.name);
            }
          }}
        >
          <span class="palette-name">{typeLabel(t.name)}</span>
          <span class="palette-sum">{t.summary.split(':')[0]}</span>
        </div>
      ))}
    </div>
  );
}

export { itemId };
