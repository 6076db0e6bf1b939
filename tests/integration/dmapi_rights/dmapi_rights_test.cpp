// DM access rights end to end (docs/dmapi-rights.md): a DM application on the dm rank (libdmapi,
// the C API) takes rights on a file that a compute rank reads and writes through the PFS client.
// The two sides order their steps through marker files in $RIGHTS_SYNC (one node), so every
// check is about order, never about time: e.g. "the write returned only after the DM program
// announced the release", "the file still held the old bytes while the right was held".
//
// Cases (RIGHTS_CASE):
//   block   - excl blocks a writer and a reader; shared lets a reader through and blocks a
//             writer; the response to the token releases its rights; DM_RR_WAIT, upgrade,
//             downgrade, query and every error the rights calls document.
//   lost    - the dm rank holding an excl right is SIGKILLed while a writer waits: the standby
//             takes the session over, the writer completes (the rights died with their rank,
//             GPFS) and the standby can take the right again with a new token (claim 18).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "dmapi.h"
#include "dmapi/events/events.hpp"
#include "dmapi_pfs.h"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"

namespace {

using mpi_tools::Job;
using pfs::client::Client;

std::string g_case, g_role, g_sync;
std::atomic<int> g_failures{0};

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::printf("RIGHTS-TEST %s %s FAIL %s:%d: %s\n", g_case.c_str(), g_role.c_str(), \
                        __FILE__, __LINE__, #cond);                                           \
            std::fflush(stdout);                                                              \
            ++g_failures;                                                                     \
        }                                                                                     \
    } while (0)
