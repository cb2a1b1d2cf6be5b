// eqcurve.ts — an EQ band's magnitude response, for the picture when the
// engine cannot send its own (command `eq_response`). Coefficients from the
// published RBJ Audio EQ Cookbook formulas, evaluated on the unit circle.

export type Shape = 'lowpass' | 'highpass' | 'bandpass' | 'notch' | 'peak' | 'lowshelf' | 'highshelf';

export function biquad(shape: string, rate: number, freqHz: number, q: number, gainDb: number): number[] {
  const f = Math.min(Math.max(freqHz, 1), 0.499 * rate);
  const A = Math.pow(10, gainDb / 40);
  const w0 = (2 * Math.PI * f) / rate;
  const cw = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const s = 2 * Math.sqrt(A) * alpha;
  switch (shape) {
    case 'lowpass': return [(1 - cw) / 2, 1 - cw, (1 - cw) / 2, 1 + alpha, -2 * cw, 1 - alpha];
    case 'highpass': return [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2, 1 + alpha, -2 * cw, 1 - alpha];
    case 'bandpass': return [alpha, 0, -alpha, 1 + alpha, -2 * cw, 1 - alpha];
    case 'notch': return [1, -2 * cw, 1, 1 + alpha, -2 * cw, 1 - alpha];
    case 'lowshelf':
      return [A * (A + 1 - (A - 1) * cw + s), 2 * A * (A - 1 - (A + 1) * cw), A * (A + 1 - (A - 1) * cw - s),
        A + 1 + (A - 1) * cw + s, -2 * (A - 1 + (A + 1) * cw), A + 1 + (A - 1) * cw - s];
    case 'highshelf':
      return [A * (A + 1 + (A - 1) * cw + s), -2 * A * (A - 1 + (A + 1) * cw), A * (A + 1 + (A - 1) * cw - s),
        A + 1 - (A - 1) * cw + s, 2 * (A - 1 - (A + 1) * cw), A + 1 - (A - 1) * cw - s];
    default: // peak
      return [1 + alpha * A, -2 * cw, 1 - alpha * A, 1 + alpha / A, -2 * cw, 1 - alpha / A];
  }
}

/** |H| in dB at freqHz for coefficients [b0 b1 b2 a0 a1 a2]. */
export function magnitudeDb(c: number[], rate: number, freqHz: number): number {
  const w = (2 * Math.PI * freqHz) / rate;
  const re = (k: number) => Math.cos(-k * w);
  const im = (k: number) => Math.sin(-k * w);
  const nr = c[0] + c[1] * re(1) + c[2] * re(2), ni = c[1] * im(1) + c[2] * im(2);
  const dr = c[3] + c[4] * re(1) + c[5] * re(2), di = c[4] * im(1) + c[5] * im(2);
  const m2 = (nr * nr + ni * ni) / (dr * dr + di * di);
  return 10 * Math.log10(Math.max(m2, 1e-30));
}

/** Log-spaced frequencies from 20 Hz to 20 kHz and the response there. */
export function response(shape: string, rate: number, freqHz: number, q: number, gainDb: number, points = 128) {
  const c = biquad(shape, rate, freqHz, q, gainDb);
  const freq_hz: number[] = [];
  const gain_db: number[] = [];
  for (let i = 0; i < points; i++) {
    const f = 20 * Math.pow(1000, i / (points - 1));
    freq_hz.push(f);
    gain_db.push(f < rate / 2 ? magnitudeDb(c, rate, f) : -120);
  }
  return { freq_hz, gain_db };
}
