// The EQ picture's fallback response, against closed forms of the RBJ
// cookbook filters: a peak's gain at its centre is gain_db; a Q = 1/sqrt(2)
// low-pass (Butterworth) is -3.0103 dB at its cutoff; a shelf reaches its
// gain far from the corner; a notch is deep at its centre.
import { describe, expect, it } from 'vitest';
import { biquad, magnitudeDb, response } from '../src/eqcurve';

const rate = 48000;
describe('eq response', () => {
  it('peak: gain_db at the centre frequency, 0 dB far away', () => {
    const c = biquad('peak', rate, 1000, 1, 6);
    expect(magnitudeDb(c, rate, 1000)).toBeCloseTo(6, 6);
    expect(Math.abs(magnitudeDb(c, rate, 20))).toBeLessThan(0.05);
  });
  it('Butterworth low-pass: -3.0103 dB at the cutoff, -12 dB/octave far above', () => {
    const c = biquad('lowpass', rate, 1000, Math.SQRT1_2, 0);
    expect(magnitudeDb(c, rate, 1000)).toBeCloseTo(-10 * Math.log10(2), 3);
    const d = magnitudeDb(c, rate, 4000) - magnitudeDb(c, rate, 8000);
    expect(d).toBeGreaterThan(11);
    expect(d).toBeLessThan(14);
  });
  it('low shelf: the gain below the corner, 0 dB above', () => {
    const c = biquad('lowshelf', rate, 200, Math.SQRT1_2, -9);
    expect(magnitudeDb(c, rate, 20)).toBeCloseTo(-9, 1);
    expect(Math.abs(magnitudeDb(c, rate, 10000))).toBeLessThan(0.05);
  });
  it('notch: deep at its centre', () => {
    expect(magnitudeDb(biquad('notch', rate, 1000, 2, 0), rate, 1000)).toBeLessThan(-60);
  });
  it('response: log-spaced 20 Hz .. 20 kHz', () => {
    const r = response('peak', rate, 1000, 1, 0, 64);
    expect(r.freq_hz.length).toBe(64);
    expect(r.freq_hz[0]).toBeCloseTo(20, 9);
    expect(r.freq_hz[63]).toBeCloseTo(20000, 6);
    expect(Math.max(...r.gain_db.map(Math.abs))).toBeLessThan(1e-9);
  });
});
