// SPDX-License-Identifier: MIT
/*
 * qmp.c - libguestmem-qmp: a client of QEMU's QMP socket, just enough to
 * run human-monitor-command and import `info mtree` through it
 * (guestmem/qmp.h).
 *
 * QMP is a stream of JSON objects, one per line in practice: the greeting
 * ({"QMP": ...}), then for each command one {"return": ...} or {"error":
 * ...}, with asynchronous {"event": ...} objects possibly in front of any
 * of them.  json-c reads the stream: its tokener is fed whatever recv()
 * returned and says when an object is complete, so a reply split over many
 * reads and several objects in one read are the same to us.  What it is fed
 * is bounded per message (64 KiB during the handshake, 768 MiB for a
 * command's reply: a dump of GM_MTREE_MAX_INPUT bytes, JSON-escaped), and
 * the time is bounded per exchange (10 s for the greeting and the
 * handshake, 60 s per command), however the peer dribbles its bytes or
 * interleaves events.  QEMU serves one QMP client at a time; a second one is
 * accepted by the kernel and then hears nothing, which is why a silent
 * socket is reported as possibly busy.
 *
 * Only libguestmem's public API is used (gm_error_setg, gm_mtree_import):
 * this library links against libguestmem.so like any other program.
 */
#define _GNU_SOURCE
#include "qmp-internal.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

const GmQmpLimits gm__qmp_default_limits = {
    .handshake_ms = 10000,
    .command_ms = 60000,
    .handshake_max = (size_t)64 << 10,
    /* The answer carries the dump JSON-escaped ("\r\n" takes four bytes). */
    .reply_max = GM_MTREE_MAX_INPUT + GM_MTREE_MAX_INPUT / 2,
    .answer_max = GM_MTREE_MAX_INPUT,
    .recv_max = 0,
};

#define QMP_BUF_SIZE ((size_t)64 << 10)
/* QMP's objects are a few levels deep; json-c's own default. */
#define QMP_MAX_DEPTH 32

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "10 s" for whole seconds (the real bounds), else "250 ms" (tests'). */
static const char *span(char *buf, size_t n, int ms)
{
    if (ms % 1000 == 0) {
        snprintf(buf, n, "%d s", ms / 1000);
    } else {
        snprintf(buf, n, "%d ms", ms);
    }
    return buf;
}

/* "64 KiB", "512 MiB", else bytes. */
static const char *bytes(char *buf, size_t n, size_t v)
{
    if (v >= ((size_t)1 << 20) && v % ((size_t)1 << 20) == 0) {
        snprintf(buf, n, "%zu MiB", v >> 20);
    } else if (v >= 1024 && v % 1024 == 0) {
        snprintf(buf, n, "%zu KiB", v >> 10);
    } else {
        snprintf(buf, n, "%zu bytes", v);
    }
    return buf;
}

/* --- reading a stream of JSON objects ---------------------------------------- */

typedef enum {
    RD_OK,
    RD_TIMEOUT,
    RD_CLOSED,
    RD_TOO_LONG,
    RD_BAD_JSON,
    RD_NO_MEMORY,
    RD_ERRNO,
} ReadStatus;

typedef struct Qmp {
    int fd;
    const char *path; /* for messages */
    const GmQmpLimits *lim;
    json_tokener *tok;
    char *buf; /* received, buf[off..len) not yet tokenized */
    size_t off, len;
    size_t noted;     /* buf[..noted) went through note_head() */
    size_t msg_bytes; /* fed to the tokener for the message under way */
    char head[64];    /* that message's first line, for messages */
    size_t head_len;
    bool head_done;  /* its line ended */
    unsigned events; /* skipped while waiting */
    enum json_tokener_error json_err;
    int saved_errno;
} Qmp;

/* Waits until @fd is ready for @events or @deadline passes. */
static ReadStatus wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return RD_TIMEOUT;
        }
        struct pollfd p = { fd, events, 0 };
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r > 0) {
            return RD_OK;
        }
        if (r < 0 && errno != EINTR) {
            return RD_ERRNO;
        }
    }
}

