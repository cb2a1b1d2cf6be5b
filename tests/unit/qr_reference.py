"""Writes tests/unit/qr_reference.h: QR codes made by python-qrcode (an
independent encoder, `apt install python3-qrcode`), for test_control_qr.c
to compare src/control/qr.c with module for module. Run from the source
tree: /usr/bin/python3 tests/unit/qr_reference.py"""
import os

import qrcode

CASES = [  # text, masks (level L, byte mode, the smallest version)
    ("PyTone", range(8)),                                                   # version 1
    ("http://10.77.0.1:8750/?token=e7a2c8563b19bf2fe64353497d923e6d", range(8)),  # version 4
    ("http://192.168.178.100:65535/?token=" + "0123456789abcdef" * 2 + "/" + "x" * 60, (0, 5)),  # 6: two blocks
]

out = ["/* qr_reference.h — made by tests/unit/qr_reference.py with python-qrcode; do not edit. */",
       "typedef struct qr_ref { const char *text; int version, mask; const char *rows[41]; } qr_ref;",
       "static const qr_ref qr_refs[] = {"]
for text, masks in CASES:
    for m in masks:
        q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0, mask_pattern=m)
        q.add_data(qrcode.util.QRData(text.encode(), mode=qrcode.util.MODE_8BIT_BYTE))
        q.make(fit=True)
        rows = ", ".join('"' + "".join("1" if c else "0" for c in r) + '"' for r in q.modules)
        out.append(f'    {{"{text}", {q.version}, {m}, {{{rows}}}}},')
out.append("};")
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qr_reference.h")
open(path, "w").write("\n".join(out) + "\n")
print(f"wrote {path}")
