/*
 * dmapi-capi-test --case NAME [--fsid HEX]: the XDSM C API (libdmapi) in real pfs-run jobs. A C
 * program linked to libdmapi only, as a DM application is: it never calls MPI; dm_init_service
 * joins the job. Every rank runs the same case; a failed check prints
 *     DMAPI-CAPI <case> rank <world rank> FAIL <line>: <check> (errno <e>)
 * and every rank that finishes its part prints "DMAPI-CAPI <case> rank <r> PASS" and exits 0
 * (1 on failure: the job's exit code is the compute ranks'). run_case.sh checks both.
 *
 * The rank and the layout come from the environment pfs-run sets (OMPI_COMM_WORLD_RANK,
 * PFS_LAYOUT): XDSM has no notion of either. Ranks coordinate through DMAPI itself: sessions
 * found by name, user messages.
 */
#include <dmapi.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* g_case = "";
static int g_rank = -1;  /* world rank */
static int g_index = -1; /* index among the compute ranks (all ranks of a plain job) */
static int g_ncompute = 0;
static int g_failures = 0;
static dm_fsid_t g_fsid = 0; /* the job's file system (--fsid), 0 in plain jobs */

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            printf("DMAPI-CAPI %s rank %d FAIL %d: %s (errno %d)\n", g_case, g_rank, __LINE__, \
                   #cond, errno);                                                              \
            fflush(stdout);                                                                    \
            g_failures++;                                                                      \
        }                                                                                      \
    } while (0)
