/* prefault.c — see prefault.h. */
#include "prefault.h"

#include <link.h>
#include <stddef.h>
#include <stdint.h>

enum { PAGE = 4096, MAX_SEGMENT = 16 << 20 };

typedef struct counts {
    size_t pages, bytes;
} counts;

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    counts *n = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        if (ph->p_memsz > MAX_SEGMENT) continue; /* a browser engine: not audio code */
        uintptr_t a = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(PAGE - 1);
        uintptr_t end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        for (; a < end; a += PAGE) {
            (void)*(volatile const unsigned char *)a;
            n->pages++;
        }
        n->bytes += ph->p_memsz;
    }
    return 0;
}

size_t pt_prefault_code(void)
{
    counts n = {0, 0};
    dl_iterate_phdr(each_object, &n);
    return n.pages;
}