/* Keeps the first line of the message under way (its leading blanks
 * aside, unprintable bytes as '?') for error messages. */
static void note_head(Qmp *q, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !q->head_done; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n' || c == '\r') {
            q->head_done = q->head_len > 0;
            continue;
        }
        if (!q->head_len && (c == ' ' || c == '\t')) {
            continue;
        }
        if (q->head_len == sizeof(q->head) - 1) {
            q->head_done = true;
            break;
        }
        q->head[q->head_len++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    q->head[q->head_len] = '\0';
}

/* The rest of what was received, for the line of a message that ended
 * before its line did. */
static void note_rest(Qmp *q)
{
    if (q->noted < q->len) {
        note_head(q, q->buf + q->noted, q->len - q->noted);
        q->noted = q->len;
    }
}

/* Reads the next JSON value from the peer into *@out (the caller puts it),
 * waiting until @deadline at most and feeding json-c @max bytes at most for
 * it. */
static ReadStatus qmp_read_message(Qmp *q, int64_t deadline, size_t max,
                                   json_object **out)
{
    if (!q->msg_bytes) {
        q->head_len = 0;
        q->head_done = false;
        q->head[0] = '\0';
    }
    for (;;) {
        if (q->off < q->len) {
            /* One byte past the bound tells a message that is too long
             * from one that ends exactly there. */
            size_t n = q->len - q->off, room = max + 1 - q->msg_bytes;
            if (n > room) {
                n = room;
            }
            note_head(q, q->buf + q->off, n);
            q->noted = q->off + n;
            json_object *o =
                json_tokener_parse_ex(q->tok, q->buf + q->off, (int)n);
            enum json_tokener_error e = json_tokener_get_error(q->tok);
            if (o) {
                q->off += json_tokener_get_parse_end(q->tok);
                q->msg_bytes = 0;
                *out = o;
                return RD_OK;
            }
            if (e != json_tokener_continue) {
                q->json_err = e;
                return RD_BAD_JSON;
            }
            q->off += n;
            q->msg_bytes += n;
            if (q->msg_bytes > max) {
                return RD_TOO_LONG;
            }
            continue;
        }
        ReadStatus st = wait_fd(q->fd, POLLIN, deadline);
        if (st != RD_OK) {
            q->saved_errno = errno;
            return st;
        }
        size_t want = QMP_BUF_SIZE;
        if (q->lim->recv_max && want > q->lim->recv_max) {
            want = q->lim->recv_max;
        }
        ssize_t r = recv(q->fd, q->buf, want, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (r < 0) {
            q->saved_errno = errno;
            return errno == ECONNRESET ? RD_CLOSED : RD_ERRNO;
        }
        if (r == 0) {
            return RD_CLOSED;
        }
        q->off = q->noted = 0;
        q->len = (size_t)r;
    }
}

static int qmp_write(Qmp *q, const char *s, int64_t deadline, int timeout_ms,
                     const char *what, Error **errp)
{
    size_t n = strlen(s);
    while (n) {
        if (wait_fd(q->fd, POLLOUT, deadline) != RD_OK) {
            char t[32];
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: could not send %s to '%s' within %s",
                                 what, q->path, span(t, sizeof(t), timeout_ms));
        }
        ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (w <= 0) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: sending %s to '%s' failed: %s", what,
                                 q->path, strerror(errno));
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* --- the conversation ------------------------------------------------------------ */

static int read_error(Qmp *q, ReadStatus st, const char *waiting_for,
                      int timeout_ms, size_t max, Error **errp)
{
    bool greeting = !strcmp(waiting_for, "greeting");
    char t[32], b[32];
    switch (st) {
    case RD_TIMEOUT:
        if (q->head_len) { /* a message began (blanks aside) */
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: '%s' sent %zu bytes but no complete "
                                 "%s within %s",
                                 q->path, q->msg_bytes, waiting_for,
                                 span(t, sizeof(t), timeout_ms));
        }
        if (q->events) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: no %s from '%s' within %s (only %u "
                                 "events)",
                                 waiting_for, q->path,
                                 span(t, sizeof(t), timeout_ms), q->events);
        }
        return gm_error_setg(errp, GM_ERR_IO,
                             "QMP: no %s from '%s' within %s%s", waiting_for,
                             q->path, span(t, sizeof(t), timeout_ms),
                             greeting ? ": socket busy? (QEMU's QMP socket "
                                        "serves one client at a time)"
                                      : "");
    case RD_CLOSED:
        if (q->head_len) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: '%s' closed the connection before the "
                                 "%s was complete (%zu bytes of it came)",
                                 q->path, waiting_for, q->msg_bytes);
        }
        return gm_error_setg(errp, GM_ERR_IO,
                             "QMP: '%s' closed the connection before the %s%s",
                             q->path, waiting_for,
                             greeting ? " (is another client using it?)" : "");
    case RD_TOO_LONG:
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "QMP: '%s' sent more than %s in one message "
                             "while we waited for the %s",
                             q->path, bytes(b, sizeof(b), max), waiting_for);
    case RD_BAD_JSON:
        if (greeting) {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "QMP: '%s' did not greet like a QMP server "
                                 "(it said '%s')",
                                 q->path, q->head);
        }
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "QMP: malformed %s from '%s' (%s): '%s'",
                             waiting_for, q->path,
                             json_tokener_error_desc(q->json_err), q->head);
    case RD_NO_MEMORY:
        return gm_error_setg(errp, GM_ERR_NO_MEMORY,
                             "out of memory reading QMP from '%s'", q->path);
    default:
        return gm_error_setg(errp, GM_ERR_IO,
                             "QMP: reading from '%s' failed: %s", q->path,
                             strerror(q->saved_errno));
    }
}

