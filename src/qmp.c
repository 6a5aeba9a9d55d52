// SPDX-License-Identifier: MIT
/*
 * qmp.c - where dumps come from when a running QEMU gives them: its QMP
 * socket, within bounds of time and size, each failure said in one line
 * that names what was waited for (files and pipes: mtree-input.c).
 *
 * QMP speaks one JSON object per line.  We only ever need the greeting, the
 * capabilities handshake and the string in {"return": "..."}, so instead of
 * a JSON library there is a small scanner for the members of one object and
 * a decoder for one string value.  Asynchronous events ({"event": ...}) may
 * arrive between replies and are skipped, but they do not buy time: the
 * handshake has 10 s in all, each command 60 s in all, however the peer
 * dribbles its bytes.  QEMU serves one QMP client at a time; a second one is
 * accepted by the kernel and then hears nothing, which is why a silent
 * socket is reported as possibly busy.
 */
#define _GNU_SOURCE
#include "mtree-internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QMP_HANDSHAKE_MS 10000
#define QMP_COMMAND_MS 60000
#define QMP_HANDSHAKE_MAX ((size_t)64 << 10)
/* A reply carries the dump JSON-escaped ("\r\n" takes four bytes). */
#define QMP_REPLY_MAX (GM_MTREE_MAX_INPUT + GM_MTREE_MAX_INPUT / 2)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- bounded reads ---------------------------------------------------------- */

typedef enum {
    RD_OK,
    RD_TIMEOUT,
    RD_CLOSED,
    RD_TOO_LONG,
    RD_NO_MEMORY,
    RD_ERRNO,
} ReadStatus;

typedef struct Qmp {
    int fd;
    const char *path;
    char *buf;
    size_t len, cap;
    size_t scanned;  /* buf[0..scanned) holds no newline */
    unsigned events; /* skipped while waiting */
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

/* Reads one line (without its newline) into a malloc'd string, waiting
 * until @deadline at most and accepting @max bytes at most. */
static ReadStatus qmp_read_line(Qmp *q, int64_t deadline, size_t max,
                                char **line)
{
    for (;;) {
        char *nl = q->len > q->scanned
                       ? memchr(q->buf + q->scanned, '\n', q->len - q->scanned)
                       : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf);
            *line = malloc(n + 1);
            if (!*line) {
                return RD_NO_MEMORY;
            }
            memcpy(*line, q->buf, n);
            (*line)[n] = '\0';
            memmove(q->buf, nl + 1, q->len - n - 1);
            q->len -= n + 1;
            q->scanned = 0;
            return RD_OK;
        }
        q->scanned = q->len;
        if (q->len >= max) {
            return RD_TOO_LONG;
        }
        if (q->cap - q->len < 65536) {
            size_t cap = q->cap ? q->cap * 2 : 131072;
            char *b = realloc(q->buf, cap);
            if (!b) {
                return RD_NO_MEMORY;
            }
            q->buf = b;
            q->cap = cap;
        }
        ReadStatus st = wait_fd(q->fd, POLLIN, deadline);
        if (st != RD_OK) {
            q->saved_errno = errno;
            return st;
        }
        size_t want = q->cap - q->len;
        if (want > max + 1 - q->len) {
            want = max + 1 - q->len;
        }
        ssize_t r = recv(q->fd, q->buf + q->len, want, MSG_DONTWAIT);
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
        q->len += (size_t)r;
    }
}

static int qmp_write(Qmp *q, const char *s, int64_t deadline, const char *what,
                     Error **errp)
{
    size_t n = strlen(s);
    while (n) {
        if (wait_fd(q->fd, POLLOUT, deadline) != RD_OK) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: could not send %s to '%s' within %d s",
                                 what, q->path, QMP_HANDSHAKE_MS / 1000);
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

/* --- a little JSON ----------------------------------------------------------- */

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
        p++;
    }
    return p;
}

/* Skips the string whose opening quote is at @p; NULL if unterminated. */
static const char *json_skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && !*++p) {
            return NULL;
        }
    }
    return *p ? p + 1 : NULL;
}

/* Skips one value (objects and arrays of any depth, without recursion);
 * NULL if malformed. */
static const char *json_skip(const char *p)
{
    size_t depth = 0;
    do {
        p = json_ws(p);
        if (*p == '"') {
            p = json_skip_string(p);
            if (!p) {
                return NULL;
            }
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
            continue;
        } else if (*p == '}' || *p == ']') {
            if (!depth) {
                return NULL;
            }
            depth--;
            p++;
        } else if (*p == ',' || *p == ':') {
            if (!depth) {
                return NULL;
            }
            p++;
            continue;
        } else if (*p) {
            const char *s = p;
            while (*p && !strchr(" \t\r\n,:{}[]\"", *p)) {
                p++;
            }
            if (p == s) {
                return NULL;
            }
        } else {
            return NULL;
        }
    } while (depth);
    return p;
}

