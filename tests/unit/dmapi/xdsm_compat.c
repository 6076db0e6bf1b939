/*
 * An XDSM program in the style of SGI's samples, xfstests' dmapi suite and LTP's DMAPI bucket,
 * compiled as strict C99 with -Wall -Wextra -Wpedantic -Werror against dmapi.h and run as a test.
 * It uses the idioms those programs rely on: int tokens and session ids compared with == and
 * printed with %d, DMEV_SET on a dm_eventset_t, a dm_eventmsg_t list walked with DM_STEP_TO_NEXT
 * and DM_GET_VALUE, dm_make_handle/dm_handle_to_ino round trips, the global handle.
 * Exit status 0 = every check passed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dmapi.h"

/* Compile-time layout checks in C as well (C99 has no _Static_assert). */
#define C_ASSERT(name, cond) typedef char c_assert_##name[(cond) ? 1 : -1]
C_ASSERT(token_is_int, sizeof(dm_token_t) == sizeof(int));
C_ASSERT(sessid_is_int, sizeof(dm_sessid_t) == sizeof(int));
C_ASSERT(eventset_is_64, sizeof(dm_eventset_t) == 8);
C_ASSERT(eventmsg_size, sizeof(dm_eventmsg_t) == 24);
C_ASSERT(eventmsg_ev_data, offsetof(dm_eventmsg_t, ev_data) == 16);
C_ASSERT(data_event_size, sizeof(dm_data_event_t) == 24);
C_ASSERT(handle_size, sizeof(dm_handle_t) == 24);
C_ASSERT(stat_size, sizeof(dm_stat_t) == 184);
C_ASSERT(event_numbering, DM_EVENT_READ == 16 && DM_EVENT_USER == 22 && DM_EVENT_MAX == 23);

static int failures = 0;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s (errno %d: %s)\n", __FILE__, \
                    __LINE__, #cond, errno, strerror(errno));                      \
            failures++;                                                            \
        }                                                                          \
    } while (0)

/* One synchronous READ event and one asynchronous DESTROY event, built the way dm_get_events
 * returns them: 8-byte aligned messages, each followed by its payload, linked by _link. */
static size_t build_events(char *buf, void *hanp, size_t hlen) {
    dm_eventmsg_t *msg1 = (dm_eventmsg_t *)buf;
    size_t off1 = sizeof(dm_eventmsg_t);
    dm_data_event_t *de = (dm_data_event_t *)(buf + off1);
    size_t len1 = sizeof(dm_eventmsg_t) + sizeof(dm_data_event_t) + hlen;
    dm_eventmsg_t *msg2;
    dm_destroy_event_t *ds;
    size_t off2;

    len1 = (len1 + 7) & ~(size_t)7;
    msg1->_link = (int)len1;
    msg1->ev_type = DM_EVENT_READ;
    msg1->ev_token = 42;
    msg1->ev_sequence = 1;
    msg1->ev_data.vd_offset = (int)off1;
    msg1->ev_data.vd_length = (unsigned int)(sizeof(dm_data_event_t) + hlen);
    de->de_handle.vd_offset = (int)sizeof(dm_data_event_t); /* relative to *de */
    de->de_handle.vd_length = (unsigned int)hlen;
    memcpy((char *)de + sizeof(dm_data_event_t), hanp, hlen);
    de->de_offset = 4096;
    de->de_length = 512;

    msg2 = (dm_eventmsg_t *)(buf + len1);
    off2 = sizeof(dm_eventmsg_t);
    ds = (dm_destroy_event_t *)((char *)msg2 + off2);
    msg2->_link = 0;
    msg2->ev_type = DM_EVENT_DESTROY;
    msg2->ev_token = DM_INVALID_TOKEN; /* asynchronous */
    msg2->ev_sequence = 2;
    msg2->ev_data.vd_offset = (int)off2;
    msg2->ev_data.vd_length = (unsigned int)sizeof(dm_destroy_event_t);
    memset(ds, 0, sizeof *ds);
    memcpy(ds->ds_attrname.an_chars, "DMFattr", 7);
    return len1 + sizeof(dm_eventmsg_t) + sizeof(dm_destroy_event_t);
}