// -1 with this errno.
#define CHECK_ERR(call, want)                                                               \
    do {                                                                                    \
        errno = 0;                                                                          \
        const int rc_ = (call);                                                             \
        const int e_ = errno;                                                               \
        if (rc_ != -1 || e_ != (want)) {                                                    \
            std::printf("RIGHTS-TEST %s %s FAIL %s:%d: %s: rc %d errno %d (%s), want %s\n", \
                        g_case.c_str(), g_role.c_str(), __FILE__, __LINE__, #call, rc_, e_, \
                        std::strerror(e_), #want);                                          \
            std::fflush(stdout);                                                            \
            ++g_failures;                                                                   \
        }                                                                                   \
    } while (0)

void check_ok(int rc, const char* what, int line) {
    if (rc == 0) return;
    std::printf("RIGHTS-TEST %s %s FAIL line %d: %s: rc %d errno %d (%s)\n", g_case.c_str(),
                g_role.c_str(), line, what, rc, errno, std::strerror(errno));
    std::fflush(stdout);
    ++g_failures;
}
#define OK(call) check_ok((call), #call, __LINE__)

void mark(const std::string& name) {
    std::ofstream(g_sync + "/" + name) << "1\n";
}
bool marked(const std::string& name) {
    return std::filesystem::exists(g_sync + "/" + name);
}
// Every wait has a deadline: a missing marker fails the test instead of hanging it.
bool await(const std::string& name) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!marked(name)) {
        if (std::chrono::steady_clock::now() > until) {
            std::printf("RIGHTS-TEST %s %s FAIL: no marker %s after 60 s\n", g_case.c_str(),
                        g_role.c_str(), name.c_str());
            std::fflush(stdout);
            ++g_failures;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}
// Long enough for an operation the right does NOT stop to finish (it then fails a check).
void give_time() {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

constexpr std::size_t kLen = 4096;

// ---- the DM side (libdmapi) ----------------------------------------------------------------

struct File {
    void* hp = nullptr;
    size_t hl = 0;
};

File handle_of(const char* path) {
    File f;
    OK(dm_path_to_handle(const_cast<char*>(path), &f.hp, &f.hl));
    return f;
}

char first_byte_invis(dm_sessid_t sid, const File& f, dm_token_t t) {
    std::vector<char> buf(kLen, 0);
    const auto n = dm_read_invis(sid, f.hp, f.hl, t, 0, kLen, buf.data());
    CHECK(n == static_cast<dm_ssize_t>(kLen));
    for (char c : buf)
        if (c != buf[0]) return '?';
    return buf[0];
}

dm_token_t userevent(dm_sessid_t sid) {
    dm_token_t t = DM_NO_TOKEN;
    OK(dm_create_userevent(sid, 0, nullptr, &t));
    return t;
}

dm_right_t query(dm_sessid_t sid, const File& f, dm_token_t t) {
    dm_right_t r = DM_RIGHT_NULL;
    OK(dm_query_right(sid, f.hp, f.hl, t, &r));
    return r;
}

void dm_block(dm_sessid_t sid) {
    if (!await("created")) return;
    const File f = handle_of("/f");

    // Phase 1: excl stops a writer and a reader.
    const dm_token_t t1 = userevent(sid);
    OK(dm_request_right(sid, f.hp, f.hl, t1, 0, DM_RIGHT_EXCL));
    CHECK(query(sid, f, t1) == DM_RIGHT_EXCL);
    mark("p1-held");
    if (!await("p1-started")) return;
    give_time();
    CHECK(first_byte_invis(sid, f, t1) == 'A');  // the writer has not written
    mark("p1-releasing");
    OK(dm_release_right(sid, f.hp, f.hl, t1));
    CHECK(query(sid, f, t1) == DM_RIGHT_NULL);
    OK(dm_respond_event(sid, t1, DM_RESP_CONTINUE, 0, 0, nullptr));

    // Phase 2: shared lets a reader through, stops a writer; the response releases it.
    if (!await("p1-done")) return;
    CHECK(first_byte_invis(sid, f, DM_NO_TOKEN) == 'B');
    const dm_token_t t2 = userevent(sid);
    OK(dm_request_right(sid, f.hp, f.hl, t2, DM_RR_WAIT, DM_RIGHT_SHARED));
    mark("p2-held");
    if (!await("p2-started")) return;
    give_time();
    CHECK(first_byte_invis(sid, f, t2) == 'B');
    mark("p2-releasing");
    OK(dm_respond_event(sid, t2, DM_RESP_CONTINUE, 0, 0, nullptr));  // takes the right with it

    // Phase 3: the rights calls among DM tokens, and their errors.
    if (!await("p2-done")) return;
    const dm_token_t t3 = userevent(sid), t4 = userevent(sid);
    void* fsh = nullptr;
    size_t fsl = 0;
    OK(dm_path_to_fshandle(const_cast<char*>("/"), &fsh, &fsl));
    File stale = f;
    dm_handle_t st;
    std::memcpy(&st, f.hp, sizeof st);
    st.ha_fid.dm_fid_gen += 1000;
    stale.hp = &st;
    dm_right_t r = DM_RIGHT_NULL;
    CHECK_ERR(dm_request_right(sid, f.hp, f.hl, DM_NO_TOKEN, 0, DM_RIGHT_EXCL), EINVAL);
    CHECK_ERR(dm_request_right(sid, fsh, fsl, t3, 0, DM_RIGHT_EXCL), EINVAL);  // not on a fs
    CHECK_ERR(dm_request_right(sid, f.hp, f.hl, t3, 0, DM_RIGHT_NULL), EINVAL);
    CHECK_ERR(dm_request_right(sid, f.hp, f.hl, t3, 0x2, DM_RIGHT_EXCL), EINVAL);
    CHECK_ERR(dm_request_right(sid, f.hp, f.hl, t3 + 977, 0, DM_RIGHT_EXCL), EINVAL);
    CHECK_ERR(dm_request_right(sid + 977, f.hp, f.hl, t3, 0, DM_RIGHT_EXCL), EINVAL);
    CHECK_ERR(dm_request_right(sid, stale.hp, stale.hl, t3, 0, DM_RIGHT_EXCL), EBADF);
    CHECK_ERR(dm_request_right(sid, f.hp, 3, t3, 0, DM_RIGHT_EXCL), EINVAL);  // malformed
    CHECK_ERR(dm_query_right(sid, f.hp, f.hl, t3, nullptr), EFAULT);
    CHECK_ERR(dm_release_right(sid, f.hp, f.hl, t3), EACCES);  // holds nothing
    CHECK_ERR(dm_upgrade_right(sid, f.hp, f.hl, t3), EACCES);
    CHECK_ERR(dm_downgrade_right(sid, f.hp, f.hl, t3), EACCES);
    CHECK_ERR(dm_query_right(sid, f.hp, f.hl, t1, &r), ESRCH);  // t1 was answered

    OK(dm_request_right(sid, f.hp, f.hl, t3, 0, DM_RIGHT_EXCL));
    CHECK_ERR(dm_request_right(sid, f.hp, f.hl, t4, 0, DM_RIGHT_SHARED), EAGAIN);
    CHECK(query(sid, f, t4) == DM_RIGHT_NULL);
    // DM_RR_WAIT: granted when t3 steps down to shared.
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        OK(dm_request_right(sid, f.hp, f.hl, t4, DM_RR_WAIT, DM_RIGHT_SHARED));
        got = true;
    });
    give_time();
    CHECK(!got);
    OK(dm_downgrade_right(sid, f.hp, f.hl, t3));
    waiter.join();
    CHECK(got);
    CHECK(query(sid, f, t3) == DM_RIGHT_SHARED);
    CHECK(query(sid, f, t4) == DM_RIGHT_SHARED);
    CHECK_ERR(dm_downgrade_right(sid, f.hp, f.hl, t3), EACCES);  // shared is not excl
    // Two shared holders upgrading: the second would deadlock with the first, EBUSY.
    std::atomic<bool> upgraded{false};
    std::thread up([&] {
        OK(dm_upgrade_right(sid, f.hp, f.hl, t3));
        upgraded = true;
    });
    give_time();
    CHECK(!upgraded);
    CHECK_ERR(dm_upgrade_right(sid, f.hp, f.hl, t4), EBUSY);
    OK(dm_release_right(sid, f.hp, f.hl, t4));
    up.join();
    CHECK(upgraded);
    CHECK(query(sid, f, t3) == DM_RIGHT_EXCL);
    OK(dm_upgrade_right(sid, f.hp, f.hl, t3));                      // excl already: no change
    OK(dm_request_right(sid, f.hp, f.hl, t3, 0, DM_RIGHT_SHARED));  // weaker: no change
    CHECK(query(sid, f, t3) == DM_RIGHT_EXCL);
    OK(dm_respond_event(sid, t3, DM_RESP_CONTINUE, 0, 0, nullptr));
    OK(dm_respond_event(sid, t4, DM_RESP_CONTINUE, 0, 0, nullptr));
    CHECK_ERR(dm_query_right(sid, f.hp, f.hl, t3, &r), ESRCH);
    mark("p3-done");
    dm_handle_free(f.hp, f.hl);
    dm_handle_free(fsh, fsl);
}

