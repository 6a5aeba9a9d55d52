// SPDX-License-Identifier: MIT
/*
 * qmp.c - a minimal QMP client: enough to run monitor commands in a running
 * QEMU through human-monitor-command and to import its memory tree.
 *
 * QMP speaks one JSON object per line.  We only ever need the greeting, the
 * capabilities handshake and the string in {"return": "..."}, so instead of
 * a JSON library there is a small reader for one JSON string value.
 * Asynchronous events ({"event": ...}) may arrive between replies and are
 * skipped.  Every read and write waits at most 10 seconds.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 10000

typedef struct Qmp {
    int fd;
    char *buf;
    size_t len, cap;
} Qmp;

static int qmp_write(Qmp *q, const char *s, Error **errp)
{
    size_t n = strlen(s);
    while (n) {
        struct pollfd p = { q->fd, POLLOUT, 0 };
        if (poll(&p, 1, QMP_TIMEOUT_MS) <= 0) {
            return gm_error_setg(errp, GM_ERR_IO, "QMP: write timed out");
        }
        ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return gm_error_setg(errp, GM_ERR_IO, "QMP: write failed: %s",
                                 strerror(errno));
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one line (without the newline) into a malloc'd string. */
static char *qmp_read_line(Qmp *q, Error **errp)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf);
            char *line = malloc(n + 1);
            if (!line) {
                gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
                return NULL;
            }
            memcpy(line, q->buf, n);
            line[n] = '\0';
            memmove(q->buf, nl + 1, q->len - n - 1);
            q->len -= n + 1;
            return line;
        }
        if (q->cap - q->len < 65536) {
            size_t cap = q->cap ? q->cap * 2 : 131072;
            if (cap > (size_t)256 << 20) {
                gm_error_setg(errp, GM_ERR_PARSE, "QMP: reply too long");
                return NULL;
            }
            char *b = realloc(q->buf, cap);
            if (!b) {
                gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
                return NULL;
            }
            q->buf = b;
            q->cap = cap;
        }
        struct pollfd p = { q->fd, POLLIN, 0 };
        if (poll(&p, 1, QMP_TIMEOUT_MS) <= 0) {
            gm_error_setg(errp, GM_ERR_IO, "QMP: no reply within 10 s");
            return NULL;
        }
        ssize_t r = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            gm_error_setg(errp, GM_ERR_IO, "QMP: connection closed%s%s",
                          r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
            return NULL;
        }
        q->len += (size_t)r;
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void put_utf8(char **o, unsigned cp)
{
    char *p = *o;
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xc0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *p++ = (char)(0xe0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = p;
}

/* Decodes the JSON string whose opening quote is at @s; NULL if malformed.
 * (Surrogate pairs are not joined; QEMU's monitor output is ASCII.) */
static char *json_string(const char *s)
{
    if (*s != '"') {
        return NULL;
    }
    s++;
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out) {
        return NULL;
    }
    for (; *s && *s != '"'; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': *o++ = '\n'; break;
        case 'r': break; /* the monitor's \r\n becomes \n */
        case 't': *o++ = '\t'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case '/': *o++ = '/'; break;
        case '\\': *o++ = '\\'; break;
        case '"': *o++ = '"'; break;
        case 'u': {
            int a = hexval(s[1]), b = a < 0 ? -1 : hexval(s[2]),
                c = b < 0 ? -1 : hexval(s[3]), d = c < 0 ? -1 : hexval(s[4]);
            if (d < 0) {
                free(out);
                return NULL;
            }
            put_utf8(&o, (unsigned)(a << 12 | b << 8 | c << 4 | d));
            s += 4;
            break;
        }
        default: free(out); return NULL;
        }
    }
    if (*s != '"') {
        free(out);
        return NULL;
    }
    *o = '\0';
    return out;
}

/* Waits for the reply to the last command; returns the "return" string
 * (or "" for a non-string return) or NULL with an error. */
static char *qmp_reply(Qmp *q, Error **errp)
{
    for (;;) {
        char *line = qmp_read_line(q, errp);
        if (!line) {
            return NULL;
        }
        if (strstr(line, "\"event\"") && !strstr(line, "\"return\"")) {
            free(line);
            continue;
        }
        char *r = strstr(line, "\"return\"");
        if (r) {
            r += 8;
            while (*r == ' ' || *r == ':') {
                r++;
            }
            char *val = *r == '"' ? json_string(r) : gm__strdup("");
            free(line);
            if (!val) {
                gm_error_setg(errp, GM_ERR_PARSE, "QMP: malformed reply");
            }
            return val;
        }
        char *e = strstr(line, "\"desc\"");
        if (strstr(line, "\"error\"")) {
            char *desc = NULL;
            if (e) {
                e += 6;
                while (*e == ' ' || *e == ':') {
                    e++;
                }
                desc = json_string(e);
            }
            gm_error_setg(errp, GM_ERR_PARSE, "QMP: QEMU answered an error: %s",
                          desc ? desc : line);
            free(desc);
            free(line);
            return NULL;
        }
        gm_error_setg(errp, GM_ERR_PARSE, "QMP: unexpected reply '%.60s'",
                      line);
        free(line);
        return NULL;
    }
}

static int qmp_open(Qmp *q, const char *path, Error **errp)
{
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!path || strlen(path) >= sizeof(sa.sun_path)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "QMP socket path missing or too long");
    }
    strcpy(sa.sun_path, path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = gm_error_setg(errp, GM_ERR_IO,
                               "cannot connect to QMP socket '%s': %s", path,
                               strerror(errno));
        if (q->fd >= 0) {
            close(q->fd);
            q->fd = -1;
        }
        return rc;
    }
    char *greeting = qmp_read_line(q, errp);
    if (!greeting) {
        return -GM_ERR_IO;
    }
    bool is_qmp = strstr(greeting, "\"QMP\"") != NULL;
    free(greeting);
    if (!is_qmp) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "'%s' did not greet like a QMP server", path);
    }
    int rc = qmp_write(q, "{\"execute\": \"qmp_capabilities\"}\n", errp);
    if (rc) {
        return rc;
    }
    char *r = qmp_reply(q, errp);
    if (!r) {
        return -GM_ERR_PARSE;
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
    if (!req) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    int rc = qmp_write(q, req, errp);
    free(req);
    return rc ? NULL : qmp_reply(q, errp);
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
    if (qmp_open(&q, socket_path, errp) == 0 &&
        (dump = qmp_hmp(&q, "info mtree -D", errp)) &&
        (flat = qmp_hmp(&q, "info mtree -f", errp))) {
        imp = gm_mtree_import(dump, flat, errp);
    }
    qmp_close(&q);
    free(dump);
    free(flat);
    return imp;
}
