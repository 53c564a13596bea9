/* Loaded through LD_PRELOAD by the isolation test: records which user each process
 * that loaded it ran as, and which program it was, in $RAFTOR_PROBE_OUT. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void probe(void) {
    const char* out = getenv("RAFTOR_PROBE_OUT");
    if (!out) return;
    char exe[512] = {0};
    if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0) strcpy(exe, "?");
    char line[600];
    int n = snprintf(line, sizeof line, "uid=%d euid=%d exe=%s\n", (int)getuid(), (int)geteuid(), exe);
    int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) < 0) { /* nothing to do */
        }
        close(fd);
    }
}
