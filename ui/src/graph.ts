// graph.ts — the rig's graph as the engine reports it (pt_session_rig_json),
// laid out left to right with parallel branches as lanes, and the protocol
// positions ({"after"}, {"before"}, {"split", "branch", "index"}) that
// places in that layout stand for.

export type ParamValue = number | string | boolean;

export interface RigNode {
  id: string;
  type: string;
  bypass: boolean;
  params: { [name: string]: ParamValue };
  assets?: { [name: string]: string };
  /* an LV2 or Faust node: its own parameter table (the type's is empty) */
  uri?: string;
  param_defs?: import('./taper').ParamDef[];
  readout_defs?: { name: string; unit: string }[];
  /** the engine's front panel for this instance: parameters it does not have (a circuit's
   *  unused controls) and the names its file gives the others */
  hide?: string[];
  labels?: { [name: string]: string };
}
export interface RigBranch {
  level_db: number;
  pan: number;
  chain: RigItem[];
}
export interface RigSplit {
  split: string;
  branches: RigBranch[];
}
export type RigItem = RigNode | RigSplit;

export interface Rig {
  name: string;
  author?: string;
  notes?: string;
  path?: string;
  tags?: string[];
  tempo_bpm?: number;
  input_trim_db?: number;
  output_level_db?: number;
  chain: RigItem[];
  scenes: string[];
}

export interface Position {
  after?: string;
  before?: string;
  split?: string;
  branch?: number;
  index?: number;
}

export const isSplit = (it: RigItem): it is RigSplit => (it as RigSplit).split !== undefined;
export const itemId = (it: RigItem): string => (isSplit(it) ? it.split : it.id);

/** Where an item sits: its chain, its index there, and the split/branch holding that chain. */
export interface Place {
  chain: RigItem[];
  index: number;
  split: string | null;
  branch: number;
}

export function find(chain: RigItem[], id: string, split: string | null = null, branch = 0): Place | null {
  for (let i = 0; i < chain.length; i++) {
    const it = chain[i];
    if (itemId(it) === id) return { chain, index: i, split, branch };
    if (isSplit(it))
      for (let b = 0; b < it.branches.length; b++) {
        const p = find(it.branches[b].chain, id, it.split, b);
        if (p) return p;
      }
  }
  return null;
}

export function findNode(rig: Rig | null, id: string): RigNode | null {
  if (!rig) return null;
  const p = find(rig.chain, id);
  const it = p ? p.chain[p.index] : null;
  return it && !isSplit(it) ? it : null;
}

/** Every node, in signal order (depth first). */
export function nodes(chain: RigItem[], out: RigNode[] = []): RigNode[] {
  for (const it of chain) {
    if (isSplit(it)) for (const b of it.branches) nodes(b.chain, out);
    else out.push(it);
  }
  return out;
}

export function allIds(chain: RigItem[], out = new Set<string>()): Set<string> {
  for (const it of chain) {
    out.add(itemId(it));
    if (isSplit(it)) for (const b of it.branches) allIds(b.chain, out);
  }
  return out;
}

/** A fresh id for a new node of `type`: the type name, then type2, type3, ... */
export function freshId(chain: RigItem[], base: string): string {
  const used = allIds(chain);
  const clean = base.replace(/[^A-Za-z0-9_-]/g, '_') || 'node';
  if (!used.has(clean)) return clean;
  for (let n = 2; ; n++) if (!used.has(`${clean}${n}`)) return `${clean}${n}`;
}

/** The position that puts an item at index `index` of the chain at `place`
 * (as the item is NOT in that chain). */
export function positionAt(chain: RigItem[], index: number, split: string | null, branch: number): Position {
  if (split !== null) return { split, branch, index };
  if (index < chain.length) return { before: itemId(chain[index]) };
  if (chain.length) return { after: itemId(chain[chain.length - 1]) };
  return {};
}

