/*
 * pfs-dm-responder: a small DM application written against dmapi.h only, the way XDSM programs
 * are (it proves they compile and run unchanged). It runs as the program of a dm rank:
 *
 *     pfs-run ... --dm 1 --dm-app pfs-dm-responder -- APP
 *
 * It takes no arguments. Environment:
 *   PFS_DM_SESSION_NAME   session info string (default "pfs-dm-responder"). A session of that
 *                         name that exists and has failed (or is this rank's) is assumed with
 *                         dm_create_session(oldsid) (the same id comes back) and its leftover
 *                         tokens are answered first; a live one of another rank is an error.
 *   PFS_DM_EVENTS         comma list of event names to take dispositions for (mount, create,
 *                         read, write, ...; "all" or unset: every file-system event, "none": no
 *                         disposition). mount takes the global handle; the others the file-system
 *                         handle of PFS_DM_FS_PATH (default "/") from dm_path_to_fshandle, or of
 *                         the hexadecimal fsid in PFS_DM_FSID.
 *   PFS_DM_ABORT_EVENTS   comma list of event names answered DM_RESP_ABORT ...
 *   PFS_DM_ABORT_ERRNO    ... with this errno (default EIO); all others get DM_RESP_CONTINUE.
 *
 * Output, one line per event on stdout:
 *   DM-EVENT type=<name> token=<t> seq=<n> len=<bytes> [source=<rank>] [data="<text>"]
 *            response=<continue|abort(<errno>)|none>
 * plus "DM-RESPONDER ..." lines for the session and its dispositions. It loops on
 * dm_get_events(DM_EV_WAIT) until the job shuts down (libdmapi ends the rank then).
 */
#include <dmapi.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char* const event_names[DM_EVENT_MAX] = {
    "cancel",   "mount",      "preunmount", "unmount",     "debut",  "create",
    "close",    "postcreate", "remove",     "postremove",  "rename", "postrename",
    "link",     "postlink",   "symlink",    "postsymlink", "read",   "write",
    "truncate", "attribute",  "destroy",    "nospace",     "user"};

static const char* env_or(const char* name, const char* def) {
    const char* v = getenv(name);
    return v != NULL && *v != '\0' ? v : def;
}

static const char* event_name(dm_eventtype_t t) {
    return (int)t >= 0 && (int)t < DM_EVENT_MAX ? event_names[t] : "invalid";
}