int main(void) {
    char *versionstr = NULL;
    dm_sessid_t sid = DM_NO_SESSION;
    dm_token_t token;
    dm_eventset_t eventlist;
    dm_eventmsg_t *msg;
    dm_fsid_t fsid = 0x5a5a5a5a12345678ULL;
    dm_ino_t ino = 12345, ino2 = 0;
    dm_igen_t igen = 7, igen2 = 0;
    void *hanp = NULL, *hanp2 = NULL, *fshanp = NULL;
    size_t hlen = 0, hlen2 = 0, fshlen = 0, rlen = 0;
    dm_size_t retval = 0;
    unsigned int nelem = 0;
    union {
        double align;
        char bytes[512];
    } buf;
    int nmsgs = 0;
    char sessinfo[] = "xdsm_compat";

    if (dm_init_service(&versionstr) != 0) {
        perror("dm_init_service");
        return 1;
    }
    printf("dm_init_service: %s\n", versionstr);
    CHECK(strcmp(versionstr, DM_VER_STR_CONTENTS) == 0);

    /* Not a rank of a pfs-run job: session and event calls fail with ENOTCONN, outputs
       untouched (tests/integration/dmapi_capi runs them in jobs). */
    errno = 0;
    CHECK(dm_create_session(DM_NO_SESSION, sessinfo, &sid) == -1 && errno == ENOTCONN);
    CHECK(sid == DM_NO_SESSION);
    printf("session id %d\n", sid);

    /* Event sets: bit = event number. */
    DMEV_ZERO(eventlist);
    DMEV_SET(DM_EVENT_READ, eventlist);
    DMEV_SET(DM_EVENT_WRITE, eventlist);
    DMEV_SET(DM_EVENT_TRUNCATE, eventlist);
    CHECK(DMEV_ISSET(DM_EVENT_WRITE, eventlist));
    CHECK(!DMEV_ISSET(DM_EVENT_MOUNT, eventlist));
    CHECK(eventlist == ((1ULL << 16) | (1ULL << 17) | (1ULL << 18)));
    DMEV_CLR(DM_EVENT_WRITE, eventlist);
    CHECK(!DMEV_ISSET(DM_EVENT_WRITE, eventlist));

    /* What the implementation says it supports. */
    CHECK(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_MAX_HANDLE_SIZE, &retval) == 0);
    CHECK(retval == sizeof(dm_handle_t) && retval <= DM_MAX_HANDLE_SIZE);
    CHECK(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &eventlist,
                               &nelem) == 0);
    CHECK(nelem == DM_EVENT_MAX);
    CHECK(DMEV_ISSET(DM_EVENT_USER, eventlist) && !DMEV_ISSET(DM_EVENT_CANCEL, eventlist));

    /* Handles: make, take apart, compare. */
    CHECK(dm_make_handle(&fsid, &ino, &igen, &hanp, &hlen) == 0);
    CHECK(dm_handle_is_valid(hanp, hlen) == DM_TRUE);
    CHECK(dm_handle_to_ino(hanp, hlen, &ino2) == 0 && ino2 == ino);
    CHECK(dm_handle_to_igen(hanp, hlen, &igen2) == 0 && igen2 == igen);
    CHECK(dm_make_handle(&fsid, &ino2, &igen2, &hanp2, &hlen2) == 0);
    CHECK(dm_handle_cmp(hanp, hlen, hanp2, hlen2) == 0);
    CHECK(dm_handle_hash(hanp, hlen) == dm_handle_hash(hanp2, hlen2));
    CHECK(dm_handle_to_fshandle(hanp, hlen, &fshanp, &fshlen) == 0 && fshlen == DM_FSHSIZE);
    CHECK(dm_handle_cmp(hanp, hlen, fshanp, fshlen) != 0);
    errno = 0;
    CHECK(dm_handle_to_ino(fshanp, fshlen, &ino2) == -1 && errno == EBADF);
    CHECK(dm_handle_is_valid(DM_GLOBAL_HANP, DM_GLOBAL_HLEN) == DM_TRUE);
    CHECK(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_GLOBAL_HANP, DM_GLOBAL_HLEN) == 0);
    errno = 0;
    CHECK(dm_handle_to_ino(hanp, hlen - 1, &ino2) == -1 && errno == EINVAL);

    /* An event list, walked the way every DM daemon does. */
    rlen = build_events(buf.bytes, hanp, hlen);
    CHECK(rlen <= sizeof buf.bytes);
    for (msg = (dm_eventmsg_t *)buf.bytes; msg != NULL;
         msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *)) {
        token = msg->ev_token;
        printf("event %d token %d sequence %u\n", (int)msg->ev_type, token, msg->ev_sequence);
        nmsgs++;
        if (msg->ev_type == DM_EVENT_READ) {
            dm_data_event_t *de = DM_GET_VALUE(msg, ev_data, dm_data_event_t *);
            void *ehanp = DM_GET_VALUE(de, de_handle, void *);
            size_t ehlen = DM_GET_LEN(de, de_handle);
            dm_ino_t eino = 0;
            CHECK(token == 42);
            CHECK(token != DM_NO_TOKEN && token != DM_INVALID_TOKEN);
            CHECK(DM_TOKEN_NE(token, DM_INVALID_TOKEN));
            CHECK(de->de_offset == 4096 && de->de_length == 512);
            CHECK(dm_handle_to_ino(ehanp, ehlen, &eino) == 0 && eino == ino);
            CHECK(dm_handle_cmp(ehanp, ehlen, hanp, hlen) == 0);
            /* The daemon would now respond (no job here: ENOTCONN). */
            errno = 0;
            CHECK(dm_respond_event(sid, token, DM_RESP_CONTINUE, 0, 0, NULL) == -1 &&
                  errno == ENOTCONN);
        } else if (msg->ev_type == DM_EVENT_DESTROY) {
            dm_destroy_event_t *ds = DM_GET_VALUE(msg, ev_data, dm_destroy_event_t *);
            CHECK(token == DM_INVALID_TOKEN);
            CHECK(DM_TOKEN_EQ(token, DM_INVALID_TOKEN));
            CHECK(memcmp(ds->ds_attrname.an_chars, "DMFattr", 7) == 0);
        } else {
            CHECK(0 && "unexpected event");
        }
    }
    CHECK(nmsgs == 2);

    dm_handle_free(hanp, hlen);
    dm_handle_free(hanp2, hlen2);
    dm_handle_free(fshanp, fshlen);
    dm_handle_free(DM_GLOBAL_HANP, DM_GLOBAL_HLEN);

    if (failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("xdsm_compat: all checks passed\n");
    return 0;
}
