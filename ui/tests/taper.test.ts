// Knob mapping: checked against closed forms (a log taper's midpoint is the
// geometric mean of its ends; a linear one's is the arithmetic mean).
import { describe, expect, it } from 'vitest';
import { drag, format, metaEntry, fromNorm, parse, step, toNorm, valueOf, wireValue, type ParamDef } from '../src/taper';

const freq: ParamDef = { name: 'freq_hz', unit: 'Hz', min: 20, max: 20000, default: 1000, taper: 'log' };
const gain: ParamDef = { name: 'gain_db', unit: 'dB', min: -24, max: 24, default: 0, taper: 'linear' };
const shape: ParamDef = { name: 'shape', unit: '', min: 0, max: 6, default: 4, taper: 'enum', choices: ['lowpass', 'highpass', 'bandpass', 'notch', 'peak', 'lowshelf', 'highshelf'] };
const mute: ParamDef = { name: 'mute', unit: '', min: 0, max: 1, default: 0, taper: 'toggle' };

describe('taper', () => {
  it('log taper: midpoint is the geometric mean, ends map to 0 and 1', () => {
    expect(fromNorm(freq, 0.5)).toBeCloseTo(Math.sqrt(20 * 20000), 6);
    expect(fromNorm(freq, 0)).toBeCloseTo(20, 9);
    expect(fromNorm(freq, 1)).toBeCloseTo(20000, 6);
    // each third of the travel is one decade (20 -> 200 -> 2000 -> 20000)
    expect(fromNorm(freq, 1 / 3)).toBeCloseTo(200, 6);
    expect(toNorm(freq, 2000)).toBeCloseTo(2 / 3, 9);
  });
  it('linear taper: midpoint is the arithmetic mean; out-of-range values clamp', () => {
    expect(fromNorm(gain, 0.5)).toBe(0);
    expect(fromNorm(gain, 0.25)).toBe(-12);
    expect(toNorm(gain, 100)).toBe(1);
    expect(fromNorm(gain, -3)).toBe(-24);
  });
  it('round trip norm -> value -> norm for every taper', () => {
    for (const p of [freq, gain])
      for (let n = 0; n <= 1; n += 0.05) expect(toNorm(p, fromNorm(p, n))).toBeCloseTo(n, 9);
  });
  it('enum and toggle snap to whole numbers', () => {
    expect(fromNorm(shape, 0.49)).toBe(3);
    expect(fromNorm(mute, 0.6)).toBe(1);
    expect(step(shape, 6, 1)).toBe(6);
    expect(step(shape, 4, -1)).toBe(3);
  });
  it('fine steps are ten times smaller than normal ones', () => {
    const coarse = step(gain, 0, 1) - 0;
    const fine = step(gain, 0, 1, true) - 0;
    expect(coarse).toBeCloseTo(0.48, 6);
    expect(fine).toBeCloseTo(0.048, 2);
  });
  it('a drag of 200 px covers the whole travel, 2000 px with the fine modifier', () => {
    expect(drag(gain, -24, 200)).toBe(24);
    expect(drag(gain, -24, 100)).toBe(0);
    expect(drag(gain, 0, 100, true)).toBeCloseTo(2.4, 6);
    expect(drag(freq, 20, 100)).toBeCloseTo(632.5, 0); // geometric mean, rounded for display
  });
  it('typed values: units, k suffix, choices, and refusals', () => {
    expect(parse(freq, '2.5k')).toBe(2500);
    expect(parse(freq, '2.5 kHz')).toBe(2500);
    expect(parse(freq, '440 Hz')).toBe(440);
    expect(parse(gain, '-3 dB')).toBe(-3);
    expect(parse(gain, '30')).toBeNull(); // out of range
    expect(parse(gain, 'loud')).toBeNull();
    expect(parse(shape, 'LowShelf')).toBe(5);
    expect(parse(mute, 'on')).toBe(1);
  });
  it('values travel as the engine reports them (choice names, booleans)', () => {
    expect(valueOf(shape, 'notch')).toBe(3);
    expect(valueOf(mute, true)).toBe(1);
    expect(wireValue(shape, 5)).toBe('lowshelf');
    expect(wireValue(mute, 0)).toBe(false);
    expect(wireValue(gain, -3)).toBe(-3);
    expect(format(freq, 2500)).toBe('2.50 kHz');
    expect(format(gain, -3)).toBe('-3.00 dB');
  });
});

describe('metaEntry', () => {
  it('names the unit a key carries and rounds for reading', () => {
    expect(metaEntry('length_ms', 85.33333333333333)).toBe('length: 85.3 ms');
    expect(metaEntry('peak_db', -8.72717787105261)).toBe('peak: -8.7 dB');
    expect(metaEntry('sample_rate', 48000)).toBe('sample rate: 48000');
    expect(metaEntry('loudness', -18.123456)).toBe('loudness: -18.1');
    expect(metaEntry('input_level_dbu', 0.123456)).toBe('input level dbu: 0.1235');
    expect(metaEntry('gear_make', 'Fender')).toBe('gear make: Fender');
    expect(metaEntry('oversampling', 4)).toBe('oversampling: 4');
  });
});