/* Parses a comma list of event names into *set; returns 0, or -1 naming the bad word. */
static int parse_events(const char* list, dm_eventset_t* set) {
    char word[32];
    const char* p = list;
    DMEV_ZERO(*set);
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int i, found = 0;
        if (n == 0 || n >= sizeof word) {
            fprintf(stderr, "pfs-dm-responder: bad event list '%s'\n", list);
            return -1;
        }
        memcpy(word, p, n);
        word[n] = '\0';
        for (i = 0; i < DM_EVENT_MAX; i++)
            if (strcmp(word, event_names[i]) == 0) {
                DMEV_SET(i, *set);
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "pfs-dm-responder: unknown event '%s' in '%s'\n", word, list);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

/* The events of a file system, as a DM application disposes of them (no user events: they are
   addressed to a session, not disposed). */
static dm_eventset_t all_fs_events(void) {
    dm_eventset_t set;
    int i;
    DMEV_ZERO(set);
    for (i = DM_EVENT_MOUNT; i < DM_EVENT_MAX; i++)
        if (i != DM_EVENT_DEBUT && i != DM_EVENT_USER) DMEV_SET(i, set);
    return set;
}

/* Finds a session by its info string (the hacksm/xfstests idiom); DM_NO_SESSION if none. */
static dm_sessid_t find_session(const char* name) {
    dm_sessid_t sids[256];
    unsigned int n = 0, i;
    char info[DM_SESSION_INFO_LEN];
    size_t rlen;
    if (dm_getall_sessions(sizeof sids / sizeof sids[0], sids, &n) != 0) {
        perror("pfs-dm-responder: dm_getall_sessions");
        return DM_NO_SESSION;
    }
    for (i = 0; i < n; i++)
        if (dm_query_session(sids[i], sizeof info, info, &rlen) == 0 && strcmp(info, name) == 0)
            return sids[i];
    return DM_NO_SESSION;
}

static int respond(dm_sessid_t sid, const dm_eventmsg_t* msg, dm_eventset_t abort_set,
                   int abort_errno) {
    const int abort_it = DMEV_ISSET(msg->ev_type, abort_set);
    if (msg->ev_token == DM_INVALID_TOKEN) {
        printf(" response=none\n");
        return 0;
    }
    if (abort_it)
        printf(" response=abort(%d)\n", abort_errno);
    else
        printf(" response=continue\n");
    if (dm_respond_event(sid, msg->ev_token, abort_it ? DM_RESP_ABORT : DM_RESP_CONTINUE,
                         abort_it ? abort_errno : 0, 0, NULL) != 0) {
        fprintf(stderr, "pfs-dm-responder: dm_respond_event(token %d): %s\n", msg->ev_token,
                strerror(errno));
        return -1;
    }
    return 0;
}

static void print_event(const dm_eventmsg_t* msg) {
    const unsigned int len = DM_GET_LEN(msg, ev_data);
    printf("DM-EVENT type=%s token=%d seq=%u len=%u", event_name(msg->ev_type), msg->ev_token,
           msg->ev_sequence, len);
    /* Event tokens name their source rank: bits 30..19 hold world rank + 1 (dmapi_pfs.h). */
    if (msg->ev_token > 0) printf(" source=%d", (int)((unsigned int)msg->ev_token >> 19) - 1);
    if (msg->ev_type == DM_EVENT_USER && len > 0) {
        const char* d = DM_GET_VALUE(msg, ev_data, const char*);
        unsigned int i;
        printf(" data=\"");
        for (i = 0; i < len && i < 200; i++)
            putchar(d[i] >= 0x20 && d[i] < 0x7f && d[i] != '"' ? d[i] : '.');
        printf("\"");
    }
}

/* Takes dispositions: mount on the global handle, the rest on the file system's handle. */
static void set_dispositions(dm_sessid_t sid, dm_eventset_t wanted) {
    dm_eventset_t mount, fs;
    void* fshanp = NULL;
    size_t fshlen = 0;
    char path[1024];
    const char* fsid_text = getenv("PFS_DM_FSID");
    DMEV_ZERO(mount);
    if (DMEV_ISSET(DM_EVENT_MOUNT, wanted)) DMEV_SET(DM_EVENT_MOUNT, mount);
    fs = wanted;
    DMEV_CLR(DM_EVENT_MOUNT, fs);
    DMEV_CLR(DM_EVENT_USER, fs); /* addressed to a session: no disposition needed */
    if (dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &mount, DM_EVENT_MAX) != 0)
        fprintf(stderr, "pfs-dm-responder: dm_set_disp(mount): %s\n", strerror(errno));
    else
        printf("DM-RESPONDER disp global=%#llx\n", (unsigned long long)mount);
    if (fs == 0) return;
    snprintf(path, sizeof path, "%s", env_or("PFS_DM_FS_PATH", "/"));
    if (dm_path_to_fshandle(path, &fshanp, &fshlen) != 0) {
        dm_fsid_t fsid;
        char* end = NULL;
        if (fsid_text == NULL) {
            fprintf(stderr,
                    "pfs-dm-responder: no file-system handle (dm_path_to_fshandle(%s): %s; "
                    "PFS_DM_FSID not set): no file-system dispositions\n",
                    path, strerror(errno));
            return;
        }
        fsid = (dm_fsid_t)strtoull(fsid_text, &end, 16);
        if (end == fsid_text || *end != '\0' || dm_make_fshandle(&fsid, &fshanp, &fshlen) != 0) {
            fprintf(stderr, "pfs-dm-responder: bad PFS_DM_FSID '%s'\n", fsid_text);
            return;
        }
    }
    if (dm_set_disp(sid, fshanp, fshlen, DM_NO_TOKEN, &fs, DM_EVENT_MAX) != 0)
        fprintf(stderr, "pfs-dm-responder: dm_set_disp(file system): %s\n", strerror(errno));
    else
        printf("DM-RESPONDER disp fs=%#llx\n", (unsigned long long)fs);
    dm_handle_free(fshanp, fshlen);
}

