/* parser.c — see parser.h. */
#include "parser.h"

#include <string.h>

void pt_midi_parser_init(pt_midi_parser *p) { memset(p, 0, sizeof *p); }

int pt_midi_data_len(uint8_t s)
{
    if (s < 0x80) return -1;
    switch (s & 0xF0) {
    case 0x80: case 0x90: case 0xA0: case 0xB0: case 0xE0: return 2;
    case 0xC0: case 0xD0: return 1;
    default: break;
    }
    switch (s) {
    case 0xF0: return 0; /* SysEx: variable, handled apart */
    case 0xF1: case 0xF3: return 1;
    case 0xF2: return 2;
    case 0xF6: case 0xF7: return 0;
    case 0xF8: case 0xFA: case 0xFB: case 0xFC: case 0xFE: case 0xFF: return 0;
    default: return -1; /* F4 F5 F9 FD: undefined */
    }
}

static void fill(pt_midi_msg *out, uint8_t status, const uint8_t *d)
{
    memset(out, 0, sizeof *out);
    if (status < 0xF0) {
        out->type = status & 0xF0;
        out->channel = (uint8_t)((status & 0x0F) + 1);
    } else {
        out->type = status;
    }
    out->data1 = d[0];
    out->data2 = d[1];
    if (out->type == PT_MIDI_NOTE_ON && out->data2 == 0) out->type = PT_MIDI_NOTE_OFF;
}

/* A status byte (not real time) begins: returns 1 if it is itself a whole
 * message (tune request). */
static int begin(pt_midi_parser *p, uint8_t b, pt_midi_msg *out)
{
    static const uint8_t none[2] = {0, 0};
    if (p->n_data > 0) p->truncated++; /* the message before was cut short */
    p->n_data = 0;
    p->status = 0; /* system messages cancel running status */
    if (b == 0xF0) {
        p->in_sysex = 1;
        p->sysex_len = 0;
        return 0;
    }
    int n = pt_midi_data_len(b);
    if (b == 0xF7 || n < 0) { /* an end without a start, or undefined */
        p->stray++;
        return 0;
    }
    if (n == 0) { /* tune request */
        fill(out, b, none);
        p->messages++;
        return 1;
    }
    p->status = b;
    return 0;
}

int pt_midi_parse_byte(pt_midi_parser *p, uint8_t b, pt_midi_msg *out)
{
    static const uint8_t none[2] = {0, 0};
    if (b >= 0xF8) { /* real time: interleaves with anything, changes nothing */
        if (pt_midi_data_len(b) < 0) return 0;
        fill(out, b, none);
        p->messages++;
        return 1;
    }
    if (b & 0x80) {
        if (p->in_sysex) {
            /* F7 ends a SysEx; any other status ends it too and begins its
             * own message. One message per byte: a tune request arriving
             * this way is counted as lost. */
            p->in_sysex = 0;
            p->sysex++;
            p->messages++;
            memset(out, 0, sizeof *out);
            out->type = PT_MIDI_SYSEX;
            out->sysex_len = p->sysex_len;
            if (b != 0xF7) {
                pt_midi_msg lost;
                if (begin(p, b, &lost)) p->stray++, p->messages--;
            }
            return 1;
        }
        return begin(p, b, out);
    }
    /* a data byte */
    if (p->in_sysex) {
        if (p->sysex_len < UINT32_MAX) p->sysex_len++;
        return 0;
    }
    if (!p->status) {
        p->stray++;
        return 0;
    }
    p->data[p->n_data++] = b;
    int need = pt_midi_data_len(p->status);
    if (p->n_data < need) return 0;
    uint8_t d[2] = {p->data[0], need > 1 ? p->data[1] : 0};
    fill(out, p->status, d);
    p->n_data = 0;
    if (p->status >= 0xF0) p->status = 0; /* only channel messages run */
    p->messages++;
    return 1;
}

int pt_midi_encode(const pt_midi_msg *m, uint8_t out[3])
{
    if (m->type < 0xF0) {
        if (m->channel < 1 || m->channel > 16) return 0;
        out[0] = (uint8_t)(m->type | (m->channel - 1));
        out[1] = m->data1 & 0x7F;
        out[2] = m->data2 & 0x7F;
        return 1 + pt_midi_data_len(out[0]);
    }
    int n = pt_midi_data_len(m->type);
    if (m->type == PT_MIDI_SYSEX || n < 0) return 0;
    out[0] = m->type;
    out[1] = m->data1 & 0x7F;
    out[2] = m->data2 & 0x7F;
    return 1 + n;
}
