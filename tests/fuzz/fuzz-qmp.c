// SPDX-License-Identifier: MIT
/*
 * fuzz-qmp.c - libguestmem-qmp's reader (src/qmp/qmp.c, compiled into the
 * target so that libFuzzer sees its branches) against whatever a QMP peer
 * may send: the input is the peer's side of a whole conversation (greeting,
 * the capabilities' answer, events, the command's answer, anything else),
 * put into a socketpair whose writing end is then shut, so every run ends
 * at the input's end (no timeout is involved).  The first byte picks how
 * many bytes each recv() takes (1 to 64, or a whole buffer), the second
 * small size bounds or the real ones.
 *
 * Checked: one answer or one error, never both, never neither; an error is
 * one line (whatever the peer's text said); an answer respects its bound;
 * no crash, leak (ASan) or hang.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    GmQmpLimits lim = gm__qmp_default_limits;
    lim.handshake_ms = lim.command_ms = 5000;
    lim.recv_max = data[0] == 0xff ? 0 : 1 + data[0] % 64;
    if (data[1] & 1) {
        lim.handshake_max = 256;
        lim.reply_max = 512;
        lim.answer_max = 128;
    }
    data += 2;
    size -= 2;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        abort();
    }
    /* What fits in the socket's buffer is the conversation (a few hundred
     * KiB; libFuzzer's inputs are far smaller). */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(sv[1], data + off, size - off);
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
    shutdown(sv[1], SHUT_WR);

    Error *err = NULL;
    char *out = gm__qmp_hmp_fd(sv[0], "fuzz", "info mtree -f", &lim, &err);
    if (!out == !err) {
        abort(); /* exactly one of them */
    }
    if (err && strchr(error_get_pretty(err), '\n')) {
        abort(); /* an error is one line */
    }
    if (out && strlen(out) > lim.answer_max) {
        abort();
    }
    free(out);
    error_free(err);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