// The session's first dm rank holds excl and dies; the second (standing by) takes over.
void dm_lost(dm_sessid_t sid, bool primary) {
    if (primary) {
        if (!await("created")) return;
        const File f = handle_of("/f");
        const dm_token_t t = userevent(sid);
        OK(dm_request_right(sid, f.hp, f.hl, t, 0, DM_RIGHT_EXCL));
        mark("l-held");
        if (!await("l-started")) return;
        give_time();
        CHECK(first_byte_invis(sid, f, t) == 'A');
        mark("l-killing");
        std::fflush(stdout);
        ::kill(::getpid(), SIGKILL);
    }
    // The standby: claim returned because the session failed over to this rank.
    if (!await("l-done")) return;
    const File f = handle_of("/f");
    CHECK(first_byte_invis(sid, f, DM_NO_TOKEN) == 'B');  // the writer went on
    const dm_token_t t = userevent(sid);
    OK(dm_request_right(sid, f.hp, f.hl, t, 0, DM_RIGHT_EXCL));  // reacquired anew
    CHECK(query(sid, f, t) == DM_RIGHT_EXCL);
    OK(dm_respond_event(sid, t, DM_RESP_CONTINUE, 0, 0, nullptr));
    mark("l-reacquired");
}

[[noreturn]] void dm_main(int* argc, char*** argv) {
    g_role = "dm";
    char* version = nullptr;
    OK(dm_init_service(&version));
    auto& job = Job::init(argc, argv);  // the Job dm_init_service made
    dm_sessid_t sid = DM_NO_SESSION;
    if (g_case == "lost") {
        int primary = 0;
        OK(dmapi_pfs_claim_session("rights-lost", 60000, &sid, &primary));
        std::printf("RIGHTS-TEST lost dm rank %d %s\n", job.rank(),
                    primary ? "holds the session" : "took the session over");
        std::fflush(stdout);
        dm_lost(sid, primary != 0);
    } else {
        OK(dm_create_session(DM_NO_SESSION, const_cast<char*>("rights"), &sid));
        dm_block(sid);
    }
    OK(dm_destroy_session(sid));
    std::printf("RIGHTS-TEST %s dm %s\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::fflush(stdout);
    job.serve_until_shutdown();
}

// ---- the compute side (the PFS client: user operations) ------------------------------------

void fill(Client& c, int fd, char ch) {
    std::vector<char> b(kLen, ch);
    auto n = c.pwrite(fd, b.data(), b.size(), 0);
    CHECK(n && *n == kLen);
}

char read_first(Client& c, int fd) {
    std::vector<char> b(kLen, 0);
    auto n = c.pread(fd, b.data(), b.size(), 0);
    CHECK(n && *n == kLen);
    return b[0];
}

void compute_block(Client& c, int fd) {
    // Phase 1: excl. Both operations return only after the DM program announced the release.
    if (!await("p1-held")) return;
    std::thread writer([&] {
        fill(c, fd, 'B');
        CHECK(marked("p1-releasing"));
    });
    std::thread reader([&] {
        (void)read_first(c, fd);
        CHECK(marked("p1-releasing"));
    });
    mark("p1-started");
    writer.join();
    reader.join();
    mark("p1-done");
    // Phase 2: shared. A reader is not stopped; a writer is, until the response.
    if (!await("p2-held")) return;
    CHECK(read_first(c, fd) == 'B');
    CHECK(!marked("p2-releasing"));
    std::thread writer2([&] {
        fill(c, fd, 'C');
        CHECK(marked("p2-releasing"));
    });
    mark("p2-started");
    writer2.join();
    CHECK(read_first(c, fd) == 'C');
    mark("p2-done");
    if (!await("p3-done")) return;
    fill(c, fd, 'D');  // no right left anywhere: goes straight through
    CHECK(read_first(c, fd) == 'D');
}

void compute_lost(Client& c, int fd) {
    if (!await("l-held")) return;
    std::thread writer([&] {
        fill(c, fd, 'B');
        CHECK(marked("l-killing"));  // only the right's death let it through
    });
    mark("l-started");
    writer.join();
    mark("l-done");
    if (!await("l-reacquired")) return;
    CHECK(read_first(c, fd) == 'B');
}

[[noreturn]] void compute_main(Job& job) {
    g_role = "compute";
    (void)dmapi::events::start(job);  // collective with the dm ranks' dm_init_service
    {
        Client c(job);
        CHECK(c.connect_error() == 0);
        auto fd = c.open("/f", O_CREAT | O_RDWR, 0644);
        CHECK(fd.ok());
        if (fd) {
            fill(c, *fd, 'A');
            mark("created");
            if (g_case == "lost")
                compute_lost(c, *fd);
            else
                compute_block(c, *fd);
            CHECK(c.close(*fd).ok());
        }
    }
    std::printf("RIGHTS-TEST %s compute %s\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::fflush(stdout);
    job.finish(g_failures ? 1 : 0);
}

}  // namespace

int main(int argc, char** argv) {
    const char* c = std::getenv("RIGHTS_CASE");
    const char* s = std::getenv("RIGHTS_SYNC");
    g_case = c ? c : "";
    g_sync = s ? s : "";
    if ((g_case != "block" && g_case != "lost") || g_sync.empty()) {
        std::fprintf(stderr, "dmapi-rights-test: set RIGHTS_CASE=block|lost and RIGHTS_SYNC=DIR\n");
        return 2;
    }
    // The dm ranks run this program under the name dmapi-rights-dm (a symlink: --dm-app takes
    // no arguments). They are XDSM programs: dm_init_service joins the job (Job and Node) first.
    if (std::filesystem::path(argv[0]).filename() == "dmapi-rights-dm") dm_main(&argc, &argv);
    auto& job = Job::init(&argc, &argv);
    compute_main(job);
}
