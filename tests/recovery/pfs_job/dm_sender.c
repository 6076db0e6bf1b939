/*
 * dm-sender: the compute-rank program of the PFS-job recovery test. Written against dmapi.h
 * only: finds the session named by PFS_DM_SESSION_NAME (default "pfs-dm-responder") and sends
 * it COUNT synchronous user messages one after another (each blocks until the DM application
 * answers), then prints "DM-SENDER rank R sent N ok K failed F" and exits 0 when none failed.
 * usage: dm-sender COUNT
 */
#include <dmapi.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static dm_sessid_t find_session(const char* name) {
    int attempt;
    for (attempt = 0; attempt < 6000; ++attempt) {
        dm_sessid_t sids[64];
        unsigned int n = 0, i;
        if (dm_getall_sessions(64, sids, &n) == 0)
            for (i = 0; i < n; ++i) {
                char info[DM_SESSION_INFO_LEN];
                size_t rlen = 0;
                if (dm_query_session(sids[i], sizeof info, info, &rlen) == 0 &&
                    strcmp(info, name) == 0)
                    return sids[i];
            }
        {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return DM_NO_SESSION;
}

int main(int argc, char** argv) {
    char* version = NULL;
    const char* name = getenv("PFS_DM_SESSION_NAME");
    const char* rank = getenv("OMPI_COMM_WORLD_RANK");
    int count = argc > 1 ? atoi(argv[1]) : 100, i, ok = 0, failed = 0;
    dm_sessid_t sid;
    if (name == NULL) name = "pfs-dm-responder";
    if (rank == NULL) rank = "?";
    if (count <= 0) {
        fprintf(stderr, "usage: dm-sender COUNT\n");
        return 2;
    }
    if (dm_init_service(&version) != 0) {
        perror("dm-sender: dm_init_service");
        return 1;
    }
    sid = find_session(name);
    if (sid == DM_NO_SESSION) {
        fprintf(stderr, "dm-sender: no session named %s\n", name);
        return 1;
    }
    for (i = 0; i < count; ++i) {
        char msg[64];
        int len = snprintf(msg, sizeof msg, "r%s-%d", rank, i);
        if (dm_send_msg(sid, DM_MSGTYPE_SYNC, (size_t)len + 1, msg) == 0) {
            ++ok;
        } else {
            ++failed;
            fprintf(stderr, "dm-sender rank %s: message %d: %s\n", rank, i, strerror(errno));
        }
    }
    printf("DM-SENDER rank %s sent %d ok %d failed %d\n", rank, count, ok, failed);
    return failed == 0 ? 0 : 1;
}
