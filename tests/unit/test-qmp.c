// SPDX-License-Identifier: MIT
/*
 * test-qmp.c - libguestmem-qmp (src/qmp/qmp.c) against a fake QMP peer: a
 * child process that plays a script on a socketpair (through the internal
 * gm__qmp_hmp_fd(), with short bounds) or on a unix socket (through the
 * public gm_qmp_hmp() and gm_mtree_import_qmp()).  The script says what to
 * send, in one write or one byte per write, which request to expect, when
 * to pause and when to hang up; the peer exits non-zero when a request is
 * not the one expected.
 *
 * Checked: the greeting, the capabilities handshake and a string answer
 * with escapes (\u00e9, a surrogate pair, \n, \", \\), events before and
 * between replies (and several objects in one write), a conversation split
 * into 1-byte writes and 1-byte reads, messages over the size bounds,
 * malformed JSON and unexpected messages, silent and slow peers timing out
 * with the bound they missed, peers hanging up early, QEMU's {"error": ...},
 * a NUL in the answer, the socket paths that are not a QMP server, and an
 * `info mtree` import through a peer.
 */
#define _GNU_SOURCE
#include "../harness/test.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp-internal.h"

#define GREET                                                          \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, " \
    "\"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n"
#define CAPS_OK "{\"return\": {}}\r\n"
#define EVENT                                                            \
    "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": " \
    "\"RESUME\"}\r\n"

/* --- the fake peer ------------------------------------------------------------- */

/* Reads one line from @fd into @buf (without its newline); false at the
 * end, on an error or after 5 s. */
static bool read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 5000) <= 0) {
            return false;
        }
        char c;
        if (read(fd, &c, 1) != 1) {
            return false;
        }
        if (c == '\n') {
            buf[n] = '\0';
            return true;
        }
        if (n + 1 < cap) {
            buf[n++] = c;
        }
    }
}

static void write_all(int fd, const char *s, size_t n, bool bytewise)
{
    while (n) {
        ssize_t w = write(fd, s, bytewise ? 1 : n);
        if (w <= 0) {
            _exit(0); /* the client gave up: its error is what is checked */
        }
        if (bytewise) {
            usleep(50);
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Sleeps @ms milliseconds, or until the client hangs up (then exits). */
static void pause_ms(int fd, int ms)
{
    for (int t = 0; t < ms; t += 10) {
        char c;
        if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
            _exit(0);
        }
        usleep(10000);
    }
}

/* Plays @script on @fd.  Each step starts with its kind:
 *   ">TEXT"  send TEXT in one write      "1TEXT"  send it a byte per write
 *   "<TEXT"  read one request line; it must contain TEXT (exit 3 if not)
 *   "zMS"    sleep MS milliseconds        "x"      hang up now
 * After the last step the peer waits for the client to hang up.
 * Never returns. */
static void play(int fd, const char *const *script)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(20); /* never outlive a failed test */
    char line[4096];
    for (; *script; script++) {
        const char *s = *script + 1;
        switch (**script) {
        case '>': write_all(fd, s, strlen(s), false); break;
        case '1': write_all(fd, s, strlen(s), true); break;
        case '<':
            if (!read_line(fd, line, sizeof(line)) || !strstr(line, s)) {
                _exit(3);
            }
            break;
        case 'z': pause_ms(fd, atoi(s)); break;
        case 'x': close(fd); _exit(0);
        }
    }
    while (read_line(fd, line, sizeof(line))) {
    }
    _exit(0);
}

typedef struct Run {
    char *out;   /* the answer, or NULL */
    Error *err;  /* the error, or NULL */
    int status;  /* the peer's exit status */
    double secs; /* how long the client took */
} Run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* gm__qmp_hmp_fd(@cmd) against a peer playing @script, within @lim. */
static Run converse(const char *const *script, const char *cmd,
                    const GmQmpLimits *lim)
{
    int sv[2];
    ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        play(sv[1], script);
    }
    close(sv[1]);
    Run r = { 0 };
    double t0 = now_s();
    r.out = gm__qmp_hmp_fd(sv[0], "peer", cmd, lim, &r.err);
    r.secs = now_s() - t0;
    close(sv[0]);
    int st;
    ASSERT(waitpid(pid, &st, 0) == pid);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r.out && r.err) {
        test_fail(__FILE__, __LINE__, "both an answer and an error");
    }
    return r;
}

