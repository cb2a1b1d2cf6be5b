/* error.c — filling and printing pt_error values. */
#include "error.h"

#include <stdarg.h>
#include <string.h>

void pt_error_clear(pt_error *err)
{
    if (err) memset(err, 0, sizeof *err);
}

int pt_error_set(pt_error *err, int code, const char *file, int line, int col,
                 const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void pt_error_format(const pt_error *err, char *buf, size_t size)
{
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line,
                 err->col > 0 ? err->col : 1, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
}

void pt_error_print(const pt_error *err, FILE *out)
{
    char buf[2048];
    pt_error_format(err, buf, sizeof buf);
    fprintf(out, "%s\n", buf);
}
