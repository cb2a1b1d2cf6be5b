// taper.ts — knob position (0..1) <-> parameter value, following the
// parameter table's taper (linear, log, enum, toggle), plus formatting and
// typed-value parsing.

export interface ParamDef {
  name: string;
  unit: string;
  min: number;
  max: number;
  default: number;
  taper: 'linear' | 'log' | 'enum' | 'toggle';
  smoothing_ms?: number;
  doc?: string;
  rebuild?: boolean;
  choices?: string[];
  /** for people: the engine's label ("Drive") and decimals to show */
  label?: string;
  precision?: number;
}

export interface NodeType {
  name: string;
  summary: string;
  params: ParamDef[];
  assets: { name: string; kind: string; required: boolean }[];
  readouts: { name: string; unit: string }[];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Knob position 0..1 of a value. */
export function toNorm(p: ParamDef, v: number): number {
  if (p.max <= p.min) return 0;
  const x = clamp(v, p.min, p.max);
  if (p.taper === 'log' && p.min > 0) return Math.log(x / p.min) / Math.log(p.max / p.min);
  return (x - p.min) / (p.max - p.min);
}

/** Value at knob position n (0..1); enums and toggles snap to whole numbers. */
export function fromNorm(p: ParamDef, n: number): number {
  const t = clamp(n, 0, 1);
  let v: number;
  if (p.taper === 'log' && p.min > 0) v = p.min * Math.pow(p.max / p.min, t);
  else v = p.min + t * (p.max - p.min);
  if (p.taper === 'enum' || p.taper === 'toggle') v = Math.round(v);
  return clamp(v, p.min, p.max);
}

/** A value that reads well and keeps the precision the range deserves. */
export function roundForRange(p: ParamDef, v: number): number {
  if (p.taper === 'enum' || p.taper === 'toggle') return Math.round(v);
  const mag = Math.abs(v);
  let digits: number;
  if (p.taper === 'log') digits = mag >= 1000 ? 0 : mag >= 100 ? 1 : mag >= 10 ? 2 : 3;
  else {
    const span = p.max - p.min;
    digits = span >= 1000 ? 0 : span >= 100 ? 1 : span >= 10 ? 2 : 3;
  }
  const f = Math.pow(10, digits);
  return clamp(Math.round(v * f) / f, p.min, p.max);
}

/** Move a value by `steps` keyboard/wheel steps: 1% of the travel, 0.1% when fine. */
export function step(p: ParamDef, v: number, steps: number, fine = false): number {
  if (p.taper === 'enum' || p.taper === 'toggle') return clamp(Math.round(v) + Math.sign(steps), p.min, p.max);
  const per = fine ? 0.001 : 0.01;
  return roundForRange(p, fromNorm(p, toNorm(p, v) + steps * per));
}

/** A drag of dy pixels (up is positive): 200 px for the whole travel, 10x finer with a modifier. */
export function drag(p: ParamDef, startValue: number, dyPx: number, fine = false): number {
  const travel = fine ? 2000 : 200;
  return roundForRange(p, fromNorm(p, toNorm(p, startValue) + dyPx / travel));
}

/** A value as the engine reports it in the rig JSON (choice name, bool, number) -> number. */
export function valueOf(p: ParamDef, v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const i = p.choices?.indexOf(v) ?? -1;
    return i >= 0 ? i : p.default;
  }
  if (typeof v === 'number' && isFinite(v)) return v;
  return p.default;
}

/** The JSON value set_param takes: a choice name for enums, a bool for toggles. */
export function wireValue(p: ParamDef, v: number): number | string | boolean {
  if (p.taper === 'enum' && p.choices && p.choices[Math.round(v)] !== undefined) return p.choices[Math.round(v)];
  if (p.taper === 'toggle') return Math.round(v) !== 0;
  return v;
}

export function format(p: ParamDef, v: number): string {
  if (p.taper === 'enum') return p.choices?.[Math.round(v)] ?? String(Math.round(v));
  if (p.taper === 'toggle') return Math.round(v) ? 'on' : 'off';
  const mag = Math.abs(v);
  let s: string;
  if (p.unit === 'Hz' && mag >= 1000) return `${(v / 1000).toFixed(mag >= 10000 ? 1 : 2)} kHz`;
  if (p.precision !== undefined && p.precision >= 0 && p.precision <= 6) s = v.toFixed(p.precision);
  else if (mag >= 100) s = v.toFixed(0);
  else if (mag >= 10) s = v.toFixed(1);
  else s = v.toFixed(2);
  if (/^-0\.?0*$/.test(s)) s = s.slice(1); // no "-0.0"
  return p.unit ? `${s} ${p.unit}` : s;
}

/** A file's metadata entry for people: "length_ms" 85.333… → "length: 85.3 ms",
 * "peak_db" -8.727… → "peak: -8.7 dB"; other numbers to 4 significant digits,
 * text as it is. */
export function metaEntry(key: string, v: string | number | boolean): string {
  const units: Record<string, string> = { ms: 'ms', db: 'dB', hz: 'Hz', s: 's', pct: '%' };
  const m = /^(.*)_(ms|db|hz|s|pct)$/.exec(key);
  const name = (m ? m[1] : key).replace(/_/g, ' ');
  if (typeof v !== 'number') return `${name}: ${String(v)}`;
  const mag = Math.abs(v);
  const s = Number.isInteger(v) ? String(v) : mag >= 100 ? v.toFixed(0) : mag >= 1 ? v.toFixed(1) : String(Number(v.toPrecision(4)));
  return m ? `${name}: ${s} ${units[m[2]]}` : `${name}: ${s}`;
}

/** Parse what a user typed ("2.5k", "-3 dB", "lowpass", "on"); null when it is not a value in range. */
export function parse(p: ParamDef, text: string): number | null {
  const t = text.trim().toLowerCase();
  if (p.taper === 'enum') {
    const i = p.choices?.findIndex((c) => c.toLowerCase() === t) ?? -1;
    if (i >= 0) return i;
  }
  if (p.taper === 'toggle') {
    if (['on', 'true', 'yes'].includes(t)) return 1;
    if (['off', 'false', 'no'].includes(t)) return 0;
  }
  const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(k)?\s*([a-z%]*)$/.exec(t);
  if (!m) return null;
  let v = parseFloat(m[1]);
  if (m[2] || m[3] === 'khz') v *= 1000;
  if (!isFinite(v) || v < p.min || v > p.max) return null;
  if ((p.taper === 'enum' || p.taper === 'toggle') && v !== Math.round(v)) return null;
  return v;
}
