# x86_64-w64-mingw32.cmake — Windows x64 with Debian's gcc-mingw-w64-x86-64
# (POSIX threads from winpthreads). Without a MinGW sysroot of libsndfile,
# libyaml, cJSON, libsamplerate and KissFFT, CMakeLists.txt builds the core
# that needs none of them (PT_CORE_ONLY); tests run under wine64:
# `make test-windows`. With MSYS2's packages the whole program builds.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/x86_64-w64-mingw32/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
# the C runtime and winpthreads inside each .exe: wine finds no DLLs to miss
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
