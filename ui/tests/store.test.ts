// store.test.ts — the page keeps its own latest values for a moment against
// state events that were built before the engine took them.
import { describe, expect, it } from 'vitest';
import { keepLocalEdits, noteLocalEdit } from '../src/store';
import type { Rig } from '../src/graph';

function rig(gain: number): Rig {
  return {
    name: 'r',
    path: 'r.yaml',
    chain: [{ id: 'mids', type: 'eq', params: { gain_db: gain } }],
  } as unknown as Rig;
}
const gainOf = (r: Rig) => (r.chain[0] as unknown as { params: { gain_db: number } }).params.gain_db;

describe('local edits against late state events', () => {
  it('a state event older than our last set_param does not move the knob back', () => {
    noteLocalEdit('mids', 'gain_db', 12, 1000);
    const late = rig(7.2); // built by the engine between two of our set_params
    keepLocalEdits(late, 1100);
    expect(gainOf(late)).toBe(12);
  });
  it('once the engine agrees, the engine is followed again', () => {
    noteLocalEdit('mids', 'gain_db', 12, 1000);
    keepLocalEdits(rig(12), 1050); // agrees: the hold ends
    const other = rig(3); // another tab changed it afterwards
    keepLocalEdits(other, 1060);
    expect(gainOf(other)).toBe(3);
  });
  it('after the hold time the engine wins even when it disagrees', () => {
    noteLocalEdit('mids', 'gain_db', 12, 1000);
    const r = rig(5);
    keepLocalEdits(r, 1000 + 401);
    expect(gainOf(r)).toBe(5);
  });
});