/* The string member @key of @o, or NULL. */
static const char *member_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

/* Waits for the reply to the last command, skipping events, until
 * @deadline; returns the "return" value's string (or "" for another value)
 * or NULL with an error. */
static char *qmp_reply(Qmp *q, const char *what, int64_t deadline,
                       int timeout_ms, size_t max, Error **errp)
{
    char waiting[128], b[32];
    snprintf(waiting, sizeof(waiting), "answer to %s", what);
    for (;;) {
        json_object *o, *v;
        ReadStatus st = qmp_read_message(q, deadline, max, &o);
        if (st != RD_OK) {
            read_error(q, st, waiting, timeout_ms, max, errp);
            return NULL;
        }
        bool is_obj = json_object_is_type(o, json_type_object);
        if (is_obj && json_object_object_get_ex(o, "return", &v)) {
            char *val = NULL;
            if (!json_object_is_type(v, json_type_string)) {
                val = strdup(""); /* {} for qmp_capabilities */
            } else {
                const char *s = json_object_get_string(v);
                size_t n = (size_t)json_object_get_string_len(v);
                const char *nul = memchr(s, '\0', n);
                if (nul) {
                    /* The text would end there, silently. */
                    gm_error_setg(errp, GM_ERR_PARSE,
                                  "QMP: the answer to %s holds a NUL "
                                  "character (at byte %zu)",
                                  what, (size_t)(nul - s));
                    json_object_put(o);
                    return NULL;
                }
                if (n > q->lim->answer_max) {
                    gm_error_setg(errp, GM_ERR_PARSE,
                                  "QMP: the answer to %s is larger than %s",
                                  what,
                                  bytes(b, sizeof(b), q->lim->answer_max));
                    json_object_put(o);
                    return NULL;
                }
                val = malloc(n + 1);
                if (val) {
                    memcpy(val, s, n);
                    val[n] = '\0';
                }
            }
            json_object_put(o);
            if (!val) {
                gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory (%s)",
                              what);
            }
            return val;
        }
        if (is_obj && json_object_object_get_ex(o, "error", &v)) {
            /* QEMU's description, on one line. */
            const char *desc = member_string(v, "desc");
            char shown[201];
            size_t n = 0;
            for (; desc && desc[n] && n < sizeof(shown) - 1; n++) {
                unsigned char c = (unsigned char)desc[n];
                shown[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
            }
            shown[n] = '\0';
            gm_error_setg(errp, GM_ERR_PARSE, "QMP: QEMU refused %s: %s", what,
                          desc ? shown : "(no description)");
            json_object_put(o);
            return NULL;
        }
        if (is_obj && json_object_object_get_ex(o, "event", NULL)) {
            q->events++;
            json_object_put(o);
            continue;
        }
        json_object_put(o);
        note_rest(q);
        gm_error_setg(errp, GM_ERR_PARSE,
                      "QMP: unexpected message from '%s' while waiting for "
                      "the %s: '%s'",
                      q->path, waiting, q->head);
        return NULL;
    }
}

