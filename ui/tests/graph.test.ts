// Graph layout, drop positions and undo: every edit, applied to a model of
// the engine's graph edits (tests/model.ts, from session.c's semantics) and
// then undone, must give back the rig it started from.
import { describe, expect, it } from 'vitest';
import { type Rig, find, freshId, layout, measure, moveIsNoop, movePosition, positionOf, paramDiff, nodes } from '../src/graph';
import { History, tempoEdit, addNodeEdit, laneEdit, rigInfoEdit, moveEdit, parallelEdit, removeEdit, setBranchEdit, setBypassEdit, setParamEdit, sceneRenameEdit, type Edit } from '../src/undo';
import { run } from './model';

const n = (id: string, type = 'eq', params: Record<string, number | string> = {}) => ({ id, type, bypass: false, params });
function rig(): Rig {
  return {
    name: 'T',
    scenes: ['clean', 'lead'],
    chain: [
      n('gate', 'gate', { threshold_db: -60 }),
      n('drive', 'drive', { drive_db: 14, oversample: '4x' }),
      {
        split: 'amps',
        branches: [
          { level_db: -1, pan: -0.5, chain: [n('a1', 'drive'), n('a2')] },
          { level_db: -3, pan: 0.5, chain: [] },
        ],
      },
      n('room', 'reverb'),
      { id: 'cab', type: 'cab', bypass: true, params: { level_db: -4 }, assets: { ir: 'irs/4x12.wav' } },
    ],
  };
}

function roundTrip(r: Rig, e: Edit) {
  const after = run(r, e.forward);
  const back = run(after, e.inverse);
  expect(back).toEqual(r);
  // redo gives the same result again
  expect(run(back, e.forward)).toEqual(after);
  return after;
}

describe('layout', () => {
  it('measures columns and lanes: a split is as wide as its widest lane and as tall as its lanes', () => {
    const r = rig();
    expect(measure(r.chain)).toEqual({ w: 6, h: 2 });
    const L = layout(r.chain);
    const box = (id: string) => L.boxes.find((b) => b.id === id)!;
    expect(box('gate')).toMatchObject({ x: 0, y: 0 });
    expect(box('amps')).toMatchObject({ kind: 'split', x: 2, y: 0, w: 2, h: 2 });
    expect(box('a1')).toMatchObject({ x: 2, y: 0, depth: 1 });
    expect(box('a2')).toMatchObject({ x: 3, y: 0 });
    expect(box('room')).toMatchObject({ x: 4, y: 0 });
  });
  it('an empty lane still takes a row; nested splits stack their lanes', () => {
    const r: Rig = { name: 'x', scenes: [], chain: [{ split: 's', branches: [{ level_db: 0, pan: 0, chain: [{ split: 't', branches: [{ level_db: 0, pan: 0, chain: [n('p')] }, { level_db: 0, pan: 0, chain: [n('q')] }] }] }, { level_db: 0, pan: 0, chain: [] }] }] };
    expect(measure(r.chain)).toEqual({ w: 1, h: 3 });
    const L = layout(r.chain);
    expect(L.boxes.find((b) => b.id === 'q')).toMatchObject({ x: 0, y: 1, depth: 2 });
  });
});

describe('positions', () => {
  it('fresh ids do not collide', () => {
    const r = rig();
    expect(freshId(r.chain, 'drive')).toBe('drive2');
    expect(freshId(r.chain, 'tuner')).toBe('tuner');
  });
  it('positionOf names a neighbour that stays, or the split lane', () => {
    const r = rig();
    expect(positionOf(r, 'gate')).toEqual({ before: 'drive' });
    expect(positionOf(r, 'room')).toEqual({ before: 'cab' });
    expect(positionOf(r, 'cab')).toEqual({ after: 'room' });
    expect(positionOf(r, 'a2')).toEqual({ split: 'amps', branch: 0, index: 1 });
  });
  it('dropping a block beside itself is no move; later gaps count without it', () => {
    const r = rig();
    expect(moveIsNoop(r, 'drive', r.chain, 1)).toBe(true);
    expect(moveIsNoop(r, 'drive', r.chain, 2)).toBe(true);
    expect(movePosition(r, 'gate', r.chain, 3, null, 0)).toEqual({ before: 'room' });
    const after = run(r, [{ cmd: 'move', node: 'gate', position: movePosition(r, 'gate', r.chain, 3, null, 0) }]);
    expect(after.chain.map((i) => ('id' in i ? i.id : i.split))).toEqual(['drive', 'amps', 'gate', 'room', 'cab']);
  });
});