static void expect_answer(Run r, const char *want)
{
    if (!r.out) {
        test_fail(__FILE__, __LINE__, "no answer: %s",
                  r.err ? error_get_pretty(r.err) : "(no error)");
    }
    ASSERT_STR_EQ(r.out, want);
    ASSERT_EQ(r.status, 0);
    free(r.out);
}

/* An error of @code whose message holds @needle, in one line. */
static void expect_error(Run r, GmErrorCode code, const char *needle)
{
    if (r.out) {
        test_fail(__FILE__, __LINE__, "answer '%.60s', expected an error '%s'",
                  r.out, needle);
    }
    ASSERT(r.err);
    const char *msg = error_get_pretty(r.err);
    if (!strstr(msg, needle) || strchr(msg, '\n')) {
        test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", msg, needle);
    }
    ASSERT_EQ(gm_error_code(r.err), code);
    error_free(r.err);
}

/* The bounds of the real client, but seconds made milliseconds. */
static GmQmpLimits quick(void)
{
    GmQmpLimits lim = gm__qmp_default_limits;
    lim.handshake_ms = 1500;
    lim.command_ms = 1200;
    return lim;
}

#define HMP_REQ "\"execute\":\"human-monitor-command\""

/* --- a conversation that works ------------------------------------------------ */

TEST(greeting_capabilities_escapes)
{
    static const char *const script[] = {
        ">" GREET,
        "<{\"execute\": \"qmp_capabilities\"}",
        ">" CAPS_OK,
        "<{" HMP_REQ ",\"arguments\":{\"command-line\":\"info version\"}}",
        ">{\"return\": \"caf\\u00e9 \\ud83d\\ude00\\r\\n\\\"q\\\" \\\\ "
        "\\/\\t\"}\r\n",
        NULL
    };
    Run r = converse(script, "info version", &gm__qmp_default_limits);
    expect_answer(r, "caf\xc3\xa9 \xf0\x9f\x98\x80\r\n\"q\" \\ /\t");
}

TEST(answer_that_is_not_a_string_is_empty)
{
    static const char *const script[] = {
        ">" GREET,   "<qmp_capabilities",   ">" CAPS_OK,
        "<" HMP_REQ, ">{\"return\": {}}\n", NULL
    };
    expect_answer(converse(script, "stop", &gm__qmp_default_limits), "");
}

TEST(events_are_skipped)
{
    /* Before the greeting's answer, between objects of one write, split
     * over writes, and after the answer (left unread). */
    static const char *const script[] = {
        ">" GREET,
        "<qmp_capabilities",
        ">" EVENT EVENT,
        ">" CAPS_OK EVENT,
        "<" HMP_REQ,
        ">{\"event\": \"STOP\", \"data\": {\"nested\": [1, {\"a\": \"}\"}]}}"
        "\n{\"event\": \"RES",
        "z20",
        ">UME\"}\n" EVENT "{\"return\": \"ok\\n\"}\n" EVENT,
        NULL
    };
    expect_answer(converse(script, "info status", &gm__qmp_default_limits),
                  "ok\n");
}

TEST(one_byte_at_a_time)
{
    static const char *const script[] = {
        "1" GREET,
        "<qmp_capabilities",
        "1" EVENT CAPS_OK,
        "<" HMP_REQ,
        "1" EVENT "{\"return\": \"a\\u00e9\\nb\\\"c\\\\\"}\r\n",
        NULL
    };
    GmQmpLimits lim = gm__qmp_default_limits;
    expect_answer(converse(script, "x", &lim), "a\xc3\xa9\nb\"c\\");
    /* And read one byte at a time, whatever the writes. */
    static const char *const script2[] = { ">" GREET,
                                           "<qmp_capabilities",
                                           ">" EVENT CAPS_OK,
                                           "<" HMP_REQ,
                                           ">" EVENT
                                           "{\"return\": \"\\u00e9\\n\"}\r\n",
                                           NULL };
    lim.recv_max = 1;
    expect_answer(converse(script2, "x", &lim), "\xc3\xa9\n");
}

/* --- bounds ------------------------------------------------------------------ */

