/* SPDX-License-Identifier: MIT */
/*
 * qmp-internal.h - libguestmem-qmp's insides that its tests and fuzz target
 * reach (they link the static library, or compile qmp.c in): the bounds of
 * a conversation as a value, and a conversation over a socket that is
 * already connected.  Not installed; none of it is exported.
 */
#ifndef GUESTMEM_QMP_INTERNAL_H
#define GUESTMEM_QMP_INTERNAL_H

#include <stddef.h>

#include <guestmem/qmp.h>

/* The bounds of one conversation.  The public functions use
 * gm__qmp_default_limits; tests pass smaller ones instead of waiting 10 s
 * or sending 768 MiB. */
typedef struct GmQmpLimits {
    int handshake_ms;     /* greeting and capabilities, in all */
    int command_ms;       /* each command, in all */
    size_t handshake_max; /* bytes of one message during the handshake */
    size_t reply_max;     /* bytes of one message while a command runs */
    size_t answer_max;    /* bytes of the answer's text, decoded */
    size_t recv_max;      /* bytes per recv(), 0: a whole buffer (64 KiB) */
} GmQmpLimits;

extern const GmQmpLimits gm__qmp_default_limits;

/* gm_qmp_hmp() over @fd, a stream socket already connected to the peer
 * (not closed here), named @name in messages, within @lim. */
char *gm__qmp_hmp_fd(int fd, const char *name, const char *cmd,
                     const GmQmpLimits *lim, Error **errp);

#endif /* GUESTMEM_QMP_INTERNAL_H */
