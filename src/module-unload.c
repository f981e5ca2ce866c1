/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "module-unload.h"

#define RETRY_PAUSE_US 50000

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int modules_unload(const ModuleList *loaded, unsigned timeout_ms, ModuleList *ret_left) {
        _cleanup_free_ bool *gone = calloc(loaded->n ?: 1, sizeof(bool));
        _cleanup_(module_list_free) ModuleList left = {};
        uint64_t deadline = now_ms() + timeout_ms;
        size_t n_left = loaded->n;
        int r;

        if (!gone)
                return -ENOMEM;
        while (n_left > 0) {
                bool progress = false, busy = false;

                /* One pass frees the modules nothing depends on; the next, what they used. */
                for (size_t i = 0; i < loaded->n; i++) {
                        if (gone[i])
                                continue;
                        if (syscall(SYS_delete_module, loaded->names[i], O_NONBLOCK) == 0 || errno == ENOENT) {
                                gone[i] = true;
                                n_left--;
                                progress = true;
                        } else if (errno == EWOULDBLOCK)
                                busy = true;
                        /* EPERM (no CAP_SYS_MODULE) or EBUSY (no exit function): it stays. */
                }
                if (progress)
                        continue;
                if (!busy || now_ms() >= deadline)
                        break;
                usleep(RETRY_PAUSE_US);
        }
        for (size_t i = 0; i < loaded->n; i++)
                if (!gone[i] && (r = module_list_push(&left, loaded->names[i])) < 0)
                        return r;
        *ret_left = left;
        left = (ModuleList) {};
        return 0;
}
