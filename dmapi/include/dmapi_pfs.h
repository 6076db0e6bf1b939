/*
 * dmapi_pfs.h: pfs-dmapi extensions to the SGI-compatible dmapi.h. Nothing here is part of XDSM
 * or of SGI's header; portable DM applications do not need it. Usable from C99 and C++.
 *
 * Contents:
 *   - the handle lengths this implementation produces;
 *   - the event set pfs-dmapi supports (what dm_get_config_events reports);
 *   - the token encoding (docs/dmapi.md "Tokens"): a token names its source rank and a per-rank
 *     sequence number in 31 bits, as the session layer (dmapi/session) allocates them.
 */
#ifndef PFS_DMAPI_PFS_H
#define PFS_DMAPI_PFS_H

#include "dmapi.h"

/* ---- Handles -------------------------------------------------------------------------------- */

/* A file (object) handle: a whole dm_handle_t. */
#define DM_PFS_HANDLE_LEN ((size_t)sizeof(dm_handle_t)) /* 24 */
/* A file-system handle: the fsid only. */
#define DM_PFS_FSHANDLE_LEN ((size_t)sizeof(dm_fsid_t)) /* 8 */
/* dm_fid_len of a file handle: the bytes of dm_fid_t after the length field. */
#define DM_PFS_FID_LEN ((uint16_t)(sizeof(dm_fid_t) - sizeof(uint16_t))) /* 14 */

/* ---- Events --------------------------------------------------------------------------------- */

#define DM_PFS_EVENT_BIT(ev) ((dm_eventset_t)1 << (ev))

/* Every event number XDSM defines (bits 0 .. DM_EVENT_MAX-1). */
#define DM_PFS_EVENTSET_ALL (DM_PFS_EVENT_BIT(DM_EVENT_MAX) - 1)

/* The events pfs-dmapi will generate: GPFS's implemented list (everything but CANCEL and DEBUT).
 * This is what dm_get_config_events() reports, before the event layer exists. */
#define DM_PFS_EVENTSET_SUPPORTED                                                  \
    (DM_PFS_EVENT_BIT(DM_EVENT_MOUNT) | DM_PFS_EVENT_BIT(DM_EVENT_PREUNMOUNT) |    \
     DM_PFS_EVENT_BIT(DM_EVENT_UNMOUNT) | DM_PFS_EVENT_BIT(DM_EVENT_CREATE) |      \
     DM_PFS_EVENT_BIT(DM_EVENT_CLOSE) | DM_PFS_EVENT_BIT(DM_EVENT_POSTCREATE) |    \
     DM_PFS_EVENT_BIT(DM_EVENT_REMOVE) | DM_PFS_EVENT_BIT(DM_EVENT_POSTREMOVE) |   \
     DM_PFS_EVENT_BIT(DM_EVENT_RENAME) | DM_PFS_EVENT_BIT(DM_EVENT_POSTRENAME) |   \
     DM_PFS_EVENT_BIT(DM_EVENT_LINK) | DM_PFS_EVENT_BIT(DM_EVENT_POSTLINK) |       \
     DM_PFS_EVENT_BIT(DM_EVENT_SYMLINK) | DM_PFS_EVENT_BIT(DM_EVENT_POSTSYMLINK) | \
     DM_PFS_EVENT_BIT(DM_EVENT_READ) | DM_PFS_EVENT_BIT(DM_EVENT_WRITE) |          \
     DM_PFS_EVENT_BIT(DM_EVENT_TRUNCATE) | DM_PFS_EVENT_BIT(DM_EVENT_ATTRIBUTE) |  \
     DM_PFS_EVENT_BIT(DM_EVENT_DESTROY) | DM_PFS_EVENT_BIT(DM_EVENT_NOSPACE) |     \
     DM_PFS_EVENT_BIT(DM_EVENT_USER))

