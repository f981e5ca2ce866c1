/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/rusage COMMAND...: runs COMMAND with its output discarded and prints
 * "wall_ms=N cpu_ms=N maxrss_kb=N status=N wall_us=N cpu_us=N" for it (CPU: user and system
 * time of it and every process it waited for; RSS: the largest of any of
 * them), like /usr/bin/time -v but small enough to copy into a guest.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct timespec a, b;
        struct rusage ru;
        long wall_us, cpu_us;
        int status;
        pid_t pid;

        if (argc < 2) {
                fprintf(stderr, "usage: %s COMMAND...\n", argv[0]);
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                if (null >= 0)
                        dup2(null, STDOUT_FILENO);
                execvp(argv[1], argv + 1);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        getrusage(RUSAGE_CHILDREN, &ru);
        wall_us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
        cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        /* Microseconds too: a 10 ms audit's ratio to a 300 ms script would move 10% with the rounding. */
        printf("wall_ms=%ld cpu_ms=%ld maxrss_kb=%ld status=%d wall_us=%ld cpu_us=%ld\n", wall_us / 1000, cpu_us / 1000,
               ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), wall_us, cpu_us);
        return 0;
}
