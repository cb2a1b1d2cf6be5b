/* parser.h — a MIDI 1.0 byte-stream parser as a pure function: state in, one
 * byte in, at most one message out. No allocation, no I/O, so it runs on the
 * audio thread (JACK MIDI) as well as on a device thread (RtMidi).
 *
 * What it copes with (MIDI 1.0 spec, "Running Status" and "System
 * Real-Time" sections):
 *  - running status: data bytes without a status byte reuse the last channel
 *    status; system common messages cancel it, real-time bytes do not;
 *  - real-time bytes (0xF8..0xFF) anywhere, even inside another message or a
 *    SysEx, delivered at once without disturbing what they interrupt;
 *  - SysEx of any length: skipped (only its length is counted), ended by 0xF7
 *    or by any other status byte;
 *  - truncated messages (a status byte before the data is complete) are
 *    dropped and counted; stray data bytes with no status are dropped;
 *  - undefined status bytes (0xF4, 0xF5, 0xF9, 0xFD) are ignored.
 * Note On with velocity 0 is reported as Note Off, as the spec says it means.
 */
#ifndef PT_MIDI_PARSER_H
#define PT_MIDI_PARSER_H

#include <stddef.h>
#include <stdint.h>

enum {
    PT_MIDI_NOTE_OFF = 0x80,
    PT_MIDI_NOTE_ON = 0x90,
    PT_MIDI_POLY_PRESSURE = 0xA0,
    PT_MIDI_CC = 0xB0,
    PT_MIDI_PROGRAM = 0xC0,
    PT_MIDI_CHANNEL_PRESSURE = 0xD0,
    PT_MIDI_PITCH_BEND = 0xE0,
    PT_MIDI_SYSEX = 0xF0,      /* reported once complete, with its length */
    PT_MIDI_TIME_CODE = 0xF1,
    PT_MIDI_SONG_POSITION = 0xF2,
    PT_MIDI_SONG_SELECT = 0xF3,
    PT_MIDI_TUNE_REQUEST = 0xF6,
    PT_MIDI_CLOCK = 0xF8,
    PT_MIDI_START = 0xFA,
    PT_MIDI_CONTINUE = 0xFB,
    PT_MIDI_STOP = 0xFC,
    PT_MIDI_ACTIVE_SENSING = 0xFE,
    PT_MIDI_RESET = 0xFF,
};

/* One complete message. Channel messages: type = status & 0xF0, channel
 * 1..16; system messages: type = the status byte, channel 0. */
typedef struct pt_midi_msg {
    uint8_t type;
    uint8_t channel;
    uint8_t data1, data2;
    uint32_t sysex_len; /* PT_MIDI_SYSEX: bytes between F0 and F7 */
} pt_midi_msg;

typedef struct pt_midi_parser {
    uint8_t status;    /* running status (0: none) */
    uint8_t data[2];
    uint8_t n_data;
    uint8_t in_sysex;
    uint32_t sysex_len;
    /* counters, for diagnostics */
    uint32_t messages, truncated, stray, sysex;
} pt_midi_parser;

void pt_midi_parser_init(pt_midi_parser *p);

/* RT: feed one byte; returns 1 and fills *out when a message is complete. */
int pt_midi_parse_byte(pt_midi_parser *p, uint8_t byte, pt_midi_msg *out);

/* RT: how many data bytes a status needs (-1: not a status byte or
 * undefined). */
int pt_midi_data_len(uint8_t status);

/* RT: a message back to bytes (for MIDI out); returns the length, 0 for
 * SysEx (not re-sent). */
int pt_midi_encode(const pt_midi_msg *m, uint8_t out[3]);

#endif
