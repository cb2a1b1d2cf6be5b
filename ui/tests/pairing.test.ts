import { describe, expect, it } from 'vitest';
import { qrPath } from '../src/pairing';

describe('qrPath', () => {
  it('draws one unit square per dark module, inside a quiet zone of 4', () => {
    const d = qrPath(['10', '01']);
    expect(d).toBe('M4 4h1v1h-1zM5 5h1v1h-1z');
    expect(qrPath(['000'])).toBe('');
  });
});