/* A malloc'd @prefix, @n copies of @c, @suffix. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix);
    char *s = malloc(lp + n + ls + 1);
    ASSERT(s);
    memcpy(s, prefix, lp);
    memset(s + lp, c, n);
    memcpy(s + lp + n, suffix, ls + 1);
    return s;
}

TEST(oversized_messages_are_refused)
{
    /* A greeting over 64 KiB (the real bound). */
    char *big = repeat(">{\"QMP\": \"", 'A', 70000, "\"}\n");
    const char *const s1[] = { big, NULL };
    Run r = converse(s1, "x", &gm__qmp_default_limits);
    expect_error(r, GM_ERR_PARSE,
                 "QMP: 'peer' sent more than 64 KiB in one message while we "
                 "waited for the greeting");
    free(big);
    /* A reply over the reply bound, never ending: refused as soon as the
     * bound is passed, not when the peer stops. */
    GmQmpLimits lim = quick();
    lim.command_ms = 5000;
    lim.reply_max = 4096;
    big = repeat(">{\"return\": \"", 'A', 8192, "");
    const char *const s2[] = { ">" GREET,   "<qmp_capabilities",
                               ">" CAPS_OK, "<" HMP_REQ,
                               big,         "z3000",
                               NULL };
    r = converse(s2, "info mtree", &lim);
    expect_error(r, GM_ERR_PARSE,
                 "sent more than 4 KiB in one message while we waited for "
                 "the answer to 'info mtree'");
    ASSERT(r.secs < 2);
    free(big);
    /* A message exactly at the bound is accepted. */
    lim.reply_max = 4096;
    big = repeat(">{\"return\": \"", 'B', 4096 - 15, "\"}\n");
    ASSERT_EQ(strlen(big) - 1, 4096);
    const char *const s3[] = { ">" GREET,   "<qmp_capabilities",
                               ">" CAPS_OK, "<" HMP_REQ,
                               big,         NULL };
    r = converse(s3, "x", &lim);
    ASSERT(r.out && strlen(r.out) == 4096 - 15);
    free(r.out);
    free(big);
    /* An answer whose text is over its bound though the JSON is not. */
    lim.reply_max = 1 << 20;
    lim.answer_max = 1000;
    big = repeat(">{\"return\": \"", 'C', 1001, "\"}\n");
    const char *const s4[] = { ">" GREET,   "<qmp_capabilities",
                               ">" CAPS_OK, "<" HMP_REQ,
                               big,         NULL };
    expect_error(converse(s4, "info mtree", &lim), GM_ERR_PARSE,
                 "QMP: the answer to 'info mtree' is larger than 1000 bytes");
    free(big);
    /* Nesting deeper than 32 levels. */
    big = repeat(">{\"return\": {\"a\": ", '[', 40, "\n");
    const char *const s5[] = { ">" GREET, "<qmp_capabilities", big, NULL };
    expect_error(converse(s5, "x", &gm__qmp_default_limits), GM_ERR_PARSE,
                 "QMP: malformed answer to qmp_capabilities from 'peer'");
    free(big);
}

/* --- malformed and unexpected -------------------------------------------------- */

/* The error for @reply sent as the answer to the command. */
static void expect_reply_error(const char *reply, GmErrorCode code,
                               const char *needle)
{
    char *step = repeat(">", ' ', 0, reply);
    const char *const script[] = { ">" GREET,   "<qmp_capabilities",
                                   ">" CAPS_OK, "<" HMP_REQ,
                                   step,        NULL };
    expect_error(converse(script, "info mtree -f", &gm__qmp_default_limits),
                 code, needle);
    free(step);
}