/** The position an item has now, valid once it has been taken out (for undo). */
export function positionOf(rig: Rig, id: string): Position | null {
  const p = find(rig.chain, id);
  if (!p) return null;
  const rest = p.chain.filter((_, i) => i !== p.index);
  return positionAt(rest, p.index, p.split, p.branch);
}

/** The position for moving `id` into a gap: index `index` of the chain at
 * split/branch (null: main chain), counted in the chain as it is now. */
export function movePosition(rig: Rig, id: string, target: RigItem[], index: number, split: string | null, branch: number): Position {
  const from = find(rig.chain, id);
  let idx = index;
  let chain = target;
  if (from && from.chain === target) {
    if (from.index < index) idx -= 1;
    chain = target.filter((_, i) => i !== from.index);
  }
  return positionAt(chain, idx, split, branch);
}

/** Does a move change anything? (dropping a block on either side of itself does not) */
export function moveIsNoop(rig: Rig, id: string, target: RigItem[], index: number): boolean {
  const from = find(rig.chain, id);
  return !!from && from.chain === target && (index === from.index || index === from.index + 1);
}

// ---------------------------------------------------------------- layout

export interface Box {
  kind: 'node' | 'split';
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  depth: number;
}

export interface Layout {
  w: number;
  h: number;
  boxes: Box[];
}

export const BLOCK_W = 1;
export const BLOCK_H = 1;

/** Size of a chain in block units: width = blocks in a row, height = lanes. */
export function measure(chain: RigItem[]): { w: number; h: number } {
  let w = 0;
  let h = 1;
  for (const it of chain) {
    if (isSplit(it)) {
      let bw = 0;
      let bh = 0;
      for (const b of it.branches) {
        const m = measure(b.chain);
        bw = Math.max(bw, m.w);
        bh += m.h;
      }
      w += Math.max(bw, 1);
      h = Math.max(h, Math.max(bh, 1));
    } else {
      w += BLOCK_W;
    }
  }
  return { w, h };
}

/** Place every block on a grid: x in block columns, y in lanes. A split is a
 * box spanning its lanes; its branches are stacked in it. */
export function layout(chain: RigItem[], x0 = 0, y0 = 0, depth = 0, out: Box[] = []): Layout {
  let x = x0;
  const m = measure(chain);
  for (const it of chain) {
    if (isSplit(it)) {
      const sm = measure([it]);
      out.push({ kind: 'split', id: it.split, x, y: y0, w: sm.w, h: sm.h, depth });
      let y = y0;
      for (const b of it.branches) {
        layout(b.chain, x, y, depth + 1, out);
        y += measure(b.chain).h;
      }
      x += sm.w;
    } else {
      out.push({ kind: 'node', id: it.id, x, y: y0, w: BLOCK_W, h: BLOCK_H, depth });
      x += BLOCK_W;
    }
  }
  return { w: m.w, h: m.h, boxes: out };
}

/** Parameter values that differ between two rigs with the same nodes, for A/B. */
export function paramDiff(from: Rig, to: Rig): { node: string; param: string; value: ParamValue }[] {
  const out: { node: string; param: string; value: ParamValue }[] = [];
  const fromNodes = new Map(nodes(from.chain).map((n) => [n.id, n]));
  for (const n of nodes(to.chain)) {
    const f = fromNodes.get(n.id);
    if (!f || f.type !== n.type) continue;
    for (const [k, v] of Object.entries(n.params)) if (f.params[k] !== v) out.push({ node: n.id, param: k, value: v });
  }
  return out;
}

export function bypassDiff(from: Rig, to: Rig): { node: string; bypass: boolean }[] {
  const fromNodes = new Map(nodes(from.chain).map((n) => [n.id, n]));
  return nodes(to.chain)
    .filter((n) => fromNodes.has(n.id) && fromNodes.get(n.id)!.bypass !== n.bypass)
    .map((n) => ({ node: n.id, bypass: n.bypass }));
}
