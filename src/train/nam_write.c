/* nam_write.c — see nam_write.h. Weights are printed with nine significant
 * digits, which gives every float back exactly. */
#include "nam_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int pt_train_write_nam(const char *path, const pt_nam_file *nf, const pt_train_meta *meta, pt_error *err)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot write: %s", strerror(errno));
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    fprintf(f, "{\"version\": \"0.5.4\",\n\"metadata\": {");
    fprintf(f, "\"date\": {\"year\": %d, \"month\": %d, \"day\": %d, \"hour\": %d, \"minute\": %d, \"second\": %d}",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    fprintf(f, ", \"name\": ");
    json_str(f, meta->name ? meta->name : "");
    fprintf(f, ", \"modeled_by\": null, \"gear_type\": null, \"gear_make\": null, \"gear_model\": ");
    if (meta->gear)
        json_str(f, meta->gear);
    else
        fputs("null", f);
    fprintf(f, ", \"tone_type\": null, \"loudness\": null, \"gain\": null, \"input_level_dbu\": null, "
               "\"output_level_dbu\": null");
    fprintf(f, ",\n\"training\": {\"settings\": {\"ignore_checks\": %s}, \"data\": {\"latency\": {\"manual\": "
               "null, \"calibration\": {\"algorithm_version\": 1, \"delays\": [%ld], \"safety_factor\": 0, "
               "\"recommended\": %ld, \"warnings\": {\"matches_lookahead\": false, \"disagreement_too_high\": "
               "false}}}, \"checks\": {\"version\": 3, \"passed\": %s}}, \"validation_esr\": %.17g",
            meta->checks_passed ? "false" : "true", meta->latency_samples, meta->latency_samples, meta->checks_passed ? "true" : "false",
            meta->validation_esr);
    fprintf(f, ", \"pytone\": {\"trainer\": \"pytone %s\", \"architecture\": ", PT_VERSION);
    json_str(f, meta->arch_name);
    fprintf(f, ", \"signal\": ");
    json_str(f, meta->signal_kind);
    fprintf(f, ", \"epochs\": %d, \"validation_start\": %ld, \"validation_samples\": %ld, "
               "\"validation_esr_skips\": %ld, \"validation_copies_esr\": %.9g}}},\n",
            meta->epochs_run, meta->val_start, meta->val_len, meta->esr_skip, meta->val_copies_esr);
    if (nf->arch == PT_NAM_LSTM) {
        fprintf(f, "\"architecture\": \"LSTM\",\n\"config\": {\"input_size\": %d, \"hidden_size\": %d, "
                   "\"num_layers\": %d},\n",
                nf->cfg.lstm.input_size, nf->cfg.lstm.hidden_size, nf->cfg.lstm.num_layers);
    } else {
        const pt_nam_wavenet_config *cfg = &nf->cfg.wavenet;
        fprintf(f, "\"architecture\": \"WaveNet\",\n\"config\": {\"layers\": [");
        for (int a = 0; a < cfg->n_arrays; a++) {
            const pt_nam_layer_array *la = &cfg->arrays[a];
            fprintf(f, "%s{\"input_size\": %d, \"condition_size\": %d, \"head_size\": %d, \"channels\": %d, "
                       "\"kernel_size\": %d, \"dilations\": [",
                    a ? ", " : "", la->input_size, la->condition_size, la->head_size, la->channels, la->kernel_size);
            for (int l = 0; l < la->n_dilations; l++) fprintf(f, "%s%d", l ? ", " : "", la->dilations[l]);
            fprintf(f, "], \"activation\": \"%s\", \"gated\": %s, \"head_bias\": %s}",
                    pt_nam_act_name(la->activation), la->gated ? "true" : "false", la->head_bias ? "true" : "false");
        }
        fprintf(f, "], \"head\": null, \"head_scale\": %.9g},\n", nf->weights[nf->n_weights - 1]);
    }
    fprintf(f, "\"weights\": [");
    for (int i = 0; i < nf->n_weights; i++) fprintf(f, "%s%.9g", i ? ", " : "", nf->weights[i]);
    fprintf(f, "],\n\"sample_rate\": 48000}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "write failed");
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    return 0;
}
