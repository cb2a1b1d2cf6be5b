/* fuzz_audiofile.c — audio files (WAV, AIFF, FLAC… whatever libsndfile
 * recognises) through pt_audio_read: a clear error or finite samples, never
 * a crash, and headers claiming absurd sizes are refused. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/audiofile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/pt-fuzz-audio-%d.wav", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pt_audio a;
    pt_error err = {0};
    if (pt_audio_read(path, &a, &err) == 0) {
        for (int k = 0; k < a.channels; k++)
            for (long i = 0; i < a.frames; i++)
                if (!isfinite(a.ch[k][i])) abort();
        pt_audio_free(&a);
    }
    return 0;
}
