// Recall workers on other dm ranks. Every pfs-hsm process (the session holder and its standbys)
// opens a small DMAPI session of its own, "<session_name>-worker-<rank>", and serves it on a
// thread: each synchronous user message names one block of a recall (archive id, file handle,
// offset, length, XXH3 sum); the worker reads the block from the archive, checks the sum and
// writes it into the file with dm_write_invis, then answers DM_RESP_CONTINUE, or ABORT with
// EBADMSG (bad sum) or the errno of the failure. The holder sends blocks to the workers of the
// other ranks alongside its own copy threads (dm_send_msg is the transport: public DMAPI only).
// A worker whose rank died answers EIO at once (its session has no standby), and the holder
// copies that block itself.
#pragma once

#include <dmapi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "archive_backend.hpp"
#include "dm_file.hpp"

namespace pfs::hsm {

struct BlockJob {
    std::string archive_id;
    FileId file;
    std::uint64_t offset = 0, length = 0, sum = 0;
};

std::string encode(const BlockJob& j);
bool decode(const std::string& text, BlockJob* j);

// Opens this rank's worker session and serves it on a detached thread; the backend must outlive
// the process. Returns 0 or an errno.
int start_worker(const std::string& session_name, int rank, ArchiveBackend& backend);

// The worker sessions of other ranks (by name), for one recall.
std::vector<dm_sessid_t> find_workers(const std::string& session_name, int my_rank);

// Sends one block to a worker and waits: 0, EBADMSG (the block's sum did not match), or
// another errno (the worker or its rank failed: copy the block locally).
int remote_copy(dm_sessid_t worker, const BlockJob& j);

}  // namespace pfs::hsm
