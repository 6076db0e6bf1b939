#include "in_job.hpp"

#include <cerrno>
#include <thread>

namespace pfs::hsm {

dm_sessid_t find_session(const std::string& name, std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        dm_sessid_t sids[256];
        unsigned n = 0;
        if (dm_getall_sessions(256, sids, &n) == 0)
            for (unsigned k = 0; k < n && k < 256; ++k) {
                char info[DM_SESSION_INFO_LEN];
                std::size_t rlen = 0;
                if (dm_query_session(sids[k], sizeof info, info, &rlen) == 0 && name == info)
                    return sids[k];
            }
        if (std::chrono::steady_clock::now() >= until) return DM_NO_SESSION;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

int send_command(dm_sessid_t sid, Verb verb, const std::vector<std::string>& paths) {
    Command c;
    c.verb = verb;
    c.paths = paths;
    std::string text = encode(c);
    return dm_send_msg(sid, DM_MSGTYPE_SYNC, text.size(), text.data()) == 0 ? 0 : errno;
}

}  // namespace pfs::hsm
