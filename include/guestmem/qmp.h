/* SPDX-License-Identifier: MIT */
/*
 * guestmem/qmp.h - libguestmem-qmp: a running QEMU's QMP socket as a source
 * of `info mtree` dumps, and of any monitor command's output.
 *
 * This is a companion library, not part of libguestmem: a program that
 * embeds the memory model does not link a socket client unless it asks for
 * this one.  Build with `pkg-config --cflags --libs guestmem-qmp` (which
 * brings libguestmem along); the JSON QMP speaks is read by json-c.
 *
 * The client connects to a unix socket (QEMU's `-qmp
 * unix:PATH,server=on,wait=off`), reads the greeting, negotiates
 * capabilities (`qmp_capabilities`) and runs human-monitor-command.
 * Asynchronous events ({"event": ...}) may arrive before any reply; they
 * are skipped, but buy no time.  Every conversation is bounded:
 *   - the greeting and the capabilities handshake: 10 s in all, 64 KiB per
 *     message;
 *   - each command: 60 s in all; its reply at most 768 MiB as sent (the
 *     text JSON-escaped) and GM_MTREE_MAX_INPUT (512 MiB) as text;
 *   - JSON nested at most 32 levels deep.
 * QEMU serves one QMP client at a time: a second one is accepted by the
 * kernel and then hears nothing, so a silent socket is reported as possibly
 * busy.  Each failure is one line that says what was waited for.
 *
 * Context (both functions): any thread; they touch no guestmem state
 * except what gm_mtree_import_qmp() imports (update side, as
 * gm_mtree_import()).  Each call opens and closes its own connection.
 */
#ifndef GUESTMEM_QMP_H
#define GUESTMEM_QMP_H

#include <guestmem/mtree.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * gm_mtree_import_qmp: ask a running QEMU for `info mtree -o -D` and
 * `info mtree -f` through its QMP socket (human-monitor-command), one after
 * the other on one connection, and import them (gm_mtree_import()).
 * @socket_path: the path of a unix socket (QEMU's
 * `-qmp unix:PATH,server=on,wait=off`).
 *
 * Errors, each one line (docs/ERRORS.md has the exact texts):
 * - GM_ERR_INVALID_ARG: @socket_path NULL, empty or longer than a unix
 *   socket path may be (107 bytes);
 * - GM_ERR_IO: no such path ("no QMP socket at"), not a socket, nobody
 *   listening ("nobody listens: has QEMU exited?"), the listener's queue
 *   full ("is busy"), no greeting within 10 s ("socket busy?"), part of a
 *   message but not all of it within the bound ("sent N bytes but no
 *   complete ..."), no answer to the capabilities handshake within 10 s or
 *   to a command within 60 s (events do not extend either; "only N
 *   events"), the connection closed before a reply ("closed the connection
 *   before the ..."), sending or reading failed;
 * - GM_ERR_PARSE: the peer did not greet like a QMP server, malformed JSON
 *   (json-c's reason and the message's start are quoted), a message longer
 *   than the bound above, a reply that is no JSON object or has none of
 *   "return", "error", "event" ("unexpected message"), QEMU answered
 *   {"error": ...} ("QEMU refused"), a NUL character in the answer, an
 *   answer larger than GM_MTREE_MAX_INPUT;
 * - GM_ERR_NO_MEMORY;
 * - and those of gm_mtree_import(), prefixed with "qmp:PATH: ".
 * On error nothing is imported and the connection is closed.
 * Ownership: free the result with gm_mtree_import_free().
 * Context: update side (it imports).
 * Return: the import, or NULL on error.
 */
GM_API GmMtreeImport *gm_mtree_import_qmp(const char *socket_path,
                                          Error **errp);

/**
 * gm_qmp_hmp: run the monitor command @cmd (`info mtree -f`, `info
 * ramblock`...) through the QMP socket @socket_path and return its output
 * as QEMU sent it (lines end in "\r\n"; a command without output gives "").
 *
 * Errors: GM_ERR_INVALID_ARG (@cmd NULL, or holding a double quote, a
 * backslash or a newline; a bad @socket_path); the others as
 * gm_mtree_import_qmp() (the import's own aside).
 * Ownership: the result is malloc'd; free() it.
 * Context: any thread.
 * Return: the output, or NULL on error.
 */
GM_API char *gm_qmp_hmp(const char *socket_path, const char *cmd, Error **errp);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_QMP_H */
