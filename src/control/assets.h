/* assets.h — the library's files for the web UI: what one holds
 * (`asset_info`) and bringing new ones in (`POST /api/import`).
 *
 * Both go through the loaders the nodes use (the IR loader of src/conv, the
 * .nam reader of src/neural, the circuit parser and compiler of src/wdf, the
 * rig loader), so a bad file is refused with the same named error a node
 * would give. Control threads only: never called from the audio thread.
 */
#ifndef PT_ASSETS_H
#define PT_ASSETS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/error.h"

#define PT_ASSET_WAVEFORM_COLUMNS 600       /* at most this many min/max pairs */
#define PT_ASSET_SPECTRUM_POINTS 200        /* log-spaced 20 Hz .. 20 kHz */
#define PT_IMPORT_MAX_BYTES (64ll << 20)    /* 64 MiB */
#define PT_IMPORT_MAX_NAME 128              /* bytes of a file name */

/* The kind of a library file by its name (and, for .yaml/.yml, its first
 * key): "nam", "ir", "circuit", "rig", or NULL. */
const char *pt_asset_kind(const char *path, const char *name);

/* What the file at `path` (absolute, already confined) holds, as the JSON
 * fields of asset_info's reply: kind, rate, channels, frames, waveform,
 * spectrum {freq_hz, gain_db}, meta. `shown` names the file in errors.
 * NULL with err set when the file is not a capture, IR or circuit the
 * loaders accept.
 *
 * waveform: columns = min(frames, 600); column i covers samples
 * floor(i*frames/columns) .. floor((i+1)*frames/columns) - 1 of every
 * channel and gives their min and max, clamped to -1..1, flattened
 * [min0, max0, min1, max1, ...].
 * spectrum: |H(f)| of the IR as it is in the file (no resampling, trimming
 * or normalising), a direct DFT (Goertzel, in double) at 200 frequencies
 * log-spaced 20 Hz .. 20 kHz (those below the file's Nyquist frequency);
 * for a stereo IR the power mean of the channels, in dB. */
cJSON *pt_asset_info(const char *path, const char *shown, pt_error *err);

/* Validate a file as `kind` ("nam", "ir", "circuit", "rig") with the
 * loader that will use it; errors name `shown` rather than `path`. */
int pt_asset_validate(const char *path, const char *kind, const char *shown, pt_error *err);

/* Reads up to n bytes of the body; returns how many (0 at the end, < 0 on
 * error). */
typedef long (*pt_import_read)(void *user, void *buf, size_t n);

/* Bring a file into the library: `kind` "nam" -> captures/, "ir" -> irs/,
 * "circuit" -> circuits/, "rig" -> the library itself, "auto": by the
 * name's ending (a .yaml is a circuit when its first key is `circuit:`, else
 * a rig). `name` is a plain file name (no '/', '\\', no leading '.', at
 * most PT_IMPORT_MAX_NAME bytes of printable UTF-8) with an ending that
 * suits the kind. The body (`length` bytes, at most PT_IMPORT_MAX_BYTES) is
 * written to a hidden temporary file in the target folder, validated, then
 * renamed into place; on any problem nothing is left behind. An existing
 * file is kept (409) unless `overwrite`.
 *
 * Returns an HTTP status: 200 (out_rel gets the path relative to the
 * library, e.g. "irs/room.wav"), 400 (a bad name or a bad file; err names
 * it and the problem), 409 (exists), 413 (too large), 500. */
int pt_asset_import(const char *library, const char *kind, const char *name, bool overwrite,
                    long long length, pt_import_read read, void *user, char *out_rel,
                    size_t out_size, pt_error *err);

#endif
