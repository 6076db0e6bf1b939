// The HSM daemon: the program of the dm ranks (pfs-run --dm K --dm-app pfs-hsm). One rank holds
// the named session, the others stand by and take it over when its rank dies
// (dmapi_pfs_claim_session); the holder sets its dispositions, completes or rolls back the steps
// a dead holder left journaled, answers events (recall on read/write/truncate, dirty marking,
// destroy, nospace, commands as user messages), serves the CLI's UNIX socket and runs the
// policy triggers. docs/hsm.md.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive_backend.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "migrator.hpp"

namespace pfs::client {
class Client;
}

namespace pfs::hsm {

class ThreadPool {
  public:
    explicit ThreadPool(unsigned n);
    void submit(std::function<void()> fn);

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> q_;
    std::vector<std::thread> threads_;
};

// One line of a command's progress: per file, then the summary (ok, failed, bytes).
using Progress = std::function<void(const std::string& line)>;

class Daemon {
  public:
    Daemon(Config cfg, std::string run_dir, std::string cluster_root);
    ~Daemon();
    // Never returns normally (the job's shutdown ends the process); returns an exit code on a
    // fatal start-up error.
    int run();

    // Runs a command on the calling thread; returns 0 when every file succeeded, else the first
    // errno. Lines go to `progress` (may be empty).
    int execute(const Command& cmd, const Progress& progress);

  private:
    int start_session();
    void set_dispositions();
    void recover_journal();
    void handle_leftovers();
    void dispatch(const std::vector<char>& msg);
    void respond(dm_token_t token, int err);
    void handle_data_event(dm_eventtype_t type, dm_token_t token, const std::vector<char>& d);
    void handle_nospace(dm_token_t token, const std::vector<char>& d);
    void handle_destroy(const std::vector<char>& d);
    void handle_user(dm_token_t token, const std::vector<char>& d);
    // Frees space: releases at least one file, then more down to the low watermark (when one
    // is set), premigrated files first, then candidates by least recent access; never
    // `exclude`, never a file another thread works on. Returns the bytes freed.
    std::uint64_t free_space(const FileId* exclude, const char* why);
    void policy_loop();
    int policy_run(const char* why);
    void serve_socket();
    void run_batch_file(const std::string& path);

    Config cfg_;
    std::string run_dir_, root_;
    dm_sessid_t sid_ = DM_NO_SESSION;
    bool primary_ = false;
    std::unique_ptr<ArchiveBackend> backend_;
    std::unique_ptr<Migrator> migrator_;
    // Volume usage (statfs) for the watermarks only: DMAPI has none; file work is dmapi.h's.
    std::unique_ptr<pfs::client::Client> scan_client_;
    std::unique_ptr<ThreadPool> event_pool_, command_pool_;
    std::unique_ptr<RateLimiter> limiter_;
    std::mutex free_mu_;  // one space-freeing run at a time
};

}  // namespace pfs::hsm