TEST(malformed_json_is_refused)
{
    static const char *const bad[] = {
        "{\"return\": \"abc\\u12\"}\n", /* a short \u escape */
        "{\"return\": \"abc\\q\"}\n",   /* an unknown escape */
        "{\"return\": \"x\",}\n",       /* a trailing comma */
        "{\"return\": 'x'}\n",          /* ' is not JSON */
        "{\"return\": \"\xff\xfe\"}\n", /* not UTF-8 */
        "{\"return\" \"x\"}\n",         /* no colon */
        "{\"return\": tru}\n",          /* not a literal */
        "\x01\x02\x03\n",               /* not JSON at all */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_reply_error(bad[i], GM_ERR_PARSE,
                           "QMP: malformed answer to 'info mtree -f' from "
                           "'peer' (");
    }
    /* json-c's reason and the message's start are quoted. */
    expect_reply_error("{\"return\": \"abc\\u12\"}\n", GM_ERR_PARSE,
                       "(invalid string sequence): '{\"return\": "
                       "\"abc\\u12\"}'");
    /* Messages that are JSON but not a reply. */
    expect_reply_error("[1, 2]\n", GM_ERR_PARSE,
                       "QMP: unexpected message from 'peer' while waiting "
                       "for the answer to 'info mtree -f': '[1, 2]'");
    expect_reply_error("{\"greeting\": 1}\n", GM_ERR_PARSE,
                       "unexpected message from 'peer'");
    /* A greeting that is not QMP's. */
    static const char *const smtp[] = { ">220 smtp ready\r\n", "z500", NULL };
    expect_error(converse(smtp, "x", &gm__qmp_default_limits), GM_ERR_PARSE,
                 "QMP: 'peer' did not greet like a QMP server (it said '220 "
                 "smtp ready')");
    static const char *const junk[] = { ">\x16\x03\x01 tls?\n", NULL };
    expect_error(converse(junk, "x", &gm__qmp_default_limits), GM_ERR_PARSE,
                 "did not greet like a QMP server (it said '??? tls?')");
    static const char *const other[] = { ">{\"hello\": 1}\n", NULL };
    expect_error(converse(other, "x", &gm__qmp_default_limits), GM_ERR_PARSE,
                 "did not greet like a QMP server (it said '{\"hello\": 1}')");
}

TEST(qemu_errors_and_nul)
{
    expect_reply_error("{\"error\": {\"class\": \"GenericError\", \"desc\": "
                       "\"no \\u0041 way \\\"x\\\"\"}}\n",
                       GM_ERR_PARSE,
                       "QMP: QEMU refused 'info mtree -f': no A way \"x\"");
    expect_reply_error("{\"error\": {\"desc\": \"two\\nlines\\u0007\"}}\n",
                       GM_ERR_PARSE,
                       "QMP: QEMU refused 'info mtree -f': two?lines?");
    expect_reply_error("{\"error\": 42}\n", GM_ERR_PARSE,
                       "QMP: QEMU refused 'info mtree -f': (no description)");
    expect_reply_error("{\"return\": \"memory-region: x\\n\\u0000 y\"}\n",
                       GM_ERR_PARSE,
                       "QMP: the answer to 'info mtree -f' holds a NUL "
                       "character (at byte 17)");
    /* The capabilities refused. */
    static const char *const script[] = {
        ">" GREET, "<qmp_capabilities",
        ">{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}}\n",
        NULL
    };
    expect_error(converse(script, "x", &gm__qmp_default_limits), GM_ERR_PARSE,
                 "QMP: QEMU refused qmp_capabilities: no");
}

/* --- time ---------------------------------------------------------------------- */

TEST(silent_and_slow_peers_time_out)
{
    GmQmpLimits lim = quick();
    static const char *const silent[] = { "z5000", NULL };
    Run r = converse(silent, "x", &lim);
    ASSERT(r.secs >= 1.49 && r.secs < 4);
    expect_error(r, GM_ERR_IO,
                 "QMP: no greeting from 'peer' within 1500 ms: socket busy? "
                 "(QEMU's QMP socket serves one client at a time)");
    /* Half a greeting, then nothing. */
    static const char *const half[] = { ">{\"QMP\": {\"vers", "z5000", NULL };
    expect_error(converse(half, "x", &lim), GM_ERR_IO,
                 "QMP: 'peer' sent 14 bytes but no complete greeting within "
                 "1500 ms");
    /* Events do not buy time: neither in the handshake... */
    static const char *const ev1[] = {
        ">" GREET, "<qmp_capabilities", ">" EVENT, "z30", ">" EVENT,
        "z30",     ">" EVENT,           "z5000",   NULL
    };
    r = converse(ev1, "x", &lim);
    ASSERT(r.secs < 4);
    expect_error(r, GM_ERR_IO,
                 "QMP: no answer to qmp_capabilities from 'peer' within 1500 "
                 "ms (only 3 events)");
    /* ...nor for a command, whose own bound applies. */
    static const char *const ev2[] = { ">" GREET,   "<qmp_capabilities",
                                       ">" CAPS_OK, "<" HMP_REQ,
                                       ">" EVENT,   "z30",
                                       ">" EVENT,   "z30",
                                       ">" EVENT,   "z30",
                                       ">" EVENT,   "z5000",
                                       NULL };
    r = converse(ev2, "info mtree -f", &lim);
    ASSERT(r.secs >= 1.19 && r.secs < 4);
    expect_error(r, GM_ERR_IO,
                 "QMP: no answer to 'info mtree -f' from 'peer' within 1200 ms "
                 "(only 4 events)");
    /* A reply dribbled too slowly. */
    static const char *const drip[] = {
        ">" GREET, "<qmp_capabilities", ">" CAPS_OK, "<" HMP_REQ, ">{\"ret",
        "z200",    ">urn\": \"",        "z5000",     NULL
    };
    expect_error(converse(drip, "x", &lim), GM_ERR_IO,
                 "QMP: 'peer' sent 12 bytes but no complete answer to 'x' "
                 "within 1200 ms");
}