/* Prepares @q for a conversation over @fd (-1: none yet). */
static int qmp_init(Qmp *q, int fd, const char *path, const GmQmpLimits *lim,
                    Error **errp)
{
    memset(q, 0, sizeof(*q));
    q->fd = fd;
    q->path = path ? path : "";
    q->lim = lim;
    q->buf = malloc(QMP_BUF_SIZE);
    q->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
    if (!q->buf || !q->tok) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    /* RFC 8259 and nothing more (no comments, single quotes or trailing
     * commas), valid UTF-8 (QEMU escapes what it cannot send as such), and
     * the next object may follow in the same read. */
    json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT |
                                       JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                       JSON_TOKENER_VALIDATE_UTF8);
    return 0;
}

/* The greeting and the capabilities handshake, until @deadline. */
static int qmp_handshake(Qmp *q, int64_t deadline, Error **errp)
{
    const GmQmpLimits *lim = q->lim;
    json_object *greeting;
    ReadStatus rs =
        qmp_read_message(q, deadline, lim->handshake_max, &greeting);
    if (rs != RD_OK) {
        return read_error(q, rs, "greeting", lim->handshake_ms,
                          lim->handshake_max, errp);
    }
    bool is_qmp = json_object_is_type(greeting, json_type_object) &&
                  json_object_object_get_ex(greeting, "QMP", NULL);
    json_object_put(greeting);
    if (!is_qmp) {
        /* The rest of its line too ("220 smtp ready", not "220"). */
        note_rest(q);
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "QMP: '%s' did not greet like a QMP server (it "
                             "said '%s')",
                             q->path, q->head);
    }
    int rc = qmp_write(q, "{\"execute\": \"qmp_capabilities\"}\n", deadline,
                       lim->handshake_ms, "qmp_capabilities", errp);
    if (rc) {
        return rc;
    }
    char *r = qmp_reply(q, "qmp_capabilities", deadline, lim->handshake_ms,
                        lim->handshake_max, errp);
    if (!r) {
        return -GM_ERR_IO;
    }
    free(r);
    return 0;
}

static int qmp_open(Qmp *q, const char *path, Error **errp)
{
    int rc = qmp_init(q, -1, path, &gm__qmp_default_limits, errp);
    if (rc) {
        return rc;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "QMP socket path missing or longer than %zu "
                             "bytes",
                             sizeof(sa.sun_path) - 1);
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        return gm_error_setg(errp, GM_ERR_IO,
                             "no QMP socket at '%s': %s (QEMU makes one with "
                             "-qmp unix:PATH,server=on,wait=off)",
                             path, strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode)) {
        return gm_error_setg(errp, GM_ERR_IO,
                             "'%s' is not a socket (QEMU makes one with -qmp "
                             "unix:PATH,server=on,wait=off)",
                             path);
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (q->fd < 0) {
        return gm_error_setg(errp, GM_ERR_IO, "cannot make a socket: %s",
                             strerror(errno));
    }
    int64_t deadline = now_ms() + q->lim->handshake_ms;
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (e == EAGAIN || e == EINPROGRESS) {
            /* The listener's queue is full: clients wait in it. */
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP socket '%s' is busy: its queue of "
                                 "waiting clients is full (QEMU's QMP socket "
                                 "serves one client at a time)",
                                 path);
        }
        return gm_error_setg(errp, GM_ERR_IO,
                             "cannot connect to QMP socket '%s': %s%s", path,
                             strerror(e),
                             e == ECONNREFUSED ? " (nobody listens: has QEMU "
                                                 "exited?)"
                                               : "");
    }
    return qmp_handshake(q, deadline, errp);
}

