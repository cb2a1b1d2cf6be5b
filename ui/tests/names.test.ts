import { describe, expect, it } from 'vitest';
import { fileLabel, fileNameFor, paramLabel, prettyName, typeLabel } from '../src/names';

// What a safe file name is, stated independently of the code: only
// [a-z0-9_], not empty, not hidden, ".yaml" at the end, no '/' or '..', and
// distinct from every taken name regardless of case.
const SAFE = /^[a-z0-9][a-z0-9_]*\.yaml$/;

describe('fileNameFor', () => {
  it('derives a plain name', () => {
    expect(fileNameFor('My Crunch')).toBe('my_crunch.yaml');
    expect(fileNameFor('  Lead  (live) ')).toBe('lead_live.yaml');
    expect(fileNameFor('Crème brûlée')).toBe('creme_brulee.yaml');
  });
  it('never leaves the folder or hides the file', () => {
    for (const n of ['../../etc/passwd', '.hidden', '/abs/path', 'a\\b', 'x/../y', '..', '.', 'con:']) {
      const f = fileNameFor(n);
      expect(f).toMatch(SAFE);
      expect(f).not.toContain('/');
      expect(f).not.toContain('..');
    }
    expect(fileNameFor('../../etc/passwd')).toBe('etc_passwd.yaml');
  });
  it('gives "rig" when nothing usable is left', () => {
    expect(fileNameFor('')).toBe('rig.yaml');
    expect(fileNameFor('★☆★')).toBe('rig.yaml');
    expect(fileNameFor('日本語')).toBe('rig.yaml');
  });
  it('keeps names short', () => {
    const f = fileNameFor('a'.repeat(59) + ' b c d');
    expect(f.length).toBeLessThanOrEqual(60 + '.yaml'.length);
    expect(f).toMatch(SAFE);
  });
  it('does not take a name that exists, whatever its case or ending', () => {
    expect(fileNameFor('Default', ['default.yaml'])).toBe('default_2.yaml');
    expect(fileNameFor('Default', ['DEFAULT.yaml', 'default_2.yaml'])).toBe('default_3.yaml');
    expect(fileNameFor('Clean', ['clean.yml'])).toBe('clean_2.yaml');
    const taken = ['x.yaml'];
    for (let i = 0; i < 5; i++) taken.push(fileNameFor('X', taken));
    expect(new Set(taken).size).toBe(6);
  });
});

describe('labels', () => {
  it('turns internal names into words', () => {
    expect(prettyName('drive_db')).toBe('Drive');
    expect(prettyName('tone_hz')).toBe('Tone');
    expect(prettyName('mix_pct')).toBe('Mix');
    expect(prettyName('interface_dbu')).toBe('Interface');
    expect(prettyName('late_blocks')).toBe('Late blocks');
    expect(prettyName('q')).toBe('Q');
  });
  it('prefers the engine\'s label', () => {
    expect(paramLabel({ name: 'drive_db', label: 'Gain' })).toBe('Gain');
    expect(paramLabel({ name: 'drive_db', label: ' ' })).toBe('Drive');
    expect(paramLabel({ name: 'drive_db' })).toBe('Drive');
  });
  it('names types and files for people', () => {
    expect(typeLabel('nam')).toBe('Capture');
    expect(typeLabel('compressor')).toBe('Compressor');
    expect(fileLabel('../irs/synthetic_4x12.wav')).toBe('synthetic 4x12');
    expect(fileLabel('captures/plexi.nam')).toBe('plexi');
  });
});