/* The value of the member @key of the object at @p (top level only), or
 * NULL. */
static const char *json_member(const char *p, const char *key)
{
    size_t klen = strlen(key);
    p = json_ws(p);
    if (*p != '{') {
        return NULL;
    }
    p = json_ws(p + 1);
    while (*p == '"') {
        const char *k = p + 1, *e = json_skip_string(p);
        if (!e) {
            return NULL;
        }
        bool match = (size_t)(e - 1 - k) == klen && !memcmp(k, key, klen);
        p = json_ws(e);
        if (*p != ':') {
            return NULL;
        }
        p = json_ws(p + 1);
        if (match) {
            return p;
        }
        p = json_skip(p);
        if (!p) {
            return NULL;
        }
        p = json_ws(p);
        if (*p != ',') {
            return NULL;
        }
        p = json_ws(p + 1);
    }
    return NULL;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static bool hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0) {
            return false;
        }
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return true;
}

static void put_utf8(char **o, unsigned cp)
{
    char *p = *o;
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xc0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xe0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *p++ = (char)(0xf0 | (cp >> 18));
        *p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = p;
}

typedef enum {
    JS_OK,
    JS_BAD,
    JS_NUL,
    JS_NO_MEMORY
} JsonStatus;

/* Decodes the JSON string whose opening quote is at @s into *@out. */
static JsonStatus json_string(const char *s, char **out)
{
    if (*s != '"') {
        return JS_BAD;
    }
    s++;
    char *o = malloc(strlen(s) + 1), *start = o;
    if (!o) {
        return JS_NO_MEMORY;
    }
    JsonStatus st = JS_OK;
    for (; *s && *s != '"' && st == JS_OK; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        unsigned cp, lo;
        switch (*++s) {
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case '/': *o++ = '/'; break;
        case '\\': *o++ = '\\'; break;
        case '"': *o++ = '"'; break;
        case 'u':
            if (!hex4(s + 1, &cp)) {
                st = JS_BAD;
                break;
            }
            s += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
                hex4(s + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s += 6;
            }
            if (cp == 0) {
                st = JS_NUL; /* the text would end there, silently */
            } else {
                put_utf8(&o, cp);
            }
            break;
        default: st = JS_BAD; break;
        }
    }
    if (st == JS_OK && *s != '"') {
        st = JS_BAD;
    }
    if (st != JS_OK) {
        free(start);
        return st;
    }
    *o = '\0';
    *out = start;
    return JS_OK;
}

/* --- the conversation ------------------------------------------------------------ */

static int read_error(Qmp *q, ReadStatus st, const char *waiting_for,
                      int timeout_ms, size_t max, Error **errp)
{
    switch (st) {
    case RD_TIMEOUT:
        if (q->events) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: no %s from '%s' within %d s (only %u "
                                 "events)",
                                 waiting_for, q->path, timeout_ms / 1000,
                                 q->events);
        }
        if (q->len) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "QMP: '%s' sent %zu bytes but no complete "
                                 "%s within %d s",
                                 q->path, q->len, waiting_for,
                                 timeout_ms / 1000);
        }
        return gm_error_setg(errp, GM_ERR_IO,
                             "QMP: no %s from '%s' within %d s%s", waiting_for,
                             q->path, timeout_ms / 1000,
                             !strcmp(waiting_for, "greeting")
                                 ? ": socket busy? (QEMU's QMP socket serves "
                                   "one client at a time)"
                                 : "");
    case RD_CLOSED:
        return gm_error_setg(
            errp, GM_ERR_IO, "QMP: '%s' closed the connection before the %s%s",
            q->path, waiting_for,
            !strcmp(waiting_for, "greeting") ? " (is another client using it?)"
                                             : "");
    case RD_TOO_LONG:
        return gm_error_setg(
            errp, GM_ERR_PARSE,
            "QMP: '%s' sent more than %zu bytes without a line "
            "end while we waited for the %s",
            q->path, max, waiting_for);
    case RD_NO_MEMORY:
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    default:
        return gm_error_setg(errp, GM_ERR_IO,
                             "QMP: reading from '%s' failed: %s", q->path,
                             strerror(q->saved_errno));
    }
}

/* Waits for the reply to the last command, skipping events, until
 * @deadline; returns the "return" value's string (or "" for another value)
 * or NULL with an error. */
