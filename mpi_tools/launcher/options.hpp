// pfs-run's command line: parsing, validation and the mpirun argv it builds. Kept apart from
// the process handling in main.cpp so it can be unit-tested without starting anything.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mpi_tools/layout.hpp"

namespace pfs_run {

struct Options {
    // Layout as given on the command line; kUnset = not given.
    static constexpr int kUnset = std::numeric_limits<int>::min();
    int meta = kUnset, data = kUnset, dm = kUnset, compute = kUnset, plain = kUnset;

    std::string root;     // --root (empty: $PFS_ROOT, else ./pfs-root)
    std::string run_dir;  // --run-dir (empty: <root>/run/job-<stamp>-<pid>)
    std::string server;   // --server (empty: <dir of pfs-run>/pfs-server)
    std::string dm_app;   // --dm-app (empty: <dir of pfs-run>/pfs-dm-idle)
    bool oversubscribe = false;
    bool allow_run_as_root = false;
    std::string net = "lo";
    std::string btl = "vader,self,tcp";
    int fake_nodes = 0;
    std::string hostfile;
    std::vector<std::pair<std::string, std::string>> mca;  // --mca KEY VALUE, in order
    std::vector<std::string> exports;                      // -x VAR[=VAL], in order
    std::string ft_backend = "auto";
    double timeout = 0;  // seconds, 0 = none
    double shutdown_grace = 3;
    bool dry_run = false;
    bool verbose = false;
    // --mkfs: format the root with this layout (pfs-mkfs) when it holds no file system yet. An
    // existing file system is used as it is, never reformatted.
    bool mkfs = false;
    std::vector<std::string> app;  // APP ARGS...

    // Filled by finalize(): everything build_mpirun_argv() needs, already resolved.
    mpi_tools::Layout layout;
    std::string fakessh;      // plm_rsh_agent for --fake-nodes
    std::string status_file;  // <run_dir>/status
};

// Result of parse_args: either run, or exit now with `exit_code` (help: 0, errors: 2).
struct ParseResult {
    bool run = false;
    int exit_code = 0;
};

// Parses argv with CLI11. On a usage error prints ONE line "pfs-run: error: <reason>" to stderr.
ParseResult parse_args(int argc, const char* const* argv, Options* opts);

// What finalize() needs from the process environment (injected for tests).
struct Environment {
    std::string self_dir;     // directory of the pfs-run executable
    std::string path;         // $PATH
    std::string pfs_root;     // $PFS_ROOT ("" if unset)
    std::string cwd;          // current directory
    bool is_root = false;     // geteuid() == 0
    bool ci = false;          // $CI == "true"
    std::string stamp;        // YYYYmmdd-HHMMSS
    long pid = 0;             // getpid()
    bool check_files = true;  // verify programs exist and are executable
};
Environment current_environment();

// Validates the layout and the programs, resolves paths and defaults (root, run dir, server,
// dm app, APP via PATH, root/oversubscribe rules, fake-nodes transport). Returns a one-line
// reason on error (nothing has been created or started then).
std::optional<std::string> finalize(Options* opts, const Environment& env);

// The full mpirun command line (argv[0] = "mpirun"), MPMD blocks in role order.
std::vector<std::string> build_mpirun_argv(const Options& opts);

// Resolves a program like execvp(3): a name containing '/' as-is, else searched in `path`.
// Returns nullopt if not found as an executable regular file.
std::optional<std::string> resolve_executable(std::string_view name, std::string_view path);

// The job's status file (format in mpi_tools/launch_contract.hpp).
struct Status {
    int exit_code = 0;
    std::vector<int> failed_ranks;
    std::vector<std::string> failed_roles;
    std::string reason;
    std::string leader;
};
// Parses a status file's text; returns nullopt and a reason if line 1 is not an exit code 0-255.
std::optional<Status> parse_status(std::string_view text, std::string* error);

// Shell-quotes one word for display (--dry-run, --verbose).
std::string shell_quote(std::string_view word);

}  // namespace pfs_run
