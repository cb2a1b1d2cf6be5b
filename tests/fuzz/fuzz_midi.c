/* fuzz_midi.c — the MIDI byte parser on arbitrary bytes: never crashes, and
 * every message it reports is well formed (status >= 0x80, data < 0x80,
 * channel 1..16 for channel messages, SysEx lengths that add up). Build
 * with clang -fsanitize=fuzzer,address,undefined (scripts/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "midi/parser.h"

static void check(const pt_midi_msg *m)
{
    if (m->type < 0x80 || m->data1 > 127 || m->data2 > 127) abort();
    if (m->type < 0xF0 && (m->channel < 1 || m->channel > 16 || (m->type & 0x0F))) abort();
    if (m->type >= 0xF0 && m->channel != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    size_t sysex_bytes = 0, data_in_sysex = 0;
    int in_sysex = 0;
    for (size_t i = 0; i < size; i++) {
        /* track SysEx bytes independently to check the reported length */
        uint8_t b = data[i];
        if (b == 0xF0) {
            if (in_sysex) sysex_bytes = data_in_sysex; /* one SysEx ends another */
            in_sysex = 1, data_in_sysex = 0;
        } else if (b < 0x80 && in_sysex) data_in_sysex++;
        else if (b >= 0x80 && b < 0xF8 && in_sysex) in_sysex = 0, sysex_bytes = data_in_sysex;
        pt_midi_msg m;
        if (pt_midi_parse_byte(&p, b, &m)) {
            check(&m);
            if (m.type == PT_MIDI_SYSEX && m.sysex_len != sysex_bytes) abort();
            uint8_t enc[3];
            int n = pt_midi_encode(&m, enc);
            if (n < 0 || n > 3) abort();
        }
    }
    return 0;
}
