// --hsm POLICY (see hsm_driver.hpp).
#include "hsm_driver.hpp"

#include <dmapi.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "commands.hpp"
#include "monitor.hpp"

namespace pfs_ior {

bool HsmDriver::connect(MPI_Comm comm, std::string* why) {
    const char* n = std::getenv("PFS_HSM_SESSION_NAME");
    session_name_ = n != nullptr && *n != '\0' ? n : "pfs-hsm";
    int found = 1;
    if (task0_) {
        found = 0;
        // The daemon creates its session at start: wait for it (30 s).
        for (int i = 0; i < 300 && found == 0; ++i) {
            dm_sessid_t sids[64];
            unsigned cnt = 0;
            if (dm_getall_sessions(64, sids, &cnt) == 0)
                for (unsigned k = 0; k < cnt && found == 0; ++k) {
                    char info[DM_SESSION_INFO_LEN] = {};
                    std::size_t rlen = 0;
                    if (dm_query_session(sids[k], sizeof info, info, &rlen) == 0 &&
                        session_name_ == info) {
                        sid_ = static_cast<unsigned long long>(sids[k]);
                        found = 1;
                    }
                }
            if (found == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    MPI_Bcast(&found, 1, MPI_INT, 0, comm);
    if (found == 0)
        *why = "--hsm: no DMAPI session '" + session_name_ +
               "' within 30 s (run pfs-hsm on dm ranks: pfs-run --dm N --dm-app pfs-hsm)";
    return found == 1;
}

void HsmDriver::after_write(MPI_Comm comm, int iter, const std::vector<std::string>& files,
                            Monitor* mon) {
    MPI_Barrier(comm);
    HsmRound r;
    r.iter = iter;
    r.files = files.size();
    const double t0 = mono_now();
    if (task0_) {
        pfs::hsm::Command c;
        c.verb =
            policy_ == "release-after-write" ? pfs::hsm::Verb::migrate : pfs::hsm::Verb::archive;
        c.paths = files;
        std::string text = pfs::hsm::encode(c);
        if (dm_send_msg(static_cast<dm_sessid_t>(sid_), DM_MSGTYPE_SYNC, text.size(),
                        text.data()) != 0)
            r.rc = errno;
        r.seconds = mono_now() - t0;
        if (r.rc != 0)
            std::fprintf(stderr, "pfs-ior: --hsm %s: %s of %zu files failed: %s\n", policy_.c_str(),
                         pfs::hsm::to_string(c.verb), files.size(), std::strerror(r.rc));
        if (mon != nullptr)
            mon->mark("hsm-" + std::string(pfs::hsm::to_string(c.verb)), iter, t0, mono_now());
    }
    MPI_Bcast(&r.rc, 1, MPI_INT, 0, comm);
    rounds_.push_back(r);
    if (mon != nullptr) mon->expect_recall = r.rc == 0 && policy_ == "release-after-write";
}

}  // namespace pfs_ior