/* Frees what qmp_init() made; closes the socket if @close_fd. */
static void qmp_close(Qmp *q, bool close_fd)
{
    if (close_fd && q->fd >= 0) {
        close(q->fd);
    }
    if (q->tok) {
        json_tokener_free(q->tok);
    }
    free(q->buf);
}

static char *qmp_hmp(Qmp *q, const char *cmd, Error **errp)
{
    char what[96];
    snprintf(what, sizeof(what), "'%.80s'", cmd);
    /* json-c writes the request, escapes included. */
    json_object *req = json_object_new_object(),
                *args = json_object_new_object();
    json_object *ex = json_object_new_string("human-monitor-command");
    json_object *line = json_object_new_string(cmd);
    char *text = NULL;
    if (req && args && ex && line) {
        json_object_object_add(args, "command-line", line);
        json_object_object_add(req, "execute", ex);
        json_object_object_add(req, "arguments", args);
        line = ex = args = NULL; /* owned by req now */
        const char *s =
            json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
        if (s && asprintf(&text, "%s\n", s) < 0) {
            text = NULL;
        }
    }
    json_object_put(req);
    json_object_put(args);
    json_object_put(ex);
    json_object_put(line);
    if (!text) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    int64_t deadline = now_ms() + q->lim->command_ms;
    q->events = 0;
    int rc = qmp_write(q, text, deadline, q->lim->command_ms, what, errp);
    free(text);
    return rc ? NULL
              : qmp_reply(q, what, deadline, q->lim->command_ms,
                          q->lim->reply_max, errp);
}

static bool cmd_ok(const char *cmd, Error **errp)
{
    if (!cmd || strpbrk(cmd, "\"\\\n")) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "monitor command missing or has quotes, backslashes "
                      "or newlines");
        return false;
    }
    return true;
}

char *gm__qmp_hmp_fd(int fd, const char *name, const char *cmd,
                     const GmQmpLimits *lim, Error **errp)
{
    if (!cmd_ok(cmd, errp)) {
        return NULL;
    }
    Qmp q;
    char *out = NULL;
    if (qmp_init(&q, fd, name, lim, errp) == 0 &&
        qmp_handshake(&q, now_ms() + lim->handshake_ms, errp) == 0) {
        out = qmp_hmp(&q, cmd, errp);
    }
    qmp_close(&q, false);
    return out;
}

char *gm_qmp_hmp(const char *socket_path, const char *cmd, Error **errp)
{
    if (!cmd_ok(cmd, errp)) {
        return NULL;
    }
    Qmp q;
    char *out = NULL;
    if (qmp_open(&q, socket_path, errp) == 0) {
        out = qmp_hmp(&q, cmd, errp);
    }
    qmp_close(&q, true);
    return out;
}

GmMtreeImport *gm_mtree_import_qmp(const char *socket_path, Error **errp)
{
    Qmp q;
    GmMtreeImport *imp = NULL;
    char *dump = NULL, *flat = NULL;
    /* Both from one connection, one after the other: the same moment as far
     * as a stopped VM goes, and QEMU's hash order is the same in both. */
    if (qmp_open(&q, socket_path, errp) == 0 &&
        (dump = qmp_hmp(&q, "info mtree -o -D", errp)) &&
        (flat = qmp_hmp(&q, "info mtree -f", errp))) {
        imp = gm_mtree_import(dump, flat, errp);
        if (!imp) {
            error_prepend(errp, "qmp:%s: ", socket_path);
        }
    }
    qmp_close(&q, true);
    free(dump);
    free(flat);
    return imp;
}
