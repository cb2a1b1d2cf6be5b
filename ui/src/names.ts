// names.ts — words for people: a rig's file name from its name, labels from
// internal parameter and type names (when the engine's table has no label),
// file names shown without their folders and endings. Pure functions.

/** A safe file name for a rig called `name`: letters and digits (accents
 * dropped), other runs of characters as one "_", lower case, at most 60
 * characters, ".yaml" added; "rig" when nothing is left. When the name is
 * taken (case-insensitively) by one of `taken`, "_2", "_3", … is added. */
export function fileNameFor(name: string, taken: readonly string[] = []): string {
  let stem = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
    .replace(/_+$/, '');
  if (!stem) stem = 'rig';
  const used = new Set(taken.map((t) => t.toLowerCase()));
  let file = `${stem}.yaml`;
  for (let n = 2; used.has(file) || used.has(file.replace(/\.yaml$/, '.yml')); n++) file = `${stem}_${n}.yaml`;
  return file;
}

const UNIT_ENDS = /_(db|dbu|dbfs|hz|khz|pct|ms|s|sec|bpm|x|st|cents)$/;
const WORDS: { [w: string]: string } = { eq: 'EQ', ir: 'IR', lfo: 'LFO', q: 'Q', nam: 'capture', bpm: 'BPM', hp: 'high-pass', lp: 'low-pass', dc: 'DC' };

/** "drive_db" -> "Drive", "tone_hz" -> "Tone", "late_blocks" -> "Late blocks",
 * "pre_delay_ms" -> "Pre delay", "q" -> "Q". */
export function prettyName(name: string): string {
  const words = name.replace(UNIT_ENDS, '').split(/[_\s]+/).filter(Boolean).map((w) => WORDS[w] ?? w);
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A parameter's label: the engine's `label` when its table has one. */
export function paramLabel(p: { name: string; label?: string }): string {
  return p.label && p.label.trim() ? p.label : prettyName(p.name);
}

const TYPE_NAMES: { [t: string]: string } = { nam: 'Capture', cab: 'Cab', eq: 'EQ', ir: 'IR' };

/** A node type as a word: "nam" -> "Capture", "compressor" -> "Compressor". */
export function typeLabel(type: string, label?: string): string {
  return label && label.trim() ? label : TYPE_NAMES[type] ?? prettyName(type);
}

/** A library file as shown: its name without folders and ending, "_" as
 * spaces: "../irs/synthetic_4x12.wav" -> "synthetic 4x12". */
export function fileLabel(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.[a-z0-9]+$/i, '').replace(/_/g, ' ') || base;
}

export type FileKind = 'rig' | 'nam' | 'ir' | 'circuit';
export const KIND_WORDS: { [k in FileKind]: { one: string; many: string } } = {
  rig: { one: 'rig', many: 'Rigs' },
  nam: { one: 'capture', many: 'Captures' },
  ir: { one: 'impulse response', many: 'IRs' },
  circuit: { one: 'circuit', many: 'Circuits' },
};
