// undo.ts — every edit is a list of protocol commands and the list that
// undoes it, computed from the rig as it was before the edit. Knob drags
// on one parameter coalesce into one step.

import type { Fields } from './protocol';
import {
  type Position,
  type Rig,
  type RigItem,
  type ParamValue,
  find,
  findNode,
  isSplit,
  itemId,
  positionOf,
} from './graph';

export interface Cmd extends Fields {
  cmd: string;
}

/** add_node; an LV2 node's plugin travels with its files as `uri` (the
 * palette asks for both at once) and goes out as the command's own field. */
function addNodeCmd(type: string, node: string, position: Fields['position'], assets?: { [name: string]: string }): Cmd {
  const files = assets ? { ...assets } : undefined;
  const uri = files?.uri;
  if (files && uri !== undefined) delete files.uri;
  const a = files && Object.keys(files).length ? files : undefined;
  return uri !== undefined ? { cmd: 'add_node', type, node, position, assets: a, uri } : { cmd: 'add_node', type, node, position, assets: a };
}

export interface Edit {
  label: string;
  forward: Cmd[];
  inverse: Cmd[];
  /** Edits with the same key close together in time merge (knob drags). */
  key?: string;
  time?: number;
}

export class History {
  private done: Edit[] = [];
  private undone: Edit[] = [];
  constructor(
    private limit = 200,
    private mergeMs = 1000,
  ) {}

  push(e: Edit): void {
    const top = this.done[this.done.length - 1];
    const t = e.time ?? Date.now();
    if (top && e.key && top.key === e.key && this.undone.length === 0 && t - (top.time ?? 0) <= this.mergeMs) {
      top.forward = e.forward;
      top.time = t;
      top.label = e.label;
    } else {
      this.done.push({ ...e, time: t });
      if (this.done.length > this.limit) this.done.shift();
    }
    this.undone = [];
  }
  /** The edit to undo (its inverse is to be run), or null. */
  undo(): Edit | null {
    const e = this.done.pop();
    if (!e) return null;
    this.undone.push(e);
    return e;
  }
  /** The edit to redo (its forward is to be run), or null. */
  redo(): Edit | null {
    const e = this.undone.pop();
    if (!e) return null;
    this.done.push({ ...e, key: undefined });
    return e;
  }
  get canUndo() {
    return this.done.length > 0;
  }
  get canRedo() {
    return this.undone.length > 0;
  }
  get undoLabel() {
    return this.done[this.done.length - 1]?.label ?? '';
  }
  get redoLabel() {
    return this.undone[this.undone.length - 1]?.label ?? '';
  }
  clear(): void {
    this.done = [];
    this.undone = [];
  }
}

// ---------------------------------------------------------------- edits

const pos = (p: Position | null): Fields | undefined => (p && Object.keys(p).length ? { ...p } : undefined);

export function setParamEdit(rig: Rig, node: string, param: string, value: ParamValue): Edit {
  const n = findNode(rig, node);
  const old = n?.params[param];
  return {
    label: `${node}.${param}`,
    key: `param:${node}:${param}`,
    forward: [{ cmd: 'set_param', node, param, value }],
    inverse: old === undefined ? [] : [{ cmd: 'set_param', node, param, value: old }],
  };
}

export function setBypassEdit(rig: Rig, node: string, bypass: boolean): Edit {
  const n = findNode(rig, node);
  return {
    label: `${bypass ? 'bypass' : 'enable'} ${node}`,
    forward: [{ cmd: 'set_bypass', node, bypass }],
    inverse: [{ cmd: 'set_bypass', node, bypass: n ? n.bypass : !bypass }],
  };
}

export function setBranchEdit(rig: Rig, split: string, branch: number, level_db: number, pan: number): Edit {
  const p = find(rig.chain, split);
  const it = p?.chain[p.index];
  const old = it && isSplit(it) ? it.branches[branch] : undefined;
  return {
    label: `${split} lane ${branch + 1}`,
    key: `branch:${split}:${branch}`,
    forward: [{ cmd: 'set_branch', split, branch, level_db, pan }],
    inverse: old ? [{ cmd: 'set_branch', split, branch, level_db: old.level_db, pan: old.pan }] : [],
  };
}

/** A new node; `assets` for types that need a file (cab, nam, circuit). */
export function addNodeEdit(type: string, id: string, where: Position | null, assets?: { [name: string]: string }): Edit {
  return {
    label: `add ${id}`,
    forward: [addNodeCmd(type, id, pos(where), assets)],
    inverse: [{ cmd: 'remove', node: id }],
  };
}

/** Commands that build an item again (a node with its values, a split with its lanes). */
export function recreate(it: RigItem, where: Position | null): Cmd[] {
  if (isSplit(it)) {
    const out: Cmd[] = [{ cmd: 'add_split', split: it.split, branches: it.branches.length, position: pos(where) }];
    it.branches.forEach((b, bi) => {
      out.push({ cmd: 'set_branch', split: it.split, branch: bi, level_db: b.level_db, pan: b.pan });
      b.chain.forEach((c, ci) => out.push(...recreate(c, { split: it.split, branch: bi, index: ci })));
    });
    return out;
  }
  // a node's files go with add_node: types whose file is required cannot exist without it
  const assets = it.assets && Object.keys(it.assets).length ? { ...it.assets } : undefined;
  const out: Cmd[] = [addNodeCmd(it.type, it.id, pos(where), it.uri !== undefined ? { ...assets, uri: it.uri } : assets)];
  for (const [param, value] of Object.entries(it.params)) out.push({ cmd: 'set_param', node: it.id, param, value });
  if (it.bypass) out.push({ cmd: 'set_bypass', node: it.id, bypass: true });
  return out;
}