/* call must fail with -1 and errno err. */
#define FAILS(call, err)                                                                    \
    do {                                                                                    \
        int rc_;                                                                            \
        errno = 0;                                                                          \
        rc_ = (int)(call);                                                                  \
        if (rc_ != -1 || errno != (err)) {                                                  \
            printf("DMAPI-CAPI %s rank %d FAIL %d: %s gave %d errno %d (%s), want -1 %s\n", \
                   g_case, g_rank, __LINE__, #call, rc_, errno, strerror(errno), #err);     \
            fflush(stdout);                                                                 \
            g_failures++;                                                                   \
        }                                                                                   \
    } while (0)
#define OK(call)                                                                               \
    do {                                                                                       \
        errno = 0;                                                                             \
        if ((call) != 0) {                                                                     \
            printf("DMAPI-CAPI %s rank %d FAIL %d: %s: %s\n", g_case, g_rank, __LINE__, #call, \
                   strerror(errno));                                                           \
            fflush(stdout);                                                                    \
            g_failures++;                                                                      \
        }                                                                                      \
    } while (0)

/* 8-byte aligned buffers, as dm_get_events and dm_getall_disp want. */
typedef union {
    dm_eventmsg_t msg;
    dm_dispinfo_t disp;
    uint64_t align;
    char bytes[65536];
} buffer_t;
static buffer_t g_buf;

static void layout_from_env(void) {
    const char* r = getenv("OMPI_COMM_WORLD_RANK");
    const char* l = getenv("PFS_LAYOUT");
    int meta = 0, data = 0, dm = 0, compute = 0, plain = 0;
    g_rank = r ? atoi(r) : 0;
    if (l && sscanf(l, "plain:%d", &plain) == 1) {
        g_index = g_rank;
        g_ncompute = plain;
    } else if (l &&
               sscanf(l, "meta:%d,data:%d,dm:%d,compute:%d", &meta, &data, &dm, &compute) == 4) {
        g_index = g_rank - (meta + data + dm);
        g_ncompute = compute;
    } else {
        g_index = g_rank;
        g_ncompute = 1;
    }
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The session with this info string, waiting up to 60 s for it to appear (another rank creates
   it); DM_NO_SESSION if it never does. */
static dm_sessid_t wait_session(const char* name) {
    const int64_t until = now_ms() + 60000;
    do {
        dm_sessid_t sids[64];
        unsigned int n = 0, i;
        char info[DM_SESSION_INFO_LEN];
        size_t rlen;
        if (dm_getall_sessions(64, sids, &n) == 0)
            for (i = 0; i < n; i++)
                if (dm_query_session(sids[i], sizeof info, info, &rlen) == 0 &&
                    strcmp(info, name) == 0)
                    return sids[i];
        usleep(10000);
    } while (now_ms() < until);
    printf("DMAPI-CAPI %s rank %d FAIL: session '%s' never appeared\n", g_case, g_rank, name);
    g_failures++;
    return DM_NO_SESSION;
}

/* The source world rank of an event token (dmapi_pfs.h's encoding; pfs-specific). */
static int token_source(dm_token_t t) {
    return (int)((unsigned int)t >> 19) - 1;
}

/* One event, waiting for it (DM_EV_WAIT, maxmsgs 1); its payload copied to text (NUL ended). */
static dm_eventmsg_t* get_one(dm_sessid_t sid, char* text, size_t textlen) {
    size_t rlen = 0;
    dm_eventmsg_t* m = &g_buf.msg;
    if (dm_get_events(sid, 1, DM_EV_WAIT, sizeof g_buf.bytes, g_buf.bytes, &rlen) != 0) {
        CHECK(!"dm_get_events(DM_EV_WAIT)");
        return NULL;
    }
    CHECK(m->_link == 0 && rlen >= sizeof *m);
    if (text) {
        size_t n = DM_GET_LEN(m, ev_data);
        if (n >= textlen) n = textlen - 1;
        memcpy(text, DM_GET_VALUE(m, ev_data, char*), n);
        text[n] = '\0';
    }
    return m;
}

/* ---- before dm_init_service ------------------------------------------------------------- */

static void check_enosys_before_init(void) {
    dm_sessid_t sid = DM_NO_SESSION;
    char info[] = "early";
    size_t rlen;
    FAILS(dm_create_session(DM_NO_SESSION, info, &sid), ENOSYS);
    FAILS(dm_send_msg(1, DM_MSGTYPE_ASYNC, 1, info), ENOSYS);
    FAILS(dm_get_events(1, 0, 0, sizeof g_buf.bytes, g_buf.bytes, &rlen), ENOSYS);
    FAILS(dm_getall_disp(1, sizeof g_buf.bytes, g_buf.bytes, &rlen), ENOSYS);
    CHECK(sid == DM_NO_SESSION);
}

/* ---- sessions (2 ranks) ------------------------------------------------------------------- */

static void case_sessions(void) {
    char info[DM_SESSION_INFO_LEN + 8];
    char name_a[] = "capi-sessions-a", name_a2[] = "capi-sessions-a2";
    char shared[] = "capi-sessions-shared", thief[] = "thief";
    dm_sessid_t a = DM_NO_SESSION, s = DM_NO_SESSION, sids[64];
    unsigned int n = 0;
    size_t rlen = 0;
    if (g_index == 0) {
        char big[DM_SESSION_INFO_LEN + 1];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        FAILS(dm_create_session(DM_NO_SESSION, NULL, &s), EFAULT);
        FAILS(dm_create_session(DM_NO_SESSION, name_a, NULL), EFAULT);
        FAILS(dm_create_session(DM_NO_SESSION, big, &s), E2BIG); /* 256 bytes + NUL */
        big[DM_SESSION_INFO_LEN - 1] = '\0';                     /* 255: the longest */
        OK(dm_create_session(DM_NO_SESSION, big, &s));
        OK(dm_query_session(s, sizeof info, info, &rlen));
        CHECK(rlen == DM_SESSION_INFO_LEN && strcmp(info, big) == 0);
        OK(dm_destroy_session(s));
        FAILS(dm_create_session(-5, name_a, &s), EINVAL);
        FAILS(dm_create_session(99999, name_a, &s), EINVAL);

        OK(dm_create_session(DM_NO_SESSION, name_a, &a));
        CHECK(a > 0);
        FAILS(dm_query_session(a, 3, info, &rlen), E2BIG);
        CHECK(rlen == sizeof name_a);
        FAILS(dm_query_session(a, sizeof info, info, NULL), EFAULT);
        FAILS(dm_query_session(a + 1000, sizeof info, info, &rlen), EINVAL);
        FAILS(dm_query_session(DM_NO_SESSION, sizeof info, info, &rlen), EINVAL);
        OK(dm_query_session(a, sizeof info, info, &rlen));
        CHECK(strcmp(info, name_a) == 0);

        FAILS(dm_getall_sessions(0, sids, &n), E2BIG);
        CHECK(n >= 1);
        FAILS(dm_getall_sessions(64, sids, NULL), EFAULT);
        OK(dm_getall_sessions(64, sids, &n));
        CHECK(n >= 1 && n <= 64);
        {
            unsigned int i, seen = 0;
            for (i = 0; i < n && i < 64; i++) seen += sids[i] == a;
            CHECK(seen == 1);
        }

        /* Assume by the owner: the same id, the new info, the queue kept. */
        OK(dm_create_session(a, name_a2, &s));
        CHECK(s == a);
        OK(dm_query_session(a, sizeof info, info, &rlen));
        CHECK(strcmp(info, name_a2) == 0);

        FAILS(dm_destroy_session(a + 1000), EINVAL);
        OK(dm_destroy_session(a));
        FAILS(dm_query_session(a, sizeof info, info, &rlen), EINVAL);
        FAILS(dm_destroy_session(a), EINVAL);
        FAILS(dm_create_session(a, name_a, &s), EINVAL); /* ids are never reused */

        /* A session the other rank tries to take, destroy and read from. */
        OK(dm_create_session(DM_NO_SESSION, shared, &s));
        {
            char text[64];
            dm_eventmsg_t* m = get_one(s, text, sizeof text);
            if (m) {
                CHECK(m->ev_type == DM_EVENT_USER && strcmp(text, "rank1-done") == 0);
                CHECK(token_source(m->ev_token) == g_rank + 1);
                FAILS(dm_destroy_session(s), EBUSY); /* a token is outstanding */
                OK(dm_respond_event(s, m->ev_token, DM_RESP_CONTINUE, 0, 0, NULL));
            }
        }
        OK(dm_destroy_session(s));
    } else if (g_index == 1) {
        dm_token_t tok = 0;
        s = wait_session(shared);
        if (s == DM_NO_SESSION) return;
        OK(dm_query_session(s, sizeof info, info, &rlen)); /* replicated: any rank */
        FAILS(dm_create_session(s, thief, &a), EBUSY);     /* live, another rank's */
        FAILS(dm_destroy_session(s), EINVAL);              /* only its rank destroys it */
        FAILS(dm_get_events(s, 0, 0, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
        FAILS(dm_respond_event(s, 0x00180001, DM_RESP_CONTINUE, 0, 0, NULL), EINVAL);
        FAILS(dm_getall_tokens(s, 0, NULL, &n), EINVAL);
        FAILS(dm_create_userevent(s, 0, NULL, &tok), EINVAL);
        OK(dm_send_msg(s, DM_MSGTYPE_SYNC, sizeof "rank1-done", "rank1-done"));
    }
}

/* ---- event calls and their errors on one rank ------------------------------------------- */

struct sync_send {
    dm_sessid_t sid;
    const char* text;
    int rc, err;
};

static void* send_sync_thread(void* arg) {
    struct sync_send* s = arg;
    errno = 0;
    s->rc = dm_send_msg(s->sid, DM_MSGTYPE_SYNC, strlen(s->text) + 1, (void*)s->text);
    s->err = errno;
    return NULL;
}

static void case_events(void) {
    char name[] = "capi-events", name2[] = "capi-events-2", text[4096];
    static char big[3961];
    dm_sessid_t s = DM_NO_SESSION, s2 = DM_NO_SESSION;
    dm_token_t t = 0, t2 = 0, r = 0, toks[8];
    unsigned int n = 0;
    size_t rlen = 0;
    dm_eventmsg_t* m;
    dm_size_t maxmsg = 0;
    dm_eventset_t gen = 0;
    if (g_index != 0) return;
    memset(big, 'm', sizeof big);
    OK(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_MAX_MESSAGE_DATA, &maxmsg));
    CHECK(maxmsg == 3960);
    OK(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &gen, &n));
    /* user events and the PFS's file-system events (docs/dmapi-events.md), unmount included;
     * never debut or cancel */
    CHECK(DMEV_ISSET(DM_EVENT_USER, gen) && DMEV_ISSET(DM_EVENT_WRITE, gen) &&
          DMEV_ISSET(DM_EVENT_DESTROY, gen) && DMEV_ISSET(DM_EVENT_UNMOUNT, gen) &&
          !DMEV_ISSET(DM_EVENT_DEBUT, gen) && !DMEV_ISSET(DM_EVENT_CANCEL, gen));

    OK(dm_create_session(DM_NO_SESSION, name, &s));
    /* dm_get_events */
    FAILS(dm_get_events(s, 0, 0, sizeof g_buf.bytes, g_buf.bytes, NULL), EFAULT);
    FAILS(dm_get_events(s, 0, 0, sizeof g_buf.bytes, NULL, &rlen), EFAULT);
    FAILS(dm_get_events(s, 0, 0, 100, g_buf.bytes + 4, &rlen), EFAULT); /* misaligned */
    FAILS(dm_get_events(s, 0, 0x2, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
    FAILS(dm_get_events(s + 1000, 0, 0, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
    FAILS(dm_get_events(s, 0, 0, sizeof g_buf.bytes, g_buf.bytes, &rlen), EAGAIN);

    /* dm_send_msg */
    FAILS(dm_send_msg(s, DM_MSGTYPE_INVALID, 1, "x"), EINVAL);
    FAILS(dm_send_msg(s, (dm_msgtype_t)3, 1, "x"), EINVAL);
    FAILS(dm_send_msg(s, DM_MSGTYPE_ASYNC, sizeof big, big), E2BIG);
    FAILS(dm_send_msg(s, DM_MSGTYPE_ASYNC, 4, NULL), EFAULT);
    FAILS(dm_send_msg(s + 1000, DM_MSGTYPE_ASYNC, 1, "x"), EINVAL);
    OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, 3960, big)); /* the largest */
    OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, sizeof "a1", "a1"));
    OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, 0, NULL));
    m = get_one(s, text, sizeof text);
    if (m) CHECK(DM_GET_LEN(m, ev_data) == 3960 && m->ev_token == DM_INVALID_TOKEN);
    /* Too small for the next one: E2BIG with its size, nothing lost. */
    {
        const size_t need = (sizeof(dm_eventmsg_t) + sizeof "a1" + 7) & ~(size_t)7;
        int tries = 0;
        while (dm_get_events(s, 0, 0, 8, g_buf.bytes, &rlen) == -1 && errno == EAGAIN &&
               tries++ < 6000)
            usleep(10000);
        CHECK(errno == E2BIG && rlen == need);
    }
    rlen = 0;
    OK(dm_get_events(s, 0, DM_EV_WAIT, sizeof g_buf.bytes, g_buf.bytes, &rlen));
    m = &g_buf.msg;
    CHECK(m->ev_type == DM_EVENT_USER && m->ev_token == DM_INVALID_TOKEN);
    CHECK(strcmp(DM_GET_VALUE(m, ev_data, char*), "a1") == 0);
    /* maybe both a1 and the empty one in one call: walk the list */
    {
        int count = 0;
        dm_eventmsg_t* p;
        for (p = m; p != NULL; p = DM_STEP_TO_NEXT(p, dm_eventmsg_t*)) count++;
        if (count == 1) {
            m = get_one(s, NULL, 0);
            if (m) CHECK(DM_GET_LEN(m, ev_data) == 0);
        } else {
            CHECK(count == 2);
        }
    }

    /* A synchronous message from another thread; ABORT(EEXIST) reaches it. */
    {
        pthread_t th;
        struct sync_send ss = {0, "sync-1", 0, 0};
        ss.sid = s;
        CHECK(pthread_create(&th, NULL, send_sync_thread, &ss) == 0);
        m = get_one(s, text, sizeof text);
        if (m) {
            t = m->ev_token;
            CHECK(t > 0 && token_source(t) == g_rank && strcmp(text, "sync-1") == 0);
            OK(dm_getall_tokens(s, 8, toks, &n));
            CHECK(n == 1 && toks[0] == t);
            FAILS(dm_respond_event(s, t, DM_RESP_INVALID, 0, 0, NULL), EINVAL);
            FAILS(dm_respond_event(s, t, DM_RESP_CONTINUE, 5, 0, NULL), EINVAL);
            FAILS(dm_respond_event(s, t, DM_RESP_ABORT, 0, 0, NULL), EINVAL);
            FAILS(dm_respond_event(s, t, DM_RESP_DONTCARE, 0, 0, NULL), EINVAL); /* not mount */
            FAILS(dm_respond_event(s, 1, DM_RESP_CONTINUE, 0, 0, NULL), EINVAL);
            FAILS(dm_respond_event(s + 1000, t, DM_RESP_CONTINUE, 0, 0, NULL), EINVAL);
            OK(dm_respond_event(s, t, DM_RESP_ABORT, EEXIST, 0, NULL));
            FAILS(dm_respond_event(s, t, DM_RESP_CONTINUE, 0, 0, NULL), ESRCH); /* again */
            FAILS(dm_find_eventmsg(s, t, sizeof g_buf.bytes, g_buf.bytes, &rlen), ESRCH);
        }
        pthread_join(th, NULL);
        CHECK(ss.rc == -1 && ss.err == EEXIST);
    }

    /* dm_create_userevent, dm_getall_tokens, dm_find_eventmsg, dm_pending */
    FAILS(dm_create_userevent(s, 4, "user", NULL), EFAULT);
    FAILS(dm_create_userevent(s, sizeof big, big, &t), E2BIG);
    FAILS(dm_create_userevent(s, 4, NULL, &t), EFAULT);
    FAILS(dm_create_userevent(s + 1000, 4, "user", &t), EINVAL);
    OK(dm_create_userevent(s, 4, "user", &t));
    CHECK(t > 0 && token_source(t) == g_rank);
    FAILS(dm_getall_tokens(s, 0, toks, &n), E2BIG);
    CHECK(n == 1);
    FAILS(dm_getall_tokens(s, 8, toks, NULL), EFAULT);
    FAILS(dm_getall_tokens(s + 1000, 8, toks, &n), EINVAL);
    OK(dm_getall_tokens(s, 8, toks, &n));
    CHECK(n == 1 && toks[0] == t);
    FAILS(dm_find_eventmsg(s, t, 8, g_buf.bytes, &rlen), E2BIG);
    CHECK(rlen == ((sizeof(dm_eventmsg_t) + 4 + 7) & ~(size_t)7));
    FAILS(dm_find_eventmsg(s, t, sizeof g_buf.bytes, g_buf.bytes, NULL), EFAULT);
    FAILS(dm_find_eventmsg(s, t, 100, g_buf.bytes + 4, &rlen), EFAULT);
    FAILS(dm_find_eventmsg(s, 1, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
    FAILS(dm_find_eventmsg(s + 1000, t, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
    OK(dm_find_eventmsg(s, t, sizeof g_buf.bytes, g_buf.bytes, &rlen));
    m = &g_buf.msg;
    CHECK(m->ev_type == DM_EVENT_USER && m->ev_token == t && DM_GET_LEN(m, ev_data) == 4);
    CHECK(memcmp(DM_GET_VALUE(m, ev_data, char*), "user", 4) == 0);
    OK(dm_pending(s, t, NULL));
    FAILS(dm_pending(s, 1, NULL), EINVAL);
    FAILS(dm_pending(s + 1000, t, NULL), EINVAL);

    /* dm_move_event: the same token, now on the other session. */
    OK(dm_create_session(DM_NO_SESSION, name2, &s2));
    FAILS(dm_move_event(s, t, s2, NULL), EFAULT);
    FAILS(dm_move_event(s, t, s2 + 1000, &r), EINVAL);
    FAILS(dm_move_event(s, 1, s2, &r), EINVAL);
    OK(dm_move_event(s, t, s2, &r));
    CHECK(r == t);
    OK(dm_getall_tokens(s, 8, toks, &n));
    CHECK(n == 0);
    OK(dm_getall_tokens(s2, 8, toks, &n));
    CHECK(n == 1 && toks[0] == t);
    FAILS(dm_respond_event(s, t, DM_RESP_CONTINUE, 0, 0, NULL), EINVAL); /* not s's any more */
    FAILS(dm_destroy_session(s2), EBUSY);
    OK(dm_respond_event(s2, t, DM_RESP_CONTINUE, 0, 0, NULL));
    FAILS(dm_pending(s2, t, NULL), ESRCH);
    OK(dm_create_userevent(s, 0, NULL, &t2));
    OK(dm_respond_event(s, t2, DM_RESP_ABORT, EIO, 0, NULL));
    OK(dm_destroy_session(s2));
    OK(dm_destroy_session(s));
    FAILS(dm_get_events(s, 0, 0, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
}

/* ---- dispositions ------------------------------------------------------------------------- */

static void make_fshandle(dm_fsid_t fsid, void** hanp, size_t* hlen) {
    OK(dm_make_fshandle(&fsid, hanp, hlen));
}

/* getall_disp of sid must be one record {g_fsid, want}, or nothing when want is 0. */
static void expect_disp(dm_sessid_t sid, dm_eventset_t want) {
    size_t rlen = 99;
    dm_dispinfo_t* d = &g_buf.disp;
    OK(dm_getall_disp(sid, sizeof g_buf.bytes, g_buf.bytes, &rlen));
    if (want == 0) {
        CHECK(rlen == 0);
        return;
    }
    CHECK(rlen == 32);
    if (rlen != 32) return;
    CHECK(d->_link == 0 && DM_STEP_TO_NEXT(d, dm_dispinfo_t*) == NULL);
    CHECK(DM_GET_LEN(d, di_fshandle) == sizeof(dm_fsid_t));
    {
        dm_fsid_t f = 0;
        memcpy(&f, DM_GET_VALUE(d, di_fshandle, void*), sizeof f);
        CHECK(f == g_fsid);
        CHECK(dm_handle_to_fsid(DM_GET_VALUE(d, di_fshandle, void*), DM_GET_LEN(d, di_fshandle),
                                &f) == 0 &&
              f == g_fsid);
    }
    if (d->di_eventset != want)
        printf("DMAPI-CAPI %s rank %d: disposition of %d is %#llx, want %#llx\n", g_case, g_rank,
               sid, (unsigned long long)d->di_eventset, (unsigned long long)want);
    CHECK(d->di_eventset == want);
}

/* Argument checks of dm_set_disp / dm_getall_disp; in a plain job (no file system) too. */
static void case_disp(void) {
    char name[] = "capi-disp";
    dm_sessid_t s;
    dm_eventset_t set;
    void *fsh = NULL, *fh = NULL;
    size_t fshlen = 0, fhlen = 0, rlen = 0;
    dm_fsid_t fsid = g_fsid ? g_fsid : 0x1234;
    dm_ino_t ino = 5;
    dm_igen_t gen = 1;
    if (g_index != 0) return;
    OK(dm_create_session(DM_NO_SESSION, name, &s));
    make_fshandle(fsid, &fsh, &fshlen);
    OK(dm_make_handle(&fsid, &ino, &gen, &fh, &fhlen));
    DMEV_ZERO(set);
    DMEV_SET(DM_EVENT_MOUNT, set);
    FAILS(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, NULL, DM_EVENT_MAX), EFAULT);
    FAILS(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, 0), EINVAL);
    FAILS(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_MAX + 1),
          EINVAL);
    FAILS(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, 7, &set, DM_EVENT_MAX), EINVAL);
    FAILS(dm_set_disp(s + 1000, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_MAX),
          EINVAL);
    FAILS(dm_set_disp(s, fh, fhlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL); /* file handle */
    FAILS(dm_set_disp(s, fsh, 7, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);    /* malformed */
    FAILS(dm_set_disp(s, NULL, 8, DM_NO_TOKEN, &set, DM_EVENT_MAX), EFAULT);
    OK(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_MAX));
    DMEV_SET(DM_EVENT_READ, set); /* only mount on the global handle */
    FAILS(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
    OK(dm_set_disp(s, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_READ));
    DMEV_ZERO(set);
    DMEV_SET(DM_EVENT_READ, set);
    if (g_fsid == 0) {
        FAILS(dm_set_disp(s, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EBADF); /* no fs */
    } else {
        void* other = NULL;
        size_t otherlen = 0;
        make_fshandle(g_fsid + 1, &other, &otherlen);
        FAILS(dm_set_disp(s, other, otherlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EBADF);
        dm_handle_free(other, otherlen);
        FAILS(dm_set_disp(s, fsh, fshlen, 3, &set, DM_EVENT_MAX), EINVAL); /* token */
        DMEV_SET(DM_EVENT_MOUNT, set);
        FAILS(dm_set_disp(s, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
        DMEV_ZERO(set);
        DMEV_SET(DM_EVENT_USER, set);
        FAILS(dm_set_disp(s, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
        DMEV_ZERO(set);
        DMEV_SET(DM_EVENT_DEBUT, set);
        FAILS(dm_set_disp(s, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
        DMEV_ZERO(set);
        DMEV_SET(DM_EVENT_READ, set);
        DMEV_SET(DM_EVENT_CLOSE, set);
        OK(dm_set_disp(s, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX));
        FAILS(dm_getall_disp(s, 31, g_buf.bytes, &rlen), E2BIG);
        CHECK(rlen == 32);
        FAILS(dm_getall_disp(s, sizeof g_buf.bytes, NULL, &rlen), EFAULT);
        FAILS(dm_getall_disp(s, 100, g_buf.bytes + 4, &rlen), EFAULT);
        expect_disp(s, set);
    }
    FAILS(dm_getall_disp(s, sizeof g_buf.bytes, g_buf.bytes, NULL), EFAULT);
    FAILS(dm_getall_disp(s + 1000, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
    if (g_fsid == 0) expect_disp(s, 0); /* the mount disposition is not listed */
    dm_handle_free(fsh, fshlen);
    dm_handle_free(fh, fhlen);
    OK(dm_destroy_session(s));
}

/* Two sessions on two ranks split the file system's events (PFS job, --fsid). SGI's rule: one
   session per event, the last dm_set_disp takes it. */
static void case_split_disp(void) {
    char name_a[] = "capi-split-a", name_b[] = "capi-split-b";
    dm_sessid_t a, b, s;
    dm_eventset_t set_a, set_b, left;
    void* fsh = NULL;
    size_t fshlen = 0;
    DMEV_ZERO(set_a);
    DMEV_SET(DM_EVENT_READ, set_a);
    DMEV_SET(DM_EVENT_WRITE, set_a);
    DMEV_SET(DM_EVENT_CREATE, set_a);
    DMEV_ZERO(set_b);
    DMEV_SET(DM_EVENT_WRITE, set_b);
    DMEV_SET(DM_EVENT_TRUNCATE, set_b);
    left = set_a;
    DMEV_CLR(DM_EVENT_WRITE, left);
    if (g_fsid == 0) {
        CHECK(!"split_disp needs --fsid");
        return;
    }
    make_fshandle(g_fsid, &fsh, &fshlen);
    if (g_index == 0) {
        char text[64];
        dm_eventmsg_t* m;
        OK(dm_create_session(DM_NO_SESSION, name_a, &a));
        OK(dm_set_disp(a, fsh, fshlen, DM_NO_TOKEN, &set_a, DM_EVENT_MAX));
        expect_disp(a, set_a);
        m = get_one(a, text, sizeof text); /* rank 1 took its part */
        if (m) {
            const dm_token_t t = m->ev_token; /* expect_disp reuses the buffer */
            CHECK(strcmp(text, "split-done") == 0);
            expect_disp(a, left);
            b = wait_session(name_b);
            expect_disp(b, set_b); /* another rank's session, seen from here */
            OK(dm_respond_event(a, t, DM_RESP_CONTINUE, 0, 0, NULL));
        }
        DMEV_ZERO(set_a);
        OK(dm_set_disp(a, fsh, fshlen, DM_NO_TOKEN, &set_a, DM_EVENT_MAX));
        expect_disp(a, 0);
        m = get_one(a, text, sizeof text); /* rank 1 is done with b */
        if (m) {
            CHECK(strcmp(text, "b-destroyed") == 0);
            OK(dm_respond_event(a, m->ev_token, DM_RESP_CONTINUE, 0, 0, NULL));
        }
        OK(dm_destroy_session(a));
    } else if (g_index == 1) {
        size_t rlen;
        a = wait_session(name_a);
        /* wait until a's disposition is in place */
        {
            const int64_t until = now_ms() + 60000;
            while (now_ms() < until &&
                   !(dm_getall_disp(a, sizeof g_buf.bytes, g_buf.bytes, &rlen) == 0 && rlen == 32))
                usleep(10000);
        }
        expect_disp(a, set_a);
        OK(dm_create_session(DM_NO_SESSION, name_b, &b));
        OK(dm_set_disp(b, fsh, fshlen, DM_NO_TOKEN, &set_b, DM_EVENT_MAX));
        expect_disp(b, set_b);
        expect_disp(a, left);
        OK(dm_send_msg(a, DM_MSGTYPE_SYNC, sizeof "split-done", "split-done"));
        OK(dm_destroy_session(b));
        s = b;
        FAILS(dm_getall_disp(s, sizeof g_buf.bytes, g_buf.bytes, &rlen), EINVAL);
        OK(dm_send_msg(a, DM_MSGTYPE_SYNC, sizeof "b-destroyed", "b-destroyed"));
    }
    dm_handle_free(fsh, fshlen);
}

/* The file-system disposition set of sid (0: no record). */
static dm_eventset_t disp_of(dm_sessid_t sid) {
    size_t rlen = 0;
    if (dm_getall_disp(sid, sizeof g_buf.bytes, g_buf.bytes, &rlen) != 0 || rlen == 0) return 0;
    return g_buf.disp.di_eventset;
}

/* Waits until every rank made the session "capi-race-<step>-<index>" (a barrier through the
   replicated session table; libdmapi has no other). */
static void race_barrier(const char* step) {
    char name[48];
    dm_sessid_t s;
    int i;
    snprintf(name, sizeof name, "capi-race-%s-%d", step, g_index);
    OK(dm_create_session(DM_NO_SESSION, name, &s));
    for (i = 0; i < g_ncompute; i++) {
        snprintf(name, sizeof name, "capi-race-%s-%d", step, i);
        (void)wait_session(name);
    }
}

/* Every compute rank has a session and, all at the same moment, sets its dispositions 50 times: its
   own event, plus one shared event (attribute) that each call takes from the others. Each call is
   one update at the session manager, so afterwards every session still has its own event and
   exactly one has the shared one. (A read-modify-write at the caller, as before, let a rank's
   take-away write back another session's older set, dropping that session's own event.) */
static void case_disp_race(void) {
    static const dm_eventtype_t own[] = {DM_EVENT_READ,   DM_EVENT_WRITE,  DM_EVENT_TRUNCATE,
                                         DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME};
    const int n = g_ncompute;
    dm_sessid_t sids[6];
    char name[48];
    void* fsh = NULL;
    size_t fshlen = 0;
    int i, holders = 0;
    if (g_fsid == 0 || n > 6) {
        CHECK(!"disp_race needs --fsid and at most 6 compute ranks");
        return;
    }
    make_fshandle(g_fsid, &fsh, &fshlen);
    snprintf(name, sizeof name, "capi-race-%d", g_index);
    OK(dm_create_session(DM_NO_SESSION, name, &sids[g_index]));
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof name, "capi-race-%d", i);
        sids[i] = wait_session(name);
    }
    race_barrier("start");
    for (i = 0; i < 50; i++) {
        dm_eventset_t set;
        DMEV_ZERO(set);
        DMEV_SET(own[g_index], set);
        DMEV_SET(DM_EVENT_ATTRIBUTE, set);
        OK(dm_set_disp(sids[g_index], fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX));
    }
    race_barrier("done");
    for (i = 0; i < n; i++) {
        const dm_eventset_t d = disp_of(sids[i]);
        if (!DMEV_ISSET(own[i], d))
            printf("DMAPI-CAPI %s rank %d: session of rank %d lost its own event (set %#llx)\n",
                   g_case, g_rank, i, (unsigned long long)d);
        CHECK(DMEV_ISSET(own[i], d));
        holders += DMEV_ISSET(DM_EVENT_ATTRIBUTE, d) ? 1 : 0;
    }
    CHECK(holders == 1);
    race_barrier("checked");
    dm_handle_free(fsh, fshlen);
}

/* ---- messages from every rank to one session ---------------------------------------------- */

enum { kSyncPerRank = 20, kAsyncPerRank = 20 };

static void case_send(void) {
    char name[] = "capi-send";
    if (g_index == 0) {
        const int senders = g_ncompute - 1;
        const int want = senders * (kSyncPerRank + kAsyncPerRank);
        static unsigned char seen[64][2]
                                 [kSyncPerRank > kAsyncPerRank ? kSyncPerRank : kAsyncPerRank];
        int got = 0, r, i, k;
        dm_sessid_t s;
        OK(dm_create_session(DM_NO_SESSION, name, &s));
        while (got < want) {
            size_t rlen = 0;
            dm_eventmsg_t* m;
            if (dm_get_events(s, 0, DM_EV_WAIT, sizeof g_buf.bytes, g_buf.bytes, &rlen) != 0) {
                CHECK(!"dm_get_events");
                break;
            }
            for (m = &g_buf.msg; m != NULL; m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                char kind = 0;
                int src = -1, idx = -1, ab = 0;
                const char* text = DM_GET_VALUE(m, ev_data, const char*);
                got++;
                CHECK(m->ev_type == DM_EVENT_USER);
                if (sscanf(text, "r%d %c%d", &src, &kind, &idx) != 3 || src < 0 || src >= 64 ||
                    idx < 0 || idx >= kSyncPerRank) {
                    CHECK(!"malformed message");
                    continue;
                }
                ab = strstr(text, "abort") != NULL;
                if (kind == 's') {
                    CHECK(m->ev_token > 0 && token_source(m->ev_token) == src);
                    seen[src][0][idx]++;
                    OK(dm_respond_event(s, m->ev_token, ab ? DM_RESP_ABORT : DM_RESP_CONTINUE,
                                        ab ? EEXIST : 0, 0, NULL));
                } else {
                    CHECK(kind == 'a' && m->ev_token == DM_INVALID_TOKEN);
                    seen[src][1][idx]++;
                }
            }
        }
        CHECK(got == want);
        for (r = 0; r < g_ncompute && r < 64; r++)
            for (k = 0; k < 2; k++)
                for (i = 0; i < (k ? kAsyncPerRank : kSyncPerRank); i++)
                    if (seen[r][k][i] != (r == g_rank ? 0 : 1)) {
                        printf("DMAPI-CAPI %s rank %d FAIL: message r%d %c%d seen %d times\n",
                               g_case, g_rank, r, k ? 'a' : 's', i, seen[r][k][i]);
                        g_failures++;
                    }
        {
            unsigned int n = 99;
            dm_token_t toks[4];
            OK(dm_getall_tokens(s, 4, toks, &n));
            CHECK(n == 0);
        }
        OK(dm_destroy_session(s));
        printf("DMAPI-CAPI %s rank %d received %d messages from %d ranks\n", g_case, g_rank, got,
               senders);
    } else {
        const dm_sessid_t s = wait_session(name);
        char text[64];
        int i;
        if (s == DM_NO_SESSION) return;
        for (i = 0; i < kSyncPerRank || i < kAsyncPerRank; i++) {
            if (i < kSyncPerRank) {
                const int ab = i % 5 == 4;
                snprintf(text, sizeof text, "r%d s%d%s", g_rank, i, ab ? " abort" : "");
                if (ab)
                    FAILS(dm_send_msg(s, DM_MSGTYPE_SYNC, strlen(text) + 1, text), EEXIST);
                else
                    OK(dm_send_msg(s, DM_MSGTYPE_SYNC, strlen(text) + 1, text));
            }
            if (i < kAsyncPerRank) {
                snprintf(text, sizeof text, "r%d a%d", g_rank, i);
                OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, strlen(text) + 1, text));
            }
        }
    }
}

/* ---- assume by the owner with an outstanding token; another rank is refused -------------- */

static void case_assume_owner(void) {
    char name[] = "capi-assume", name2[] = "capi-assume-2", thief[] = "thief";
    char info[DM_SESSION_INFO_LEN];
    size_t rlen;
    dm_sessid_t s, s2;
    if (g_index == 0) {
        char text[64];
        dm_eventmsg_t* m;
        dm_token_t t, toks[4];
        unsigned int n = 0;
        OK(dm_create_session(DM_NO_SESSION, name, &s));
        m = get_one(s, text, sizeof text);
        if (!m) return;
        t = m->ev_token;
        CHECK(strcmp(text, "hold") == 0 && t > 0);
        OK(dm_create_session(s, name2, &s2)); /* assume: same id, token kept */
        CHECK(s2 == s);
        OK(dm_getall_tokens(s, 4, toks, &n));
        CHECK(n == 1 && toks[0] == t);
        OK(dm_find_eventmsg(s, t, sizeof g_buf.bytes, g_buf.bytes, &rlen));
        OK(dm_query_session(s, sizeof info, info, &rlen));
        CHECK(strcmp(info, name2) == 0);
        m = get_one(s, text, sizeof text); /* the other rank was refused */
        if (m) CHECK(strcmp(text, "go") == 0 && m->ev_token == DM_INVALID_TOKEN);
        OK(dm_respond_event(s, t, DM_RESP_CONTINUE, 0, 0, NULL));
        OK(dm_destroy_session(s));
    } else if (g_index == 1) {
        pthread_t th;
        struct sync_send ss = {0, "hold", 0, 0};
        int64_t until = now_ms() + 60000;
        s = wait_session(name);
        if (s == DM_NO_SESSION) return;
        ss.sid = s;
        CHECK(pthread_create(&th, NULL, send_sync_thread, &ss) == 0);
        while (now_ms() < until &&
               !(dm_query_session(s, sizeof info, info, &rlen) == 0 && strcmp(info, name2) == 0))
            usleep(10000);
        CHECK(strcmp(info, name2) == 0);
        FAILS(dm_create_session(s, thief, &s2), EBUSY);
        OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, sizeof "go", "go"));
        pthread_join(th, NULL);
        CHECK(ss.rc == 0);
    }
}

/* ---- a rank dies; the others carry on (libdmapi's FailurePolicy::continue_job) ------------- */

static void case_survive(void) {
    char name[] = "capi-survive", name2[] = "capi-survive-r2";
    dm_sessid_t s, s2;
    char text[64];
    if (g_index == 0) {
        int i;
        OK(dm_create_session(DM_NO_SESSION, name, &s));
        for (i = 0; i < 2; i++) {
            dm_eventmsg_t* m = get_one(s, text, sizeof text);
            if (!m) break;
            CHECK(strcmp(text, i == 0 ? "r2 dying" : "r1 after") == 0);
            OK(dm_respond_event(s, m->ev_token, DM_RESP_CONTINUE, 0, 0, NULL));
        }
        OK(dm_destroy_session(s));
    } else if (g_index == 2) {
        OK(dm_create_session(DM_NO_SESSION, name2, &s2));
        s = wait_session(name);
        OK(dm_send_msg(s, DM_MSGTYPE_SYNC, sizeof "r2 dying", "r2 dying"));
        printf("DMAPI-CAPI %s rank %d PASS\n", g_case, g_rank);
        kill(getpid(), SIGKILL);
    } else if (g_index == 1) {
        s2 = wait_session(name2);
        s = wait_session(name);
        /* rank 2 never reads its session: this waits until rank 2 is dead, then fails with EIO
           (the session's rank failed: dmapiSessionFailureTimeout 0) */
        FAILS(dm_send_msg(s2, DM_MSGTYPE_SYNC, sizeof "to r2", "to r2"), EIO);
        OK(dm_send_msg(s, DM_MSGTYPE_SYNC, sizeof "r1 after", "r1 after"));
    }
}

/* ---- measurement (not a test): synchronous dm_send_msg round trips through the C API -------
 * rank 1 sends g_iters 64-byte SYNC messages to a session on rank 0, whose loop answers each
 * (dm_get_events DM_EV_WAIT + dm_respond_event CONTINUE); p50 and mean in us. Compare with
 * dmapi-event-bench (the C++ core and an MPI ping-pong baseline) run beside it, same size. */

static int g_iters = 2000;

static int cmp_double(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

static void case_bench(void) {
    char name[] = "capi-bench";
    const int warmup = 100, total = g_iters + warmup;
    char msg[64];
    memset(msg, 'b', sizeof msg);
    if (g_index == 0) {
        dm_sessid_t s;
        int i;
        OK(dm_create_session(DM_NO_SESSION, name, &s));
        for (i = 0; i < total; i++) {
            dm_eventmsg_t* m = get_one(s, NULL, 0);
            if (!m) break;
            OK(dm_respond_event(s, m->ev_token, DM_RESP_CONTINUE, 0, 0, NULL));
        }
        OK(dm_destroy_session(s));
    } else if (g_index == 1) {
        const dm_sessid_t s = wait_session(name);
        double *us = calloc((size_t)g_iters, sizeof *us), sum = 0;
        int i;
        if (s == DM_NO_SESSION || us == NULL) return;
        for (i = 0; i < total; i++) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            OK(dm_send_msg(s, DM_MSGTYPE_SYNC, sizeof msg, msg));
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (i >= warmup)
                sum += us[i - warmup] =
                    (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
        }
        qsort(us, (size_t)g_iters, sizeof *us, cmp_double);
        printf("DMAPI-CAPI-BENCH sync_rtt_us p50=%.1f mean=%.1f iters=%d size=%zu\n",
               us[g_iters / 2], sum / g_iters, g_iters, sizeof msg);
        free(us);
    }
}

/* ---- a PFS job with pfs-dm-responder on the dm rank ---------------------------------------- */

static void case_responder(int expect_abort) {
    const dm_sessid_t s = wait_session("pfs-dm-responder");
    char text[64];
    dm_eventset_t fs_events = 0;
    size_t rlen = 0;
    int i;
    if (s == DM_NO_SESSION) return;
    for (i = DM_EVENT_PREUNMOUNT; i < DM_EVENT_MAX; i++)
        if (i != DM_EVENT_DEBUT && i != DM_EVENT_USER) DMEV_SET(i, fs_events);
    if (g_fsid) {
        /* the responder's dispositions, read on this compute rank */
        const int64_t until = now_ms() + 60000;
        while (now_ms() < until &&
               !(dm_getall_disp(s, sizeof g_buf.bytes, g_buf.bytes, &rlen) == 0 && rlen == 32))
            usleep(10000);
        expect_disp(s, fs_events);
    }
    snprintf(text, sizeof text, "hello from r%d", g_rank);
    if (expect_abort)
        FAILS(dm_send_msg(s, DM_MSGTYPE_SYNC, strlen(text) + 1, text), EEXIST);
    else
        OK(dm_send_msg(s, DM_MSGTYPE_SYNC, strlen(text) + 1, text));
    snprintf(text, sizeof text, "async from r%d", g_rank);
    OK(dm_send_msg(s, DM_MSGTYPE_ASYNC, strlen(text) + 1, text));
}

int main(int argc, char** argv) {
    char* version = NULL;
    int i, code = 0;
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--case") == 0)
            g_case = argv[i + 1];
        else if (strcmp(argv[i], "--fsid") == 0)
            g_fsid = (dm_fsid_t)strtoull(argv[i + 1], NULL, 16);
        else if (strcmp(argv[i], "--iters") == 0)
            g_iters = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 1;
        else if (strcmp(argv[i], "--exit-code") == 0)
            code = atoi(argv[i + 1]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    layout_from_env();
    check_enosys_before_init();
    if (dm_init_service(&version) != 0) {
        printf("DMAPI-CAPI %s rank %d FAIL: dm_init_service: %s\n", g_case, g_rank,
               strerror(errno));
        return 1;
    }
    CHECK(strcmp(version, DM_VER_STR_CONTENTS) == 0);
    if (strcmp(g_case, "sessions") == 0)
        case_sessions();
    else if (strcmp(g_case, "events") == 0)
        case_events();
    else if (strcmp(g_case, "disp") == 0)
        case_disp();
    else if (strcmp(g_case, "split_disp") == 0)
        case_split_disp();
    else if (strcmp(g_case, "disp_race") == 0)
        case_disp_race();
    else if (strcmp(g_case, "send") == 0)
        case_send();
    else if (strcmp(g_case, "assume_owner") == 0)
        case_assume_owner();
    else if (strcmp(g_case, "bench") == 0)
        case_bench();
    else if (strcmp(g_case, "survive") == 0)
        case_survive();
    else if (strcmp(g_case, "responder") == 0)
        case_responder(0);
    else if (strcmp(g_case, "responder_abort") == 0)
        case_responder(1);
    else if (strcmp(g_case, "no_dmapi") == 0) {
        /* a PFS job without dm ranks: a rank of the job, but no session service */
        dm_sessid_t sid = DM_NO_SESSION;
        char info[] = "nodmapi";
        dm_size_t v = 0;
        FAILS(dm_create_session(DM_NO_SESSION, info, &sid), ENOTCONN);
        FAILS(dm_send_msg(1, DM_MSGTYPE_ASYNC, 1, info), ENOTCONN);
        OK(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_MAX_HANDLE_SIZE, &v));
        CHECK(v == sizeof(dm_handle_t) && sid == DM_NO_SESSION);
    } else if (strcmp(g_case, "exit_code") == 0) {
        /* main's return value becomes the job's exit code (libdmapi's on_exit -> Job::finish) */
        printf("DMAPI-CAPI %s rank %d PASS\n", g_case, g_rank);
        return g_index == g_ncompute - 1 ? code : 0;
    } else {
        printf("DMAPI-CAPI %s rank %d FAIL: unknown case\n", g_case, g_rank);
        return 2;
    }
    if (g_failures == 0) printf("DMAPI-CAPI %s rank %d PASS\n", g_case, g_rank);
    return g_failures ? 1 : 0;
}
