// SPDX-License-Identifier: MIT
/*
 * mtree-input.c - where the importer's dumps come from when they are not
 * given as text: a file, a pipe, a character device (gm_mtree_import_file,
 * `guestmem mtree --import FILE`).  A regular file is read in one go; for
 * anything else the whole dump must arrive within
 * GM_MTREE_INPUT_TIMEOUT_MS, however its writer dribbles it.  Every input is
 * bounded by GM_MTREE_MAX_INPUT and must be text (no NUL byte).  Each failure
 * is said in one line.
 *
 * A running QEMU's QMP socket is the other source; its client is not part of
 * this library but of libguestmem-qmp (src/qmp/, guestmem/qmp.h), so that
 * embedding guestmem does not bring a socket client along.  A socket given
 * here as a file is refused with a pointer to it.
 */
#define _GNU_SOURCE
#include "mtree-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef enum {
    WAIT_OK,
    WAIT_TIMEOUT,
    WAIT_ERRNO,
} WaitStatus;

/* Waits until @fd is readable (data or its end) or @deadline passes. */
static WaitStatus wait_readable(int fd, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return WAIT_TIMEOUT;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r > 0) {
            return WAIT_OK;
        }
        if (r < 0 && errno != EINTR) {
            return WAIT_ERRNO;
        }
    }
}

char *gm__read_input(const char *path, Error **errp)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO) {
            /* open() of a unix socket */
            gm_error_setg(errp, GM_ERR_IO,
                          "'%s' is a socket, not a dump file (a QEMU QMP "
                          "socket is read with qmp:%s)",
                          path, path);
        } else {
            gm_error_setg(errp, GM_ERR_IO, "cannot open '%s': %s", path,
                          strerror(errno));
        }
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        gm_error_setg(errp, GM_ERR_IO, "cannot read '%s': %s", path,
                      S_ISDIR(st.st_mode) ? "it is a directory"
                                          : strerror(errno));
        close(fd);
        return NULL;
    }
    bool regular = S_ISREG(st.st_mode);
    if (regular && (uint64_t)st.st_size > GM_MTREE_MAX_INPUT) {
        gm_error_setg(errp, GM_ERR_PARSE,
                      "'%s' is larger than %zu MiB: not an `info mtree` dump "
                      "guestmem reads",
                      path, GM_MTREE_MAX_INPUT >> 20);
        close(fd);
        return NULL;
    }
    int64_t deadline = now_ms() + GM_MTREE_INPUT_TIMEOUT_MS;
    /* A regular file's size is known: one spare byte sees the end. */
    size_t cap = regular ? (size_t)st.st_size + 2 : 65536, n = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf && !err) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                err = -GM_ERR_NO_MEMORY;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        /* Not a regular file: wait for data, or for the end (a FIFO with
         * no writer yet reads as the end, so its poll decides). */
        if (!regular) {
            WaitStatus ws = wait_readable(fd, deadline);
            if (ws == WAIT_TIMEOUT) {
                err = gm_error_setg(errp, GM_ERR_IO,
                                    "'%s' did not deliver a whole dump "
                                    "within %d s (%zu bytes came): does "
                                    "anything write to it?",
                                    path, GM_MTREE_INPUT_TIMEOUT_MS / 1000, n);
                break;
            }
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r > 0) {
            const char *nul = memchr(buf + n, '\0', (size_t)r);
            if (nul) {
                err = gm_error_setg(errp, GM_ERR_PARSE,
                                    "'%s' is not text (a NUL byte at offset "
                                    "%zu)",
                                    path, (size_t)(nul - buf));
            }
            n += (size_t)r;
            if (!err && n > GM_MTREE_MAX_INPUT) {
                err = gm_error_setg(errp, GM_ERR_PARSE,
                                    "'%s' is longer than %zu MiB: not an "
                                    "`info mtree` dump guestmem reads",
                                    path, GM_MTREE_MAX_INPUT >> 20);
            }
        } else if (r == 0) {
            break;
        } else if (errno == EAGAIN) {
            WaitStatus ws = wait_readable(fd, deadline);
            if (ws == WAIT_TIMEOUT) {
                err = gm_error_setg(errp, GM_ERR_IO,
                                    "'%s' did not deliver a whole dump "
                                    "within %d s (%zu bytes came): does "
                                    "anything write to it?",
                                    path, GM_MTREE_INPUT_TIMEOUT_MS / 1000, n);
            } else if (ws != WAIT_OK) {
                err = gm_error_setg(errp, GM_ERR_IO, "cannot read '%s': %s",
                                    path, strerror(errno));
            }
        } else if (errno != EINTR) {
            err = gm_error_setg(errp, GM_ERR_IO, "cannot read '%s': %s", path,
                                strerror(errno));
        }
    }
    close(fd);
    if (!buf || err) {
        if (!buf || err == -GM_ERR_NO_MEMORY) {
            gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory reading '%s'",
                          path);
        }
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}