describe('undo', () => {
  it('parameter, bypass, lane and scene edits undo to the old values', () => {
    const r = rig();
    expect(roundTrip(r, setParamEdit(r, 'drive', 'drive_db', 20)).chain[1]).toMatchObject({ params: { drive_db: 20 } });
    roundTrip(r, setParamEdit(r, 'drive', 'oversample', '8x'));
    roundTrip(r, setBypassEdit(r, 'gate', true));
    roundTrip(r, setBranchEdit(r, 'amps', 1, -6, 0));
    roundTrip(r, sceneRenameEdit('lead', 'solo'));
    const t = tempoEdit(120, 96);
    expect(t.forward).toEqual([{ cmd: 'set_tempo', bpm: 96 }]);
    expect(t.inverse).toEqual([{ cmd: 'set_tempo', bpm: 120 }]);
  });
  it('adding, moving and removing nodes undo exactly, in and out of lanes', () => {
    const r = rig();
    roundTrip(r, addNodeEdit('delay', 'delay', { after: 'drive' }));
    roundTrip(r, moveEdit(r, 'gate', { split: 'amps', branch: 1, index: 0 }));
    roundTrip(r, moveEdit(r, 'a2', { after: 'room' }));
    roundTrip(r, moveEdit(r, 'room', { before: 'gate' }));
    roundTrip(r, removeEdit(r, 'drive'));
    roundTrip(r, removeEdit(r, 'a1'));
    roundTrip(r, removeEdit(r, 'room'));
    // a node with a file comes back with it (add_node carries its assets), its values and its bypass
    const e = removeEdit(r, 'cab');
    expect(e.inverse[0]).toMatchObject({ cmd: 'add_node', type: 'cab', node: 'cab', assets: { ir: 'irs/4x12.wav' }, position: { after: 'room' } });
    roundTrip(r, e);
    // a whole split with its lanes, levels and nodes comes back
    roundTrip(r, removeEdit(r, 'amps'));
  });
  it('an LV2 node goes out with its plugin as add_node uri, and comes back with it on undo', () => {
    const e = addNodeEdit('lv2', 'comp', null, { uri: 'http://gareus.org/oss/lv2/darc#mono' });
    expect(e.forward[0]).toEqual({ cmd: 'add_node', type: 'lv2', node: 'comp', position: undefined, assets: undefined, uri: 'http://gareus.org/oss/lv2/darc#mono' });
    const r = rig();
    r.chain.push({ id: 'comp', type: 'lv2', bypass: false, params: { threshold: -20 }, uri: 'urn:x' });
    const back = removeEdit(r, 'comp').inverse;
    expect(back[0]).toMatchObject({ cmd: 'add_node', type: 'lv2', node: 'comp', uri: 'urn:x' });
    expect(back[0].assets).toBeUndefined();
    expect(back[1]).toEqual({ cmd: 'set_param', node: 'comp', param: 'threshold', value: -20 });
  });
  it('putting blocks in parallel makes a two-lane split and undoes to the old chain', () => {
    const r = rig();
    for (const [target, moved] of [['room', 'gate'], ['drive', 'gate'], ['gate', 'drive'], ['gate', 'room'], ['a1', 'room'], ['drive', 'a2']]) {
      const after = roundTrip(r, parallelEdit(r, target, 'split', { move: moved }));
      const p = find(after.chain, 'split')!;
      const s = p.chain[p.index] as { branches: { chain: { id: string }[] }[] };
      expect(s.branches.map((b) => b.chain.map((x) => x.id))).toEqual([[target], [moved]]);
    }
    const after = roundTrip(r, parallelEdit(r, 'drive', 'split', { type: 'delay', id: 'delay' }));
    expect(nodes(after.chain).map((x) => x.id)).toEqual(['gate', 'drive', 'delay', 'a1', 'a2', 'room', 'cab']);
  });
  it('a block beside one that is alone in a lane is a new lane of that split (add_branch), undone by remove_branch', () => {
    const r = rig();
    const lanes = (x: Rig) => {
      const p = find(x.chain, 'amps')!;
      return (p.chain[p.index] as { branches: { chain: { id: string }[] }[] }).branches.map((b) => b.chain.map((n) => n.id));
    };
    const before = lanes(r);
    for (const moved of ['gate', 'room', 'cab', 'a2']) {
      const after = roundTrip(r, laneEdit(r, 'amps', { move: moved }));
      expect(lanes(after).length).toBe(before.length + 1);
      expect(lanes(after)[before.length]).toEqual([moved]);
    }
    const added = roundTrip(r, laneEdit(r, 'amps', { type: 'delay', id: 'delay' }));
    expect(lanes(added)).toEqual([...before, ['delay']]);
    const inv = laneEdit(r, 'amps', { move: 'gate' }).inverse;
    expect(inv[inv.length - 1]).toEqual({ cmd: 'remove_branch', split: 'amps', branch: before.length });
  });
  it('rig info: only the fields given change, and undo gives the old ones back', () => {
    const r = { ...rig(), author: 'Jane', tags: ['crunch'] };
    const after = roundTrip(r, rigInfoEdit(r, { name: 'New', tags: ['a', 'b'] }));
    expect([after.name, after.author, after.tags]).toEqual(['New', 'Jane', ['a', 'b']]);
    const e = rigInfoEdit(r, { author: 'Joe', notes: 'n' });
    expect(e.forward[0]).toEqual({ cmd: 'set_rig_info', author: 'Joe', notes: 'n' });
    expect(e.inverse[0]).toEqual({ cmd: 'set_rig_info', author: 'Jane', notes: '' });
  });
  it('history: knob drags on one parameter merge into one step; redo is cleared by a new edit', () => {
    const h = new History(200, 1000);
    const r = rig();
    h.push({ ...setParamEdit(r, 'drive', 'drive_db', 15), time: 0 });
    h.push({ ...setParamEdit({ ...r }, 'drive', 'drive_db', 16), time: 300 });
    h.push({ ...setParamEdit(r, 'drive', 'drive_db', 17), time: 600 });
    const e = h.undo()!;
    expect(h.canUndo).toBe(false);
    expect(e.forward[0].value).toBe(17);
    expect(e.inverse[0].value).toBe(14);
    expect(h.redo()!.forward[0].value).toBe(17);
    h.undo();
    h.push({ ...setBypassEdit(r, 'gate', true), time: 5000 });
    expect(h.canRedo).toBe(false);
    // far apart in time: two steps
    h.push({ ...setParamEdit(r, 'gate', 'threshold_db', -50), time: 10000 });
    h.push({ ...setParamEdit(r, 'gate', 'threshold_db', -40), time: 12000 });
    expect(h.undo()!.forward[0].value).toBe(-40);
    expect(h.undo()!.forward[0].value).toBe(-50);
  });
  it('A/B: the differences between two states are the parameters that changed', () => {
    const a = rig();
    const b = run(a, [{ cmd: 'set_param', node: 'drive', param: 'drive_db', value: 3 }, { cmd: 'set_param', node: 'a2', param: 'gain_db', value: 2 }]);
    expect(paramDiff(a, b)).toEqual([
      { node: 'drive', param: 'drive_db', value: 3 },
      { node: 'a2', param: 'gain_db', value: 2 },
    ]);
  });
});