static char *qmp_reply(Qmp *q, const char *what, int64_t deadline,
                       int timeout_ms, size_t max, Error **errp)
{
    char waiting[128];
    snprintf(waiting, sizeof(waiting), "answer to %s", what);
    for (;;) {
        char *line;
        ReadStatus st = qmp_read_line(q, deadline, max, &line);
        if (st != RD_OK) {
            read_error(q, st, waiting, timeout_ms, max, errp);
            return NULL;
        }
        const char *v;
        char *val = NULL;
        if ((v = json_member(line, "return"))) {
            JsonStatus js =
                *v == '"'      ? json_string(v, &val)
                : json_skip(v) ? ((val = gm__strdup("")) ? JS_OK : JS_NO_MEMORY)
                               : JS_BAD;
            free(line);
            if (js == JS_OK && strlen(val) > GM_MTREE_MAX_INPUT) {
                free(val);
                gm_error_setg(errp, GM_ERR_PARSE,
                              "QMP: the answer to %s is larger than %zu MiB",
                              what, GM_MTREE_MAX_INPUT >> 20);
                return NULL;
            }
            if (js != JS_OK) {
                gm_error_setg(
                    errp, js == JS_NO_MEMORY ? GM_ERR_NO_MEMORY : GM_ERR_PARSE,
                    js == JS_NUL         ? "QMP: the answer to %s holds a NUL "
                                           "character"
                    : js == JS_NO_MEMORY ? "out of memory (%s)"
                                         : "QMP: malformed answer to %s",
                    what);
                return NULL;
            }
            return val;
        }
        if ((v = json_member(line, "error"))) {
            const char *d = json_member(v, "desc");
            char *desc = NULL;
            if (!d || json_string(d, &desc) != JS_OK) {
                desc = NULL;
            }
            gm_error_setg(errp, GM_ERR_PARSE, "QMP: QEMU refused %s: %.200s",
                          what, desc ? desc : "(no description)");
            free(desc);
            free(line);
            return NULL;
        }
        if (json_member(line, "event")) {
            q->events++;
            free(line);
            continue;
        }
        gm_error_setg(errp, GM_ERR_PARSE,
                      "QMP: unexpected line from '%s' while waiting for the "
                      "%s: '%.60s'",
                      q->path, waiting, line);
        free(line);
        return NULL;
    }
}

static int qmp_open(Qmp *q, const char *path, Error **errp)
{
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    q->path = path ? path : "";
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
    strcpy(sa.sun_path, path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (q->fd < 0) {
        return gm_error_setg(errp, GM_ERR_IO, "cannot make a socket: %s",
                             strerror(errno));
    }
    int64_t deadline = now_ms() + QMP_HANDSHAKE_MS;
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
    char *greeting;
    ReadStatus rs = qmp_read_line(q, deadline, QMP_HANDSHAKE_MAX, &greeting);
    if (rs != RD_OK) {
        return read_error(q, rs, "greeting", QMP_HANDSHAKE_MS,
                          QMP_HANDSHAKE_MAX, errp);
    }
    bool is_qmp = json_member(greeting, "QMP") != NULL;
    if (!is_qmp) {
        char shown[64];
        size_t n = 0;
        for (const char *p = greeting; *p && n < sizeof(shown) - 1; p++) {
            unsigned char c = (unsigned char)*p;
            if (c != '\r') {
                shown[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
            }
        }
        shown[n] = '\0';
        free(greeting);
        return gm_error_setg(
            errp, GM_ERR_PARSE,
            "QMP: '%s' did not greet like a QMP server (it said "
            "'%s')",
            path, shown);
    }
    free(greeting);
    int rc = qmp_write(q, "{\"execute\": \"qmp_capabilities\"}\n", deadline,
                       "qmp_capabilities", errp);
    if (rc) {
        return rc;
    }
    char *r = qmp_reply(q, "qmp_capabilities", deadline, QMP_HANDSHAKE_MS,
                        QMP_HANDSHAKE_MAX, errp);
    if (!r) {
        return -GM_ERR_IO;
    }
    free(r);
    return 0;
}

static void qmp_close(Qmp *q)
{
    if (q->fd >= 0) {
        close(q->fd);
    }
    free(q->buf);
}

static char *qmp_hmp(Qmp *q, const char *cmd, Error **errp)
{
    char *req = gm__asprintf("{\"execute\": \"human-monitor-command\", "
                             "\"arguments\": {\"command-line\": \"%s\"}}\n",
                             cmd);
    char what[96];
    snprintf(what, sizeof(what), "'%.80s'", cmd);
    if (!req) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    int64_t deadline = now_ms() + QMP_COMMAND_MS;
    q->events = 0;
    int rc = qmp_write(q, req, deadline, what, errp);
    free(req);
    return rc ? NULL
              : qmp_reply(q, what, deadline, QMP_COMMAND_MS, QMP_REPLY_MAX,
                          errp);
}

char *gm_qmp_hmp(const char *socket_path, const char *cmd, Error **errp)
{
    if (!cmd || strpbrk(cmd, "\"\\\n")) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "monitor command missing or has quotes, backslashes "
                      "or newlines");
        return NULL;
    }
    Qmp q;
    char *out = NULL;
    if (qmp_open(&q, socket_path, errp) == 0) {
        out = qmp_hmp(&q, cmd, errp);
    }
    qmp_close(&q);
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
    qmp_close(&q);
    free(dump);
    free(flat);
    return imp;
}
