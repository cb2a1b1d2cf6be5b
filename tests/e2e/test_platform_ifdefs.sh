#!/bin/bash
# test_platform_ifdefs.sh — no operating-system #ifdef, header or call outside
# the platform layer (issue 21, src/platform/platform.h).
#
# What differs between Linux, macOS and Windows lives in src/platform/; the
# audio and MIDI backends (src/io/backend_*.c, src/midi/) may test the system
# too, since each speaks to one system's API. Everywhere else under src/ this
# fails on:
#   - a preprocessor test of an operating system (__linux__, __APPLE__,
#     _WIN32, __MINGW32__, _MSC_VER, __GLIBC__, __FreeBSD__, ...);
#   - a header only one system has (<malloc.h>, <sys/prctl.h>, <linux/...>,
#     <sys/syscall.h>, <windows.h>, <mach/...>, <sys/inotify.h>, ...), or
#     <dlfcn.h>, which Windows lacks (libraries load through pt_lib_open);
#   - a call or path only Linux has (malloc_trim, mlockall, renameat2,
#     /proc/self, prctl, clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, st_mtim).
# Processor tests (__x86_64__, __aarch64__) are not systems: SIMD kernels keep
# them. src/cli/app_webkit.c is pytone app's WebKitGTK window, a program of its
# own that only a Linux desktop builds.
# The test first checks that its patterns catch a planted example of each
# kind (a check that cannot fail would prove nothing). Takes well under 1 s.
set -u
SRC=${PT_SOURCE_DIR:-$(pwd)}
cd "$SRC" || exit 1

OS_MACROS='__linux__|__linux|__gnu_linux__|__APPLE__|__MACH__|_WIN32|_WIN64|__MINGW32__|__MINGW64__|__CYGWIN__|_MSC_VER|__GLIBC__|__FreeBSD__|__OpenBSD__|__NetBSD__|__unix__|__unix|__ANDROID__|__HAIKU__'
IFDEF_RE="^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\\b.*\\b($OS_MACROS)\\b"
HEADER_RE='^[[:space:]]*#[[:space:]]*include[[:space:]]*<(malloc\.h|sys/prctl\.h|linux/[^>]*|sys/syscall\.h|sys/inotify\.h|sys/epoll\.h|sys/sysinfo\.h|windows\.h|winsock2?\.h|mach/[^>]*|mach-o/[^>]*|CoreFoundation/[^>]*|sys/event\.h|dlfcn\.h)>'
CALL_RE='\b(malloc_trim|mallopt|mlockall|munlockall|renameat2|prctl|clock_nanosleep|CLOCK_THREAD_CPUTIME_ID|st_mtim|pthread_setaffinity_np|sched_setaffinity|inotify_[a-z_]+|epoll_[a-z_]+)\b|/proc/(self|thread-self)'

# files outside the platform layer and the backends
scan_files() {
    find src -name '*.[ch]' -o -name '*.inc' | sort |
        grep -Ev '^src/platform/|^src/io/backend_[^/]*\.c$|^src/midi/|^src/cli/app_webkit\.c$'
}

# Prints file:line: text for every offence in the files given.
offences() {
    grep -HnE "$IFDEF_RE" "$@" | sed 's/$/   [operating-system #if]/'
    grep -HnE "$HEADER_RE" "$@" | sed 's/$/   [one system'"'"'s header]/'
    # calls: comments mention them freely, code may not (one perl for all files)
    CALL_RE="$CALL_RE" perl -ne 'BEGIN { $re = $ENV{CALL_RE} }
        chomp; my $code = $_; $code =~ s#/\*.*?\*/##g; $code =~ s#//.*$##;
        print "$ARGV:$.:$_   [a Linux-only call]\n" if $code !~ /^\s*\*/ && $code =~ /$re/;
        close ARGV if eof' "$@"
}

# 1. the patterns catch what they are for
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#if defined(__APPLE__)\n#endif\n' >"$tmp/a.c"
printf '#  ifdef _WIN32\n#endif\n' >"$tmp/b.c"
printf '#include <malloc.h>\n' >"$tmp/c.c"
printf 'void f(void) { malloc_trim(0); }\n' >"$tmp/d.c"
printf 'const char *p = "/proc/self/exe";\n' >"$tmp/e.c"
printf '#include <dlfcn.h>\n' >"$tmp/f.c"
printf '#if defined(__x86_64__)\n#endif\n/* mlockall in a comment */\n' >"$tmp/ok.c"
for f in a b c d e f; do
    [ -n "$(offences "$tmp/$f.c")" ] || { echo "FAIL: the check misses the planted $f.c: $(cat "$tmp/$f.c")"; exit 1; }
done
[ -z "$(offences "$tmp/ok.c")" ] || { echo "FAIL: the check flags allowed code: $(offences "$tmp/ok.c")"; exit 1; }

# 2. the tree
mapfile -t files < <(scan_files)
[ ${#files[@]} -gt 50 ] || { echo "FAIL: only ${#files[@]} source files found under $SRC/src"; exit 1; }
found=$(offences "${files[@]}")
if [ -n "$found" ]; then
    echo "FAIL: platform-specific code outside src/platform (move it behind src/platform/platform.h):"
    echo "$found"
    exit 1
fi
echo "ok: ${#files[@]} source files, no operating-system #if, header or Linux-only call outside src/platform and the backends"