export function removeEdit(rig: Rig, id: string): Edit {
  const p = find(rig.chain, id);
  const it = p?.chain[p.index];
  return {
    label: `remove ${id}`,
    forward: [{ cmd: 'remove', node: id }],
    inverse: it ? recreate(it, positionOf(rig, id)) : [],
  };
}

export function moveEdit(rig: Rig, id: string, where: Position): Edit {
  const back = positionOf(rig, id);
  return {
    label: `move ${id}`,
    forward: [{ cmd: 'move', node: id, position: pos(where) }],
    inverse: back ? [{ cmd: 'move', node: id, position: pos(back) ?? {} }] : [],
  };
}

/** Put `target` and a dragged block (an existing node, or a new one of a
 * type) side by side in a new two-lane split where `target` was. */
export function parallelEdit(
  rig: Rig,
  target: string,
  splitId: string,
  dragged: { move: string } | { type: string; id: string; assets?: { [name: string]: string } },
): Edit {
  const tp = find(rig.chain, target);
  const forward: Cmd[] = [
    { cmd: 'add_split', split: splitId, branches: 2, position: { before: target } },
    { cmd: 'move', node: target, position: { split: splitId, branch: 0, index: 0 } },
  ];
  const inverse: Cmd[] = [{ cmd: 'move', node: target, position: { before: splitId } }];
  if ('move' in dragged) {
    forward.push({ cmd: 'move', node: dragged.move, position: { split: splitId, branch: 1, index: 0 } });
    const back = positionOf(rig, dragged.move);
    if (back) inverse.push({ cmd: 'move', node: dragged.move, position: pos(back) ?? {} });
  } else {
    const assets = dragged.assets && Object.keys(dragged.assets).length ? dragged.assets : undefined;
    forward.push(addNodeCmd(dragged.type, dragged.id, { split: splitId, branch: 1, index: 0 }, assets));
  }
  inverse.push({ cmd: 'remove', node: splitId });
  return {
    label: `parallel ${target}`,
    forward,
    inverse: tp ? inverse : [],
  };
}

/** A dragged block (an existing node, or a new one of a type) in a new lane
 * of an existing split, after its last (add_branch, then the block into
 * it); undone by moving the block back and removing that lane. */
export function laneEdit(
  rig: Rig,
  split: string,
  dragged: { move: string } | { type: string; id: string; assets?: { [name: string]: string } },
): Edit {
  const sp = find(rig.chain, split);
  const it = sp?.chain[sp.index];
  const n = it && isSplit(it) ? it.branches.length : 0;
  const into = { split, branch: n, index: 0 };
  const forward: Cmd[] = [{ cmd: 'add_branch', split }];
  const inverse: Cmd[] = [];
  if ('move' in dragged) {
    forward.push({ cmd: 'move', node: dragged.move, position: into });
    const back = positionOf(rig, dragged.move);
    if (back) inverse.push({ cmd: 'move', node: dragged.move, position: pos(back) ?? {} });
  } else {
    const assets = dragged.assets && Object.keys(dragged.assets).length ? dragged.assets : undefined;
    forward.push(addNodeCmd(dragged.type, dragged.id, into, assets));
  }
  inverse.push({ cmd: 'remove_branch', split, branch: n });
  return { label: `lane ${n + 1} of ${split}`, forward, inverse: n ? inverse : [] };
}

/** The rig's metadata (set_rig_info): only the fields given change; the
 * inverse gives them their old values. */
export interface RigInfo {
  name?: string;
  author?: string;
  notes?: string;
  tags?: string[];
}

export function rigInfoEdit(rig: Rig, info: RigInfo): Edit {
  const forward: Cmd = { cmd: 'set_rig_info' };
  const inverse: Cmd = { cmd: 'set_rig_info' };
  for (const k of ['name', 'author', 'notes', 'tags'] as const) {
    if (info[k] === undefined) continue;
    forward[k] = k === 'tags' ? [...(info.tags ?? [])] : info[k];
    inverse[k] = k === 'tags' ? [...(rig.tags ?? [])] : (rig[k] ?? '');
  }
  return { label: 'rig info', forward: [forward], inverse: [inverse] };
}

export function tempoEdit(oldBpm: number, bpm: number): Edit {
  return {
    label: `tempo ${bpm}`,
    key: 'tempo',
    forward: [{ cmd: 'set_tempo', bpm }],
    inverse: [{ cmd: 'set_tempo', bpm: oldBpm }],
  };
}

export function sceneRenameEdit(from: string, to: string): Edit {
  return {
    label: `rename scene ${from}`,
    forward: [{ cmd: 'scene_rename', from, to }],
    inverse: [{ cmd: 'scene_rename', from: to, to: from }],
  };
}

export { itemId };
