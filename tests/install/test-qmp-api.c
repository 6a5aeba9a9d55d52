// SPDX-License-Identifier: MIT
/*
 * test-qmp-api.c - guestmem/qmp.h as a program outside the tree uses it:
 * gm_qmp_hmp() and gm_mtree_import_qmp() against a small QMP peer (a child
 * process on a unix socket in a private directory), and their errors for a
 * path that is no socket.  Standalone (TAP on stdout), because it is built
 * twice: in the tree (tests/meson.build) and out of the tree with
 * `pkg-config --cflags --libs guestmem-qmp` against the installed
 * libraries (tests/install/test-install.sh), where it also proves that
 * libguestmem-qmp exports them and finds json-c and libguestmem.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <guestmem/guestmem.h>
#include <guestmem/qmp.h>

static int n, failed;

#define OK(cond, ...)                                                         \
    do {                                                                      \
        n++;                                                                  \
        if (cond) {                                                           \
            printf("ok %d - ", n);                                            \
        } else {                                                              \
            failed++;                                                         \
            printf("not ok %d - (%s:%d: %s) ", n, __FILE__, __LINE__, #cond); \
        }                                                                     \
        printf(__VA_ARGS__);                                                  \
        printf("\n");                                                         \
    } while (0)

/* What the peer answers each request line with, in order. */
static const char *const answers[] = {
    "{\"return\": {}}\r\n",
    "{\"event\": \"RESUME\"}\r\n{\"return\": \"caf\\u00e9\\r\\n\"}\r\n",
    "{\"return\": {}}\r\n",
    "{\"return\": \"address-space: memory\\r\\n  "
    "0000000000000000-ffffffffffffffff (prio 0, i/o): system\\r\\n\\r\\n\"}"
    "\r\n",
    "{\"return\": \"FlatView #0\\r\\n AS \\\"memory\\\", root: system\\r\\n "
    "Root memory region: system\\r\\n  0000000000000000-ffffffffffffffff "
    "(prio 0, i/o): system\\r\\n\\r\\n\"}\r\n",
};

/* Serves two connections: one gm_qmp_hmp(), one gm_mtree_import_qmp(). */
static void peer(int s)
{
    alarm(20);
    size_t next = 0;
    for (int conn = 0; conn < 2; conn++) {
        int c = accept(s, NULL, NULL);
        const char *greet = "{\"QMP\": {\"version\": {}, \"capabilities\": "
                            "[]}}\r\n";
        if (c < 0 || write(c, greet, strlen(greet)) < 0) {
            _exit(1);
        }
        char ch;
        while (read(c, &ch, 1) == 1) {
            if (ch == '\n' && next < sizeof(answers) / sizeof(answers[0])) {
                const char *a = answers[next++];
                if (write(c, a, strlen(a)) < 0) {
                    _exit(1);
                }
            }
        }
        close(c);
    }
    _exit(next == sizeof(answers) / sizeof(answers[0]) ? 0 : 2);
}

int main(void)
{
    char dir[] = "/tmp/gm-qmp-api-XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/qmp.sock", dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(s, 2) < 0) {
        perror("socket");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        peer(s);
    }
    close(s);

    Error *err = NULL;
    char *out = gm_qmp_hmp(path, "info version", &err);
    OK(out && !strcmp(out, "caf\xc3\xa9\r\n"),
       "gm_qmp_hmp: the answer, decoded, events skipped");
    free(out);
    GmMtreeImport *imp = gm_mtree_import_qmp(path, &err);
    OK(imp && gm_address_space_find("memory"), "gm_mtree_import_qmp: %s",
       imp ? "imported" : error_get_pretty(err));
    gm_mtree_import_free(imp);
    error_free(err);
    err = NULL;

    OK(!gm_qmp_hmp("/etc/passwd", "info mtree", &err) &&
           gm_error_code(err) == GM_ERR_IO &&
           strstr(error_get_pretty(err), "'/etc/passwd' is not a socket"),
       "a path that is no socket: GM_ERR_IO, said so");
    error_free(err);
    err = NULL;
    OK(!gm_mtree_import_qmp("", &err) &&
           gm_error_code(err) == GM_ERR_INVALID_ARG,
       "an empty path: GM_ERR_INVALID_ARG");
    error_free(err);

    int st = 0;
    OK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
       "the peer answered every request it expected");
    unlink(path);
    rmdir(dir);
    printf("1..%d\n", n);
    return failed != 0;
}
