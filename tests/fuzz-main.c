/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fuzz targets' driver without libFuzzer: each argument, a file or a
 * directory of files (a corpus), goes through LLVMFuzzerTestOneInput once.
 * Each input is copied into an allocation of exactly its size, so that a
 * read past the end is caught by ASan or valgrind as under libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "macro.h"

static int run_file(int dirfd, const char *name) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        /* Exactly the file's size (malloc(0) may return NULL: then one byte, never read). */
        buf = malloc(st.st_size ? (size_t) st.st_size : 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t) st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                len += (size_t) n;
        }
        LLVMFuzzerTestOneInput(buf, len);
        return 1;
}

/* A file, or every regular file in a directory: the number run, or a negative errno. */
static int run_path(const char *path) {
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;

        if (!d)
                return errno == ENOTDIR ? run_file(AT_FDCWD, path) : -errno;
        while ((de = readdir(d))) {
                int r;

                if (de->d_name[0] == '.')
                        continue;
                r = run_file(dirfd(d), de->d_name);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

int main(int argc, char **argv) {
        int total = 0;

        for (int i = 1; i < argc; i++) {
                int r = run_path(argv[i]);

                if (r < 0) {
                        fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, argv[i], strerror(-r));
                        return 1;
                }
                total += r;
        }
        printf("%d inputs\n", total);
        return 0;
}