/* ---- Tokens -------------------------------------------------------------------------------------
 * dm_token_t is an int. Tokens of events are always > 0, so they can never equal
 * DM_INVALID_TOKEN (0) or DM_NO_TOKEN (-1); no value <= 0 is ever issued.
 *
 *     bit 31      bits 30..19                     bits 18..0
 *     0 (sign)    source world rank + 1 (12 bits)  sequence (19 bits), 1 .. 524287, never 0
 *
 * The rank field is the MPI world rank where the event was generated, plus one (its original
 * rank, even after a ULFM shrink renumbers the communicator), so a rank field of 0 (the small
 * integers 1 .. 524287, e.g. a made-up or SGI-style token) never names an event: EINVAL rather
 * than ESRCH. The sequence is per source rank; 0 is skipped. Limits: 4095 source ranks (world
 * ranks 0 .. 4094), 524287 tokens per rank before the sequence wraps; on wrap the source must skip
 * every sequence number that is still pending (it holds them all: pending synchronous events are
 * kept at the source until their final response), so live tokens are unique in the job; a stale
 * token from before the wrap can alias a newer one. The session layer (dmapi/session, token.hpp)
 * allocates tokens with this encoding. */

#define DM_PFS_TOKEN_RANK_BITS 12
#define DM_PFS_TOKEN_SEQ_BITS 19
#define DM_PFS_TOKEN_MAX_RANK ((1 << DM_PFS_TOKEN_RANK_BITS) - 2) /* 4094 */
#define DM_PFS_TOKEN_MAX_SEQ ((1 << DM_PFS_TOKEN_SEQ_BITS) - 1)   /* 524287 */

/* rank in [0, DM_PFS_TOKEN_MAX_RANK], seq in [1, DM_PFS_TOKEN_MAX_SEQ]; no range check. */
#define DM_PFS_TOKEN_MAKE(rank, seq)                                      \
    ((dm_token_t)(((unsigned int)((rank) + 1) << DM_PFS_TOKEN_SEQ_BITS) | \
                  ((unsigned int)(seq) & (unsigned int)DM_PFS_TOKEN_MAX_SEQ)))
/* The source world rank of an event token (-1 for a rank field of 0). */
#define DM_PFS_TOKEN_RANK(token) ((int)((unsigned int)(token) >> DM_PFS_TOKEN_SEQ_BITS) - 1)
#define DM_PFS_TOKEN_SEQ(token) ((unsigned int)(token) & (unsigned int)DM_PFS_TOKEN_MAX_SEQ)
/* True for a value that can name an event: > 0, a rank field >= 1 and a non-zero sequence. */
#define DM_PFS_TOKEN_IS_EVENT(token)                                          \
    ((token) > 0 && ((unsigned int)(token) >> DM_PFS_TOKEN_SEQ_BITS) >= 1u && \
     DM_PFS_TOKEN_SEQ(token) != 0)

/* Session recovery extensions (docs/recovery.md). Both return 0, or -1 with errno set: EFAULT,
 * E2BIG (sessinfo longer than DM_SESSION_INFO_LEN - 1), EINVAL (timeout_ms < -1), ETIMEDOUT,
 * ENOSYS/ENOTCONN as the other session calls.
 *
 * dmapi_pfs_standby: registers this rank as a standby for sessions named sessinfo and blocks
 * until the session manager hands it one whose session rank failed (ranks that failed are never
 * chosen); the session's queue has then been rebuilt here and *sidp is its (unchanged) id.
 * timeout_ms -1 waits forever.
 *
 * dmapi_pfs_claim_session: the start of a highly available DM application run on several dm
 * ranks: creates the session named sessinfo unless one of that name exists (*primaryp = 1),
 * else stands by for it as dmapi_pfs_standby (*primaryp = 0; a failed one is taken over at
 * once). Of several ranks claiming one name, exactly one creates it. */
#ifdef __cplusplus
extern "C" {
#endif
int dmapi_pfs_standby(const char* sessinfo, int timeout_ms, dm_sessid_t* sidp);
int dmapi_pfs_claim_session(const char* sessinfo, int timeout_ms, dm_sessid_t* sidp,
                            int* primaryp);
#ifdef __cplusplus
}
#endif

#endif /* PFS_DMAPI_PFS_H */
