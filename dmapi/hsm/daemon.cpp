#include "daemon.hpp"

#include <dmapi.h>
#include <dmapi_pfs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dm_file.hpp"
#include "log.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"
#include "policy.hpp"
#include "remote_worker.hpp"

namespace pfs::hsm {

// ---- ThreadPool -----------------------------------------------------------------------------

ThreadPool::ThreadPool(unsigned n) {
    for (unsigned i = 0; i < n; ++i)
        threads_.emplace_back([this] {
            for (;;) {
                std::function<void()> fn;
                {
                    std::unique_lock lk(mu_);
                    cv_.wait(lk, [this] { return !q_.empty(); });
                    fn = std::move(q_.front());
                    q_.pop_front();
                }
                fn();
            }
        });
    // The job's shutdown ends the process; the workers are never joined.
    for (auto& t : threads_) t.detach();
}

void ThreadPool::submit(std::function<void()> fn) {
    {
        std::lock_guard lk(mu_);
        q_.push_back(std::move(fn));
    }
    cv_.notify_one();
}

// ---- Daemon ---------------------------------------------------------------------------------

namespace {

const dm_eventtype_t kDisposed[] = {DM_EVENT_READ,    DM_EVENT_WRITE,   DM_EVENT_TRUNCATE,
                                    DM_EVENT_DESTROY, DM_EVENT_NOSPACE, DM_EVENT_REMOVE};

template <class S>
S head(const std::vector<char>& d) {
    S s{};
    std::memcpy(&s, d.data(), std::min(sizeof s, d.size()));
    return s;
}

bool in_range(const std::vector<char>& d, dm_vardata_t v) {
    return v.vd_offset >= 0 && static_cast<std::size_t>(v.vd_offset) + v.vd_length <= d.size();
}

std::string fmt_bytes(std::uint64_t b) {
    char s[32];
    if (b >= (1ull << 30))
        std::snprintf(s, sizeof s, "%.1f GiB", static_cast<double>(b) / (1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(s, sizeof s, "%.1f MiB", static_cast<double>(b) / (1ull << 20));
    else
        std::snprintf(s, sizeof s, "%" PRIu64 " B", b);
    return s;
}

}  // namespace

Daemon::Daemon(Config cfg, std::string run_dir, std::string cluster_root)
    : cfg_(std::move(cfg)), run_dir_(std::move(run_dir)), root_(std::move(cluster_root)) {}

Daemon::~Daemon() = default;

int Daemon::start_session() {
    int primary = 0;
    // Blocks on a standby until the holder's rank dies; the session is then ours, same id,
    // with its queue rebuilt (docs/recovery.md).
    if (dmapi_pfs_claim_session(cfg_.session_name.c_str(), -1, &sid_, &primary) != 0) {
        log("claiming session '%s': %s", cfg_.session_name.c_str(), std::strerror(errno));
        return errno;
    }
    primary_ = primary != 0;
    log("%s session=%d name=%s", primary_ ? "created" : "took over", sid_,
        cfg_.session_name.c_str());
    return 0;
}

void Daemon::set_dispositions() {
    void* fsh = nullptr;
    std::size_t fsl = 0;
    char root[] = "/";
    if (dm_path_to_fshandle(root, &fsh, &fsl) != 0) {
        log("dm_path_to_fshandle: %s", std::strerror(errno));
        return;
    }
    dm_eventset_t set;
    DMEV_ZERO(set);
    for (auto t : kDisposed) DMEV_SET(t, set);
    if (dm_set_disp(sid_, fsh, fsl, DM_NO_TOKEN, &set, DM_EVENT_MAX) != 0)
        log("dm_set_disp: %s", std::strerror(errno));
    // A destroy event then carries the record, so the archive copy can be found after the
    // inode is gone.
    dm_attrname_t an{};
    std::memcpy(an.an_chars, kRecordAttr, std::strlen(kRecordAttr));
    if (dm_set_return_on_destroy(sid_, fsh, fsl, DM_NO_TOKEN, &an, DM_TRUE) != 0)
        log("dm_set_return_on_destroy: %s", std::strerror(errno));
    dm_handle_free(fsh, fsl);
    log("dispositions read,write,truncate,destroy,nospace,remove; return-on-destroy %s",
        kRecordAttr);
}

void Daemon::recover_journal() {
    int found = 0, fixed = 0;
    // One inode scan with each file's record (dm_get_bulkall): no namespace walk, and files
    // without a record cost no further call. The record's path is where the file was when last
    // archived: for the log only.
    const int e = scan_records(sid_, [&](const dm_handle_t& h, const std::string& value) {
        if (value.empty()) return;
        StateRecord r;
        std::string why;
        if (!decode(value, &r, &why) || r.phase == Phase::none) return;
        ++found;
        DmFile f(sid_, h, r.path);
        Outcome o = migrator_->recover(f);
        if (o.err == 0) ++fixed;
        const std::string name = r.path.empty() ? "ino " + std::to_string(f.id().ino) : r.path;
        log("journal %s (%s, %s): %s%s", name.c_str(), to_string(r.state), to_string(r.phase),
            o.note.c_str(), o.err ? " FAILED" : "");
    });
    if (e) log("journal recovery: inode scan: %s", std::strerror(e));
    log("journal recovery: %d unfinished steps, %d completed or rolled back", found, fixed);
}

void Daemon::respond(dm_token_t token, int err) {
    if (token == DM_INVALID_TOKEN) return;
    if (dm_respond_event(sid_, token, err ? DM_RESP_ABORT : DM_RESP_CONTINUE, err, 0, nullptr) != 0)
        log("dm_respond_event(%d): %s", token, std::strerror(errno));
}

void Daemon::handle_data_event(dm_eventtype_t type, dm_token_t token, const std::vector<char>& d) {
    const auto de = head<dm_data_event_t>(d);
    DmFile f;
    if (!in_range(d, de.de_handle) || DmFile::from_handle(sid_, d.data() + de.de_handle.vd_offset,
                                                          de.de_handle.vd_length, &f) != 0) {
        respond(token, 0);  // nothing we manage
        return;
    }
    int err = 0;
    if (type == DM_EVENT_READ)
        err = migrator_->on_read(f, token, static_cast<std::uint64_t>(de.de_offset), de.de_length);
    else
        err = migrator_->on_write(f, token, type == DM_EVENT_TRUNCATE,
                                  static_cast<std::uint64_t>(de.de_offset));
    if (err)
        log("abort %s ino=%" PRIu64 " errno %d", type == DM_EVENT_READ ? "read" : "write",
            f.id().ino, err);
    respond(token, err);
}

void Daemon::handle_destroy(const std::vector<char>& d) {
    const auto ds = head<dm_destroy_event_t>(d);
    FileId id;
    if (in_range(d, ds.ds_handle) && ds.ds_handle.vd_length == sizeof(dm_handle_t)) {
        dm_handle_t h;
        std::memcpy(&h, d.data() + ds.ds_handle.vd_offset, sizeof h);
        id = FileId{h.ha_fsid, h.ha_fid.dm_fid_ino, h.ha_fid.dm_fid_gen};
    }
    if (!in_range(d, ds.ds_attrcopy) || ds.ds_attrcopy.vd_length == 0) return;
    migrator_->on_destroy(
        std::string(d.data() + ds.ds_attrcopy.vd_offset, ds.ds_attrcopy.vd_length), id);
}

std::uint64_t Daemon::free_space(const FileId* exclude, const char* why) {
    std::lock_guard lk(free_mu_);
    const double target = cfg_.low_watermark > 0 ? cfg_.low_watermark : -1;
    // At least one file is freed even below the target: the caller (a writer's ENOSPC, a
    // recall's) knows the volume it needs is full now.
    double use = fullest_volume_percent(*scan_client_);
    std::uint64_t freed = 0;
    unsigned files = 0;
    auto cands = select_candidates(sid_, cfg_);
    // Premigrated files first: releasing them needs no copy.
    std::stable_partition(cands.begin(), cands.end(), [&](const FileInfo& fi) {
        DmFile f(sid_, fi.handle);
        StateRecord r;
        return f.get_record(&r) == 0 && r.state == FileState::premigrated;
    });
    for (const auto& fi : cands) {
        DmFile f(sid_, fi.handle, fi.path);
        if (exclude && exclude->ino == f.id().ino && exclude->gen == f.id().gen) continue;
        // Space is needed now (a writer may be blocked): no rate limit here.
        Outcome o = migrator_->migrate_unless_busy(f);
        if (o.err) {
            log("%s: migrate %s: %s", why, fi.path.c_str(), o.note.c_str());
            continue;
        }
        if (o.bytes == 0) continue;
        freed += o.bytes;
        ++files;
        log("%s: released %s (%s)", why, fi.path.c_str(), fmt_bytes(o.bytes).c_str());
        if (cfg_.max_files_per_run && files >= cfg_.max_files_per_run) break;
        use = fullest_volume_percent(*scan_client_);
        if (target < 0 || (use >= 0 && use <= target)) break;
    }
    log("%s: freed %s in %u files, fullest volume %.1f%%", why, fmt_bytes(freed).c_str(), files,
        fullest_volume_percent(*scan_client_));
    return freed;
}

void Daemon::handle_nospace(dm_token_t token, const std::vector<char>& d) {
    const auto ne = head<dm_namesp_event_t>(d);
    FileId writer{};
    const FileId* exclude = nullptr;
    if (in_range(d, ne.ne_handle1) && ne.ne_handle1.vd_length == sizeof(dm_handle_t)) {
        dm_handle_t h;
        std::memcpy(&h, d.data() + ne.ne_handle1.vd_offset, sizeof h);
        writer = FileId{h.ha_fsid, h.ha_fid.dm_fid_ino, h.ha_fid.dm_fid_gen};
        exclude = &writer;
    }
    if (!cfg_.nospace_frees) {
        respond(token, ENOSPC);
        return;
    }
    const std::uint64_t freed = free_space(exclude, "nospace");
    // Continue: the PFS retries the write once; with nothing freed it would fail the same way.
    respond(token, freed > 0 ? 0 : ENOSPC);
}

void Daemon::handle_user(dm_token_t token, const std::vector<char>& d) {
    Command cmd;
    std::string err;
    if (!decode(std::string(d.begin(), d.end()), &cmd, &err)) {
        log("user message refused: %s", err.c_str());
        respond(token, EINVAL);
        return;
    }
    const int e = execute(cmd, [](const std::string& line) { log("%s", line.c_str()); });
    respond(token, e);
}

void Daemon::dispatch(const std::vector<char>& msg) {
    const auto* m = reinterpret_cast<const dm_eventmsg_t*>(msg.data());
    const dm_eventtype_t type = m->ev_type;
    const dm_token_t token = m->ev_token;
    const char* p = DM_GET_VALUE(m, ev_data, const char*);
    std::vector<char> d(p, p + DM_GET_LEN(m, ev_data));
    switch (type) {
        case DM_EVENT_READ:
        case DM_EVENT_WRITE:
        case DM_EVENT_TRUNCATE:
            event_pool_->submit(
                [this, type, token, d = std::move(d)] { handle_data_event(type, token, d); });
            break;
        case DM_EVENT_DESTROY:
            event_pool_->submit([this, d = std::move(d)] { handle_destroy(d); });
            break;
        case DM_EVENT_NOSPACE:
            // May migrate files: off the recall workers, which must stay free for recalls.
            std::thread([this, token, d = std::move(d)] { handle_nospace(token, d); }).detach();
            break;
        case DM_EVENT_USER:
            command_pool_->submit([this, token, d = std::move(d)] { handle_user(token, d); });
            break;
        default:  // remove and anything else disposed: nothing to do before it happens
            respond(token, 0);
            break;
    }
}

void Daemon::handle_leftovers() {
    dm_token_t tokens[1024];
    unsigned n = 0;
    if (dm_getall_tokens(sid_, 1024, tokens, &n) != 0) return;
    for (unsigned i = 0; i < n; ++i) {
        std::vector<char> buf(1 << 16);
        std::size_t rlen = 0;
        if (dm_find_eventmsg(sid_, tokens[i], buf.size(), buf.data(), &rlen) != 0) continue;
        buf.resize(rlen);
        log("leftover token %d", tokens[i]);
        dispatch(buf);
    }
}

int Daemon::execute(const Command& cmd, const Progress& progress) {
    auto say = [&](const std::string& s) {
        if (progress) progress(s);
    };
    if (cmd.verb == Verb::policy) {
        const int moved = policy_run("command");
        say("done ok=" + std::to_string(moved) + " failed=0 bytes=0");
        return 0;
    }
    if (cmd.verb == Verb::stats) {
        auto& c = migrator_->counters();
        char b[256];
        std::snprintf(b, sizeof b,
                      "stats archives=%" PRIu64 " releases=%" PRIu64 " recalls=%" PRIu64
                      " recall_failures=%" PRIu64 " recall_bytes=%" PRIu64
                      " copies_removed=%" PRIu64,
                      c.archives.load(), c.releases.load(), c.recalls.load(),
                      c.recall_failures.load(), c.recall_bytes.load(), c.copies_removed.load());
        say(b);
        say("done ok=1 failed=0 bytes=0");
        return 0;
    }
    int first_err = 0;
    unsigned ok = 0, failed = 0;
    std::uint64_t bytes = 0;
    const std::size_t total = cmd.paths.size();
    for (std::size_t i = 0; i < total; ++i) {
        const std::string& path = cmd.paths[i];
        DmFile f;
        Outcome o;
        if (int e = DmFile::from_path(sid_, path, &f)) {
            o = Outcome{e, 0, std::string("no such PFS file: ") + std::strerror(e)};
        } else if (cmd.verb == Verb::state) {
            say("state " + migrator_->state_line(f));
            ++ok;
            continue;
        } else {
            switch (cmd.verb) {
                case Verb::archive:
                    o = migrator_->archive(f, cmd.dry_run);
                    break;
                case Verb::release:
                    o = migrator_->release(f, cmd.dry_run);
                    break;
                case Verb::migrate:
                    o = migrator_->migrate(f, cmd.dry_run);
                    break;
                case Verb::recall:
                    o = migrator_->recall(f, cmd.dry_run);
                    break;
                case Verb::remove:
                    o = migrator_->remove_copy(f, cmd.dry_run);
                    break;
                default:
                    break;
            }
        }
        if (o.err) {
            ++failed;
            if (!first_err) first_err = o.err;
        } else {
            ++ok;
            bytes += o.bytes;
        }
        char b[64];
        std::snprintf(b, sizeof b, "file %zu/%zu %s %" PRIu64 " ", i + 1, total,
                      o.err ? "FAIL" : "ok", o.bytes);
        say(std::string(b) + path + " : " + to_string(cmd.verb) + ": " + o.note);
    }
    say("done ok=" + std::to_string(ok) + " failed=" + std::to_string(failed) +
        " bytes=" + std::to_string(bytes));
    return first_err;
}

int Daemon::policy_run(const char* why) {
    auto cands = select_candidates(sid_, cfg_);
    int done = 0;
    for (const auto& fi : cands) {
        if (cfg_.max_files_per_run && static_cast<unsigned>(done) >= cfg_.max_files_per_run) break;
        DmFile f(sid_, fi.handle, fi.path);
        Outcome o = migrator_->archive(f, false, limiter_.get());
        if (o.err)
            log("%s policy: archive %s: %s", why, fi.path.c_str(), o.note.c_str());
        else if (o.note == "archived")
            ++done;
    }
    log("%s policy run: %zu candidates, %d archived", why, cands.size(), done);
    return done;
}

void Daemon::policy_loop() {
    using clock = std::chrono::steady_clock;
    auto next_scan = clock::now() + cfg_.scan_interval;
    auto next_watermark = clock::now();
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (cfg_.high_watermark > 0) {
            const double use = fullest_volume_percent(*scan_client_);
            if (use >= cfg_.high_watermark && clock::now() >= next_watermark) {
                log("watermark: fullest volume %.1f%% >= high %.1f%%", use, cfg_.high_watermark);
                // Nothing left to free (no candidates): do not rescan every half second.
                if (free_space(nullptr, "watermark") == 0)
                    next_watermark = clock::now() + std::chrono::seconds(30);
            }
        }
        if (cfg_.scan_interval.count() > 0 && clock::now() >= next_scan) {
            policy_run("periodic");
            next_scan = clock::now() + cfg_.scan_interval;
        }
    }
}

void Daemon::serve_socket() {
    const std::string dir = run_dir_ + "/hsm";
    const std::string path = dir + "/hsm.sock";
    ::mkdir(dir.c_str(), 0700);
    ::chmod(dir.c_str(), 0700);  // only the job's owner reaches the daemon
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        log("socket path too long (%zu bytes): no CLI socket", path.size());
        return;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    ::unlink(path.c_str());  // the dead holder's socket, after a takeover
    const mode_t old = ::umask(0077);
    const int b = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::umask(old);
    if (b != 0 || ::listen(fd, 16) != 0) {
        log("socket %s: %s", path.c_str(), std::strerror(errno));
        ::close(fd);
        return;
    }
    ::chmod(path.c_str(), 0600);
    log("listening on %s", path.c_str());
    for (;;) {
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR) continue;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        std::thread([this, c] {
            std::string req;
            char buf[4096];
            // The request ends with an empty line (or the client's shutdown of its side).
            while (req.find("\n\n") == std::string::npos) {
                const ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                req.append(buf, static_cast<std::size_t>(n));
                if (req.size() > (64u << 20)) break;
            }
            auto send = [c](const std::string& line) {
                const std::string l = line + "\n";
                (void)!::write(c, l.data(), l.size());
            };
            Command cmd;
            std::string err;
            if (!decode(req, &cmd, &err)) {
                send("error " + err);
            } else {
                const int e = execute(cmd, send);
                send("exit " + std::to_string(e));
            }
            ::close(c);
        }).detach();
    }
}

void Daemon::run_batch_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        log("commands file %s: %s", path.c_str(), std::strerror(errno));
        return;
    }
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        // "verb [--dry-run] PATH PATH..." on one line (batch files: no spaces in paths).
        std::istringstream w(line);
        std::string word, text;
        w >> word;
        text = word;
        std::vector<std::string> paths;
        while (w >> word) {
            if (word == "--dry-run" || word == "-n")
                text += " --dry-run";
            else
                paths.push_back(word);
        }
        text += "\n";
        for (const auto& p : paths) text += p + "\n";
        Command cmd;
        std::string err;
        if (!decode(text, &cmd, &err)) {
            log("commands file: '%s': %s", line.c_str(), err.c_str());
            continue;
        }
        const int e = execute(cmd, [](const std::string& l) { log("%s", l.c_str()); });
        log("batch '%s': %s", line.c_str(), e ? std::strerror(e) : "ok");
    }
}