/* Answers the tokens an assumed session still holds (hacksmd's cleanup at start). */
static void handle_leftovers(dm_sessid_t sid, dm_eventset_t abort_set, int abort_errno) {
    dm_token_t tokens[1024];
    unsigned int n = 0, i;
    static union {
        dm_eventmsg_t align;
        char bytes[65536];
    } buf;
    size_t rlen;
    if (dm_getall_tokens(sid, sizeof tokens / sizeof tokens[0], tokens, &n) != 0) {
        perror("pfs-dm-responder: dm_getall_tokens");
        return;
    }
    for (i = 0; i < n; i++) {
        if (dm_find_eventmsg(sid, tokens[i], sizeof buf.bytes, buf.bytes, &rlen) != 0) {
            fprintf(stderr, "pfs-dm-responder: dm_find_eventmsg(%d): %s\n", tokens[i],
                    strerror(errno));
            continue;
        }
        printf("DM-RESPONDER leftover ");
        print_event(&buf.align);
        respond(sid, &buf.align, abort_set, abort_errno);
    }
}

int main(void) {
    char* version = NULL;
    char name[DM_SESSION_INFO_LEN];
    dm_sessid_t sid = DM_NO_SESSION, old;
    dm_eventset_t wanted, abort_set;
    int abort_errno = atoi(env_or("PFS_DM_ABORT_ERRNO", "5")); /* EIO */
    const char* events = env_or("PFS_DM_EVENTS", "all");
    static union {
        dm_eventmsg_t align; /* dm_get_events wants an 8-byte aligned buffer */
        char bytes[65536];
    } buf;

    setvbuf(stdout, NULL, _IOLBF, 0);
    /* First: joining the job is what every rank must do, whatever else goes wrong (a rank that
       never joins holds the others up at start-up). Returning after it is harmless: libdmapi
       keeps this dm rank in the job until its shutdown. */
    if (dm_init_service(&version) != 0) {
        perror("pfs-dm-responder: dm_init_service");
        return 1;
    }
    snprintf(name, sizeof name, "%s", env_or("PFS_DM_SESSION_NAME", "pfs-dm-responder"));
    if (strcmp(events, "all") == 0)
        wanted = all_fs_events();
    else if (strcmp(events, "none") == 0)
        DMEV_ZERO(wanted);
    else if (parse_events(events, &wanted) != 0)
        return 2;
    DMEV_ZERO(abort_set);
    if (getenv("PFS_DM_ABORT_EVENTS") != NULL &&
        parse_events(getenv("PFS_DM_ABORT_EVENTS"), &abort_set) != 0)
        return 2;
    if (abort_errno <= 0) {
        fprintf(stderr, "pfs-dm-responder: PFS_DM_ABORT_ERRNO must be a positive errno\n");
        return 2;
    }
    old = find_session(name);
    if (old != DM_NO_SESSION) {
        if (dm_create_session(old, name, &sid) != 0) {
            fprintf(stderr,
                    "pfs-dm-responder: session '%s' (%d) exists and cannot be assumed: %s\n", name,
                    old, strerror(errno));
            return 1;
        }
        printf("DM-RESPONDER assumed session=%d name=%s\n", sid, name);
    } else {
        if (dm_create_session(DM_NO_SESSION, name, &sid) != 0) {
            perror("pfs-dm-responder: dm_create_session");
            return 1;
        }
        printf("DM-RESPONDER created session=%d name=%s\n", sid, name);
    }
    set_dispositions(sid, wanted);
    handle_leftovers(sid, abort_set, abort_errno);
    printf("DM-RESPONDER ready session=%d\n", sid);

    for (;;) {
        size_t rlen = 0;
        dm_eventmsg_t* msg;
        if (dm_get_events(sid, 0, DM_EV_WAIT, sizeof buf.bytes, buf.bytes, &rlen) != 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            perror("pfs-dm-responder: dm_get_events");
            return 1;
        }
        for (msg = &buf.align; msg != NULL; msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t*)) {
            print_event(msg);
            respond(sid, msg, abort_set, abort_errno);
        }
    }
}
