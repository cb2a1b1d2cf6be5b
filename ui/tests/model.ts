// A small model of the engine's graph edits, written from the semantics of
// pt_session_add_node/add_split/remove/move/set_*/add_branch/remove_branch (src/control/session.c:
// resolve_place, insert, extract), to check edits and their undo lists.
import { type Position, type Rig, type RigItem, find, isSplit } from '../src/graph';
import type { Cmd } from '../src/undo';

function resolve(rig: Rig, w: Position | undefined): { chain: RigItem[]; index: number } {
  if (!w || (!w.after && !w.before && !w.split)) return { chain: rig.chain, index: rig.chain.length };
  const ref = (w.after ?? w.before ?? w.split)!;
  const p = find(rig.chain, ref);
  if (!p) throw new Error(`no node or split '${ref}' in the rig`);
  if (w.after || w.before) return { chain: p.chain, index: p.index + (w.after ? 1 : 0) };
  const it = p.chain[p.index];
  if (!isSplit(it)) throw new Error(`'${ref}' is not a split`);
  const br = it.branches[w.branch ?? 0];
  if (!br) throw new Error(`split '${ref}' has no branch ${w.branch}`);
  const idx = w.index === undefined || w.index < 0 ? br.chain.length : w.index;
  if (idx > br.chain.length) throw new Error('index out of range');
  return { chain: br.chain, index: idx };
}

export function apply(rig: Rig, c: Cmd, defaults: Record<string, Record<string, number | string | boolean>> = {}): void {
  const pos = c.position as Position | undefined;
  switch (c.cmd) {
    case 'add_node': {
      if (find(rig.chain, c.node as string)) throw new Error('id taken');
      const r = resolve(rig, pos);
      const assets = c.assets as Record<string, string> | undefined;
      r.chain.splice(r.index, 0, { id: c.node as string, type: c.type as string, bypass: false, params: { ...(defaults[c.type as string] ?? {}) }, ...(assets ? { assets: { ...assets } } : {}) });
      break;
    }
    case 'add_split': {
      if (find(rig.chain, c.split as string)) throw new Error('id taken');
      const r = resolve(rig, pos);
      r.chain.splice(r.index, 0, { split: c.split as string, branches: Array.from({ length: c.branches as number }, () => ({ level_db: 0, pan: 0, chain: [] })) });
      break;
    }
    case 'remove': {
      const p = find(rig.chain, c.node as string);
      if (!p) throw new Error(`no '${c.node}'`);
      p.chain.splice(p.index, 1);
      break;
    }
    case 'move': {
      const p = find(rig.chain, c.node as string);
      if (!p) throw new Error(`no '${c.node}'`);
      const [it] = p.chain.splice(p.index, 1);
      const r = resolve(rig, pos);
      r.chain.splice(r.index, 0, it);
      break;
    }
    case 'set_param': {
      const p = find(rig.chain, c.node as string);
      const it = p && p.chain[p.index];
      if (!it || isSplit(it)) throw new Error('no node');
      it.params[c.param as string] = c.value as number;
      break;
    }
    case 'set_bypass': {
      const p = find(rig.chain, c.node as string);
      const it = p && p.chain[p.index];
      if (!it || isSplit(it)) throw new Error('no node');
      it.bypass = c.bypass as boolean;
      break;
    }
    case 'set_branch': {
      const p = find(rig.chain, c.split as string);
      const it = p && p.chain[p.index];
      if (!it || !isSplit(it)) throw new Error('no split');
      it.branches[c.branch as number].level_db = c.level_db as number;
      it.branches[c.branch as number].pan = c.pan as number;
      break;
    }
    case 'add_branch': {
      const p = find(rig.chain, c.split as string);
      const it = p && p.chain[p.index];
      if (!it || !isSplit(it)) throw new Error('no split');
      if (it.branches.length >= 16) throw new Error('at most 16');
      const at = c.branch === undefined || (c.branch as number) < 0 ? it.branches.length : (c.branch as number);
      if (at > it.branches.length) throw new Error('branch out of range');
      it.branches.splice(at, 0, { level_db: (c.level_db as number) ?? 0, pan: (c.pan as number) ?? 0, chain: [] });
      break;
    }
    case 'remove_branch': {
      const p = find(rig.chain, c.split as string);
      const it = p && p.chain[p.index];
      if (!it || !isSplit(it)) throw new Error('no split');
      if (!it.branches[c.branch as number]) throw new Error('no branch');
      if (it.branches.length <= 1) throw new Error('only one branch');
      it.branches.splice(c.branch as number, 1);
      break;
    }
    case 'set_rig_info': {
      if (c.name !== undefined) {
        if (!c.name) throw new Error('a rig needs a name');
        rig.name = c.name as string;
      }
      if (c.author !== undefined) rig.author = c.author as string;
      if (c.notes !== undefined) rig.notes = c.notes as string;
      if (c.tags !== undefined) rig.tags = [...(c.tags as string[])];
      break;
    }
    case 'scene_rename': {
      const i = rig.scenes.indexOf(c.from as string);
      if (i < 0) throw new Error('no scene');
      rig.scenes[i] = c.to as string;
      break;
    }
    default:
      throw new Error(`unknown command '${c.cmd}'`);
  }
}

export function run(rig: Rig, cmds: Cmd[]): Rig {
  const r = JSON.parse(JSON.stringify(rig)) as Rig;
  for (const c of cmds) apply(r, c);
  return r;
}