TEST(peer_hangs_up_early)
{
    static const char *const now[] = { "x", NULL };
    expect_error(converse(now, "x", &gm__qmp_default_limits), GM_ERR_IO,
                 "QMP: 'peer' closed the connection before the greeting (is "
                 "another client using it?)");
    static const char *const mid[] = { ">{\"QMP\": {", "x", NULL };
    expect_error(converse(mid, "x", &gm__qmp_default_limits), GM_ERR_IO,
                 "QMP: 'peer' closed the connection before the greeting was "
                 "complete (9 bytes of it came)");
    static const char *const caps[] = { ">" GREET, "<qmp_capabilities",
                                        ">" EVENT, "x", NULL };
    expect_error(converse(caps, "x", &gm__qmp_default_limits), GM_ERR_IO,
                 "QMP: 'peer' closed the connection before the answer to "
                 "qmp_capabilities");
    static const char *const reply[] = { ">" GREET,
                                         "<qmp_capabilities",
                                         ">" CAPS_OK,
                                         "<" HMP_REQ,
                                         ">{\"return\": \"memory-region",
                                         "x",
                                         NULL };
    expect_error(converse(reply, "info mtree -f", &gm__qmp_default_limits),
                 GM_ERR_IO,
                 "QMP: 'peer' closed the connection before the answer to "
                 "'info mtree -f' was complete (25 bytes of it came)");
}

/* --- the public functions on a unix socket ------------------------------------ */

static char tmpdir[] = "/tmp/gm-test-qmp-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char buf[256];
    if (strstr(tmpdir, "XXXXXX")) {
        ASSERT(mkdtemp(tmpdir));
    }
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

/* A listening socket at @path whose one client gets @script; the peer's
 * pid. */
static pid_t serve_at(const char *path, const char *const *script)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    ASSERT(s >= 0 && strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    ASSERT(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    ASSERT(listen(s, 1) == 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        alarm(20);
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            _exit(4);
        }
        play(c, script);
    }
    close(s);
    return pid;
}

