// pairing.tsx — under `pytone run --listen lan`, a header button that shows the
// address a phone or tablet opens (with its pairing token) and the same address
// as a QR code for the phone's camera, as the terminal does (`pairing`).

import { useEffect, useState } from 'preact/hooks';
import { send, useApp } from './store';
import { openDialog } from './dialog';

interface Pairing {
  lan: boolean;
  urls: string[];
  qr_url?: string;
  qr?: string[];
}

/** The code's dark modules as one SVG path, with the standard's quiet zone of 4. */
export function qrPath(rows: string[]): string {
  let d = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + 4} ${y + 4}h1v1h-1z`;
  });
  return d;
}

function PairingBody({ p, close }: { p: Pairing; close: (v: null) => void }) {
  const n = (p.qr?.length ?? 0) + 8;
  return (
    <div class="pairing" data-testid="pairing">
      {p.qr && (
        <svg viewBox={`0 0 ${n} ${n}`} width="220" height="220" role="img" aria-label={`QR code of ${p.qr_url}`} data-testid="pairing-qr">
          <rect width={n} height={n} fill="#fff" />
          <path d={qrPath(p.qr)} fill="#000" />
        </svg>
      )}
      <p class="hint">Open this on the phone or tablet (same network). The token in it pairs the device: keep it private.</p>
      {p.urls
        .filter((u) => !u.startsWith('http://127.'))
        .map((u) => (
          <p>
            <code data-testid="pairing-url">{u}</code>
          </p>
        ))}
      <div class="dialog-buttons">
        <button class="primary" onClick={() => close(null)}>
          Done
        </button>
      </div>
    </div>
  );
}

/** The header's "Phone" button: only when the engine listens on the network. */
export function PairButton() {
  const { status } = useApp();
  const [p, setP] = useState<Pairing | null>(null);
  useEffect(() => {
    if (status !== 'open') return;
    send('pairing')
      .then((r) => setP(r as unknown as Pairing))
      .catch(() => setP(null)); // an older engine: no button
  }, [status]);
  if (!p?.lan) return null;
  return (
    <button data-testid="pair" title="pair a phone or tablet as a remote" onClick={() => openDialog('Pair a phone or tablet', null, (close) => <PairingBody p={p} close={close} />)}>
      Phone
    </button>
  );
}
