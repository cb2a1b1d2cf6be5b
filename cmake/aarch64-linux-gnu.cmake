# aarch64-linux-gnu.cmake — cross-build for 64-bit ARM Linux with Debian's
# gcc-aarch64-linux-gnu; libraries from the arm64 -dev packages (multiarch:
# dpkg --add-architecture arm64; scripts/deps.sh --arm64). Tests run under
# qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR): `make test-arm64`.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# pkg-config sees the arm64 packages only (never the build machine's)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# No -L /usr/aarch64-linux-gnu: the arm64 libc6 (multiarch) puts its own
# loader in /lib, and mixing the cross package's loader with that libc hangs
# every pthread_create (two different glibc builds).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