static int reap(pid_t pid)
{
    int st;
    ASSERT(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(hmp_through_a_socket_path)
{
    const char *path = tmp_path("qmp.sock");
    static const char *const script[] = {
        ">" GREET EVENT,
        "<qmp_capabilities",
        ">" CAPS_OK,
        "<\"command-line\":\"info mtree -f\"",
        ">{\"return\": \"FlatView #0\\r\\n\"}\r\n",
        NULL
    };
    pid_t pid = serve_at(path, script);
    Error *err = NULL;
    char *out = gm_qmp_hmp(path, "info mtree -f", &err);
    ASSERT_STR_EQ(out, "FlatView #0\r\n");
    ASSERT(!err);
    free(out);
    ASSERT_EQ(reap(pid), 0);
    unlink(path);
    rmdir(tmpdir);
}

TEST(import_through_a_socket_path)
{
    const char *path = tmp_path("qmp.sock");
    /* The two dumps, JSON-escaped as QEMU sends them. */
    static const char *const script[] = {
        ">" GREET,
        "<qmp_capabilities",
        ">" CAPS_OK,
        "<\"command-line\":\"info mtree -o -D\"",
        ">" EVENT "{\"return\": \"address-space: memory\\r\\n  "
        "0000000000000000-ffffffffffffffff (prio 0, i/o): system\\r\\n    "
        "0000000000000000-0000000000000fff (prio 0, ram): ram\\r\\n\\r\\n\"}"
        "\r\n",
        "<\"command-line\":\"info mtree -f\"",
        ">{\"return\": \"FlatView #0\\r\\n AS \\\"memory\\\", root: "
        "system\\r\\n Root memory region: ram\\r\\n  "
        "0000000000000000-0000000000000fff (prio 0, ram): ram\\r\\n\\r\\n\"}"
        "\r\n",
        NULL
    };
    pid_t pid = serve_at(path, script);
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import_qmp(path, &err);
    if (!imp) {
        test_fail(__FILE__, __LINE__, "import: %s", error_get_pretty(err));
    }
    char *tree = test_mtree(false, false, false, false);
    ASSERT(
        strstr(tree, "0000000000000000-0000000000000fff (prio 0, ram): ram"));
    free(tree);
    gm_mtree_import_free(imp);
    ASSERT_EQ(reap(pid), 0);
    /* A dump the importer refuses: its error, prefixed with qmp:PATH. */
    static const char *const bad[] = { ">" GREET,
                                       "<qmp_capabilities",
                                       ">" CAPS_OK,
                                       "<info mtree -o -D",
                                       ">{\"return\": \"hello\\n\"}\n",
                                       "<info mtree -f",
                                       ">{\"return\": \"\"}\n",
                                       NULL };
    pid = serve_at(path, bad);
    err = NULL;
    ASSERT(!gm_mtree_import_qmp(path, &err));
    const char *msg = error_get_pretty(err);
    if (strncmp(msg, "qmp:", 4) || !strstr(msg, "not an `info mtree` line")) {
        test_fail(__FILE__, __LINE__, "message '%s'", msg);
    }
    ASSERT_EQ(gm_error_code(err), GM_ERR_PARSE);
    error_free(err);
    reap(pid);
    unlink(path);
    rmdir(tmpdir);
}

static void expect_path_error(const char *path, const char *cmd,
                              GmErrorCode code, const char *needle)
{
    Error *err = NULL;
    char *out = gm_qmp_hmp(path, cmd, &err);
    ASSERT(!out);
    if (!strstr(error_get_pretty(err), needle)) {
        test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'",
                  error_get_pretty(err), needle);
    }
    ASSERT_EQ(gm_error_code(err), code);
    error_free(err);
    err = NULL;
    if (cmd && !strcmp(cmd, "info mtree")) {
        ASSERT(!gm_mtree_import_qmp(path, &err));
        ASSERT(strstr(error_get_pretty(err), needle));
        error_free(err);
    }
}

TEST(socket_paths)
{
    expect_path_error("/etc/passwd", "info mtree", GM_ERR_IO,
                      "'/etc/passwd' is not a socket (QEMU makes one with "
                      "-qmp unix:PATH,server=on,wait=off)");
    expect_path_error("/nonexistent/qmp.sock", "info mtree", GM_ERR_IO,
                      "no QMP socket at '/nonexistent/qmp.sock'");
    expect_path_error("", "info mtree", GM_ERR_INVALID_ARG,
                      "QMP socket path missing");
    expect_path_error(NULL, "info mtree", GM_ERR_INVALID_ARG,
                      "QMP socket path missing");
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    expect_path_error(longp, "info mtree", GM_ERR_INVALID_ARG,
                      "longer than 107 bytes");
    /* Commands that could not be sent as they are. */
    expect_path_error("/x", NULL, GM_ERR_INVALID_ARG,
                      "monitor command missing or has quotes");
    expect_path_error("/x", "echo \"hi\"", GM_ERR_INVALID_ARG,
                      "monitor command missing or has quotes");
    expect_path_error("/x", "a\nb", GM_ERR_INVALID_ARG,
                      "monitor command missing or has quotes");
    /* A socket file nobody listens on any more. */
    const char *sock = tmp_path("stale.sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    ASSERT(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    close(s);
    expect_path_error(sock, "info mtree", GM_ERR_IO,
                      "Connection refused (nobody listens: has QEMU exited?)");
    unlink(sock);
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(greeting_capabilities_escapes),
        TEST_ENTRY(answer_that_is_not_a_string_is_empty),
        TEST_ENTRY(events_are_skipped),
        TEST_ENTRY(one_byte_at_a_time),
        TEST_ENTRY(oversized_messages_are_refused),
        TEST_ENTRY(malformed_json_is_refused),
        TEST_ENTRY(qemu_errors_and_nul),
        TEST_ENTRY(silent_and_slow_peers_time_out),
        TEST_ENTRY(peer_hangs_up_early),
        TEST_ENTRY(hmp_through_a_socket_path),
        TEST_ENTRY(import_through_a_socket_path),
        TEST_ENTRY(socket_paths),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