int Daemon::run() {
    auto& job = mpi_tools::Job::get();
    set_log_rank(job.rank());
    if (cfg_.archive_root.empty()) cfg_.archive_root = root_ + "/archive";
    int berr = 0;
    backend_ = make_dir_backend(cfg_.archive_root, &berr);
    if (!backend_) {
        log("archive root %s: %s", cfg_.archive_root.c_str(), std::strerror(berr));
        return 2;
    }
    // Before the claim: a standby blocks in it, and serves recall blocks meanwhile.
    // The holder's own worker session is never sent blocks (find_workers skips this rank): it
    // serves once this process stands by and another rank holds the session.
    if (cfg_.remote_workers) {
        if (int e = start_worker(cfg_.session_name, job.rank(), *backend_))
            log("recall worker session: %s", std::strerror(e));
    }
    if (int e = start_session()) return e;
    migrator_ = std::make_unique<Migrator>(sid_, *backend_, cfg_);
    if (cfg_.remote_workers) {
        const std::string name = cfg_.session_name;
        const int rank = job.rank();
        migrator_->set_workers([name, rank] { return find_workers(name, rank); });
    }
    // Test hook: a real SIGKILL of the first holder at a named step (docs/hsm.md "Testing").
    migrator_->set_make_room(
        [this](const FileId& id) { return free_space(&id, "recall needs room"); });
    if (const char* fp = std::getenv("PFS_HSM_FAIL_AT"); fp && *fp && primary_)
        migrator_->set_fail_point(fp);
    if (const char* dir = std::getenv("PFS_HSM_TEST_DIR"); dir && *dir) {
        const char* pp = std::getenv("PFS_HSM_PAUSE_AT");
        migrator_->set_test_hooks(pp ? pp : "", dir);
    }
    auto opt = pfs::client::ClientOptions::from_env();
    opt.dm_events = false;  // the HSM's own scans must never raise events to itself
    scan_client_ = std::make_unique<pfs::client::Client>(job, opt);
    if (scan_client_->connect_error() != 0) {
        log("PFS client: %s", std::strerror(scan_client_->connect_error()));
        return 1;
    }
    limiter_ = std::make_unique<RateLimiter>(cfg_.max_bytes_per_sec);
    event_pool_ = std::make_unique<ThreadPool>(cfg_.recall_workers);
    command_pool_ = std::make_unique<ThreadPool>(cfg_.command_workers);
    set_dispositions();
    // Before any event: a step the previous holder left half done is completed or rolled back,
    // so the events delivered again (same tokens) find settled states.
    recover_journal();
    handle_leftovers();
    std::thread([this] { serve_socket(); }).detach();
    if (cfg_.high_watermark > 0 || cfg_.scan_interval.count() > 0)
        std::thread([this] { policy_loop(); }).detach();
    if (const char* bf = std::getenv("PFS_HSM_COMMANDS"); bf && *bf) {
        const std::string file = bf;
        command_pool_->submit([this, file] { run_batch_file(file); });
    }
    log("ready session=%d archive=%s workers=%u", sid_, cfg_.archive_root.c_str(),
        cfg_.recall_workers);
    std::vector<char> buf(1 << 20);
    for (;;) {
        std::size_t rlen = 0;
        if (dm_get_events(sid_, 0, DM_EV_WAIT, buf.size(), buf.data(), &rlen) != 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            if (errno == E2BIG) {
                buf.resize(rlen > buf.size() ? rlen : buf.size() * 2);
                continue;
            }
            log("dm_get_events: %s", std::strerror(errno));
            return 1;
        }
        for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf.data()); m != nullptr;
             m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
            const char* start = reinterpret_cast<const char*>(m);
            const std::size_t len = static_cast<std::size_t>(DM_GET_LEN(m, ev_data)) +
                                    static_cast<std::size_t>(m->ev_data.vd_offset);
            dispatch(std::vector<char>(start, start + len));
        }
    }
}

}  // namespace pfs::hsm
