#include "options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "mpi_tools/launch_contract.hpp"

namespace pfs_run {
namespace fs = std::filesystem;
using mpi_tools::Layout;
using mpi_tools::Role;

namespace {

void usage_error(const std::string& msg) {
    std::string line = msg;
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cerr << "pfs-run: error: " << line << '\n';
}

std::string non_negative(const std::string& s) {
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used == s.size() && v >= 0 && std::isfinite(v)) return {};
    } catch (const std::exception&) {
    }
    return "must be a number of seconds >= 0, got '" + s + "'";
}

bool is_executable_file(const std::string& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return false;
    if (!S_ISREG(st.st_mode)) return false;
    return ::access(p.c_str(), X_OK) == 0;
}

std::string absolute_of(const std::string& p, const std::string& cwd) {
    fs::path path(p);
    if (path.is_relative()) path = fs::path(cwd) / path;
    return path.lexically_normal().string();
}

}  // namespace

ParseResult parse_args(int argc, const char* const* argv, Options* opts) {
    CLI::App cli{
        "pfs-run: start one MPI job with ranks in roles (meta, data, dm, compute) and "
        "report its true exit status.\n"
        "  pfs-run [options] --meta N --data N [--dm N] --compute N [--] APP [ARGS...]\n"
        "  pfs-run [options] --plain N [--] APP [ARGS...]",
        "pfs-run"};
    // Everything from APP on (or after "--") belongs to the application.
    cli.prefix_command();
    cli.footer(
        "Exit codes: the job's own code; 1 no status file; 2 usage; 124 timeout; "
        "128+sig when pfs-run is signalled. See docs/operations.md.");

    cli.add_option("--meta", opts->meta, "metadata ranks (>= 1)");
    cli.add_option("--data", opts->data, "data (storage server) ranks (>= 1)");
    cli.add_option("--dm", opts->dm, "data-management ranks (default 0)");
    cli.add_option("--compute", opts->compute, "compute ranks running APP (>= 1)");
    cli.add_option("--plain", opts->plain, "plain job: N ranks all running APP, no PFS roles");
    cli.add_option("--root", opts->root,
                   "cluster root for volumes (default $PFS_ROOT, else ./pfs-root)");
    cli.add_option("--run-dir", opts->run_dir,
                   "run directory (default <root>/run/job-<YYYYmmdd-HHMMSS>-<pid>)");
    cli.add_option("--server", opts->server,
                   "program of meta and data ranks (default <dir of pfs-run>/pfs-server)");
    cli.add_option("--dm-app", opts->dm_app,
                   "program of dm ranks (default <dir of pfs-run>/pfs-dm-idle)");
    cli.add_flag("--oversubscribe", opts->oversubscribe, "pass --oversubscribe to mpirun");
    cli.add_flag("--allow-run-as-root", opts->allow_run_as_root,
                 "pass --allow-run-as-root to mpirun (automatic when euid is 0)");
    cli.add_option("--net", opts->net, "btl_tcp_if_include and oob_tcp_if_include (default lo)");
    cli.add_option("--btl", opts->btl, "BTL list (default vader,self,tcp)");
    cli.add_option("--fake-nodes", opts->fake_nodes,
                   "fake K>=2 nodes on this host (fakessh agent, tcp,self)");
    cli.add_option("--hostfile", opts->hostfile, "passed to mpirun");
    std::vector<std::string> mca;
    cli.add_option("--mca", mca, "KEY VALUE passed to mpirun (repeatable)")
        ->expected(2)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_option("-x", opts->exports, "VAR[=VAL] exported by mpirun (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_option("--ft-backend", opts->ft_backend, "PFS_FT_BACKEND (default auto)")
        ->check(CLI::IsMember({"auto", "portable", "ulfm"}));
    cli.add_option("--timeout", opts->timeout, "kill the job after SECONDS, exit 124 (0 = none)")
        ->check(non_negative);
    cli.add_option("--shutdown-grace", opts->shutdown_grace,
                   "seconds mpirun may take to exit after the status file appears (default 3)")
        ->check(non_negative);
    cli.add_flag("--dry-run", opts->dry_run, "print the mpirun command line and exit 0");
    cli.add_flag("--mkfs", opts->mkfs,
                 "format the root with this layout (pfs-mkfs) if it has no file system yet");
    cli.add_flag("--verbose", opts->verbose, "print what pfs-run does");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << cli.help();
        return {false, 0};
    } catch (const CLI::ParseError& e) {
        usage_error(e.what());
        return {false, mpi_tools::launch::kExitUsage};
    }

    if (mca.size() % 2 != 0) {
        usage_error("--mca needs two values: KEY VALUE");
        return {false, mpi_tools::launch::kExitUsage};
    }
    for (std::size_t i = 0; i + 1 < mca.size(); i += 2) opts->mca.emplace_back(mca[i], mca[i + 1]);

    std::vector<std::string> rest = cli.remaining();
    if (!rest.empty() && rest.front() == "--") {
        rest.erase(rest.begin());
    } else if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
        usage_error("unknown option '" + rest.front() + "' (see pfs-run --help)");
        return {false, mpi_tools::launch::kExitUsage};
    }
    opts->app = std::move(rest);
    return {true, 0};
}

Environment current_environment() {
    Environment env;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    env.self_dir = ec ? std::string(".") : self.parent_path().string();
    const char* p = std::getenv("PATH");
    env.path = p ? p : "/usr/local/bin:/usr/bin:/bin";
    const char* r = std::getenv("PFS_ROOT");
    env.pfs_root = r ? r : "";
    env.cwd = fs::current_path(ec).string();
    env.is_root = ::geteuid() == 0;
    const char* ci = std::getenv("CI");
    env.ci = ci && std::string_view(ci) == "true";
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    env.stamp = buf;
    env.pid = static_cast<long>(::getpid());
    return env;
}

std::optional<std::string> resolve_executable(std::string_view name, std::string_view path) {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string_view::npos) {
        std::string n(name);
        if (is_executable_file(n)) return n;
        return std::nullopt;
    }
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t colon = path.find(':', pos);
        if (colon == std::string_view::npos) colon = path.size();
        std::string dir(path.substr(pos, colon - pos));
        if (dir.empty()) dir = ".";  // an empty PATH entry means the current directory
        std::string candidate = dir + "/" + std::string(name);
        if (is_executable_file(candidate)) return candidate;
        pos = colon + 1;
    }
    return std::nullopt;
}

std::optional<std::string> finalize(Options* o, const Environment& env) {
    // Layout: Layout::make / make_plain are the one place counts are validated.
    std::string err;
    constexpr int kUnset = Options::kUnset;
    const bool any_role =
        o->meta != kUnset || o->data != kUnset || o->dm != kUnset || o->compute != kUnset;
    if (o->plain == kUnset && !any_role)
        return "no layout given: use --meta N --data N [--dm N] --compute N, or --plain N";
    if (o->plain != kUnset) {
        if (any_role) return "--plain cannot be combined with --meta/--data/--dm/--compute";
        auto l = Layout::make_plain(o->plain, &err);
        if (!l) return err;
        o->layout = *l;
    } else {
        auto given = [](int v) { return v == kUnset ? 0 : v; };
        auto l =
            Layout::make(given(o->meta), given(o->data), given(o->dm), given(o->compute), &err);
        if (!l) return err;
        o->layout = *l;
    }
    if (o->fake_nodes != 0 && o->fake_nodes < 2) return "--fake-nodes needs K >= 2";
    if (o->fake_nodes != 0 && !o->hostfile.empty())
        return "--fake-nodes and --hostfile cannot be combined";
    if (o->fake_nodes > o->layout.total())
        return "--fake-nodes " + std::to_string(o->fake_nodes) + " is more than the " +
               std::to_string(o->layout.total()) + " ranks of the job";
    if (o->net.empty()) return "--net needs an interface name";
    if (o->btl.empty()) return "--btl needs a list";

    // Programs.
    if (o->app.empty()) return "no application given (pfs-run [options] -- APP [ARGS...])";
    if (env.check_files) {
        auto app = resolve_executable(o->app[0], env.path);
        if (!app) return "application '" + o->app[0] + "' not found or not executable";
        o->app[0] = absolute_of(*app, env.cwd);
    }
    const mpi_tools::Layout& l = o->layout;
    if (!l.plain && l.count_of(Role::meta) + l.count_of(Role::data) > 0) {
        if (o->server.empty()) o->server = env.self_dir + "/pfs-server";
        if (env.check_files) {
            auto s = resolve_executable(o->server, env.path);
            if (!s) return "server program '" + o->server + "' not found or not executable";
            o->server = absolute_of(*s, env.cwd);
        }
    }
    if (!l.plain && l.count_of(Role::dm) > 0) {
        if (o->dm_app.empty()) o->dm_app = env.self_dir + "/pfs-dm-idle";
        if (env.check_files) {
            auto d = resolve_executable(o->dm_app, env.path);
            if (!d) return "dm program '" + o->dm_app + "' not found or not executable";
            o->dm_app = absolute_of(*d, env.cwd);
        }
    }
    if (o->fake_nodes >= 2) {
        o->fakessh = env.self_dir + "/fakessh.sh";
        if (env.check_files && !is_executable_file(o->fakessh))
            return "fake-node agent '" + o->fakessh + "' not found or not executable";
        o->btl = "tcp,self";  // vader segments clash between two daemons on one host
    }

    // Directories (created later, by the caller, unless --dry-run).
    if (o->root.empty()) o->root = env.pfs_root.empty() ? std::string("pfs-root") : env.pfs_root;
    o->root = absolute_of(o->root, env.cwd);
    if (o->run_dir.empty())
        o->run_dir = o->root + "/run/job-" + env.stamp + "-" + std::to_string(env.pid);
    o->run_dir = absolute_of(o->run_dir, env.cwd);
    o->status_file = o->run_dir + "/status";

    // mpirun refuses root without --allow-run-as-root; CI containers have fewer cores than ranks.
    if (env.is_root) o->allow_run_as_root = true;
    if (env.is_root && env.ci) o->oversubscribe = true;
    return std::nullopt;
}

std::vector<std::string> build_mpirun_argv(const Options& o) {
    namespace launch = mpi_tools::launch;
    std::vector<std::string> a{"mpirun", "--enable-recovery"};
    auto mca = [&a](const std::string& k, const std::string& v) {
        a.insert(a.end(), {"--mca", k, v});
    };
    mca("btl", o.btl);
    mca("btl_tcp_if_include", o.net);
    mca("oob_tcp_if_include", o.net);
    if (o.fake_nodes >= 2) {
        mca("plm_rsh_agent", o.fakessh);
        const int total = o.layout.total();
        const int slots = (total + o.fake_nodes - 1) / o.fake_nodes;
        std::string hosts;
        for (int i = 0; i < o.fake_nodes; ++i) {
            if (i) hosts += ',';
            hosts += i == 0 ? std::string("localhost") : "127.0.0." + std::to_string(i + 1);
            hosts += ':' + std::to_string(slots);
        }
        a.insert(a.end(), {"-host", hosts});
    }
    if (!o.hostfile.empty()) a.insert(a.end(), {"--hostfile", o.hostfile});
    if (o.oversubscribe) a.emplace_back("--oversubscribe");
    if (o.allow_run_as_root) a.emplace_back("--allow-run-as-root");
    for (const auto& [k, v] : o.mca) mca(k, v);
    for (const char* var : {launch::kEnvLayout, launch::kEnvRoot, launch::kEnvRunDir,
                            launch::kEnvStatusFile, launch::kEnvFtBackend})
        a.insert(a.end(), {"-x", var});
    // Open MPI 4.1.4 applies "-x VAR=VAL" to the first MPMD block only, while "-x VAR" exports
    // the launcher's own value to every block: so pfs-run sets VAR itself (main.cpp) and passes
    // only the name.
    for (const auto& x : o.exports) a.insert(a.end(), {"-x", x.substr(0, x.find('='))});

    bool first = true;
    auto block = [&](int n, const std::vector<std::string>& prog) {
        if (n <= 0) return;
        if (!first) a.emplace_back(":");
        first = false;
        a.insert(a.end(), {"-np", std::to_string(n)});
        a.insert(a.end(), prog.begin(), prog.end());
    };
    const auto& l = o.layout;
    if (l.plain) {
        block(l.count_of(Role::compute), o.app);
    } else {
        block(l.count_of(Role::meta), {o.server});
        block(l.count_of(Role::data), {o.server});
        block(l.count_of(Role::dm), {o.dm_app});
        block(l.count_of(Role::compute), o.app);
    }
    return a;
}

std::optional<Status> parse_status(std::string_view text, std::string* error) {
    auto fail = [&](std::string msg) -> std::optional<Status> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    Status s;
    std::size_t nl = text.find('\n');
    std::string_view first = text.substr(0, nl);
    while (!first.empty() && (first.back() == '\r' || first.back() == ' ')) first.remove_suffix(1);
    int code = 0;
    auto [p, ec] = std::from_chars(first.data(), first.data() + first.size(), code);
    if (first.empty() || ec != std::errc() || p != first.data() + first.size() || code < 0 ||
        code > 255)
        return fail("status file line 1 is not an exit code 0-255: '" + std::string(first) + "'");
    s.exit_code = code;
    auto split = [](std::string_view v) {
        std::vector<std::string> out;
        std::size_t pos = 0;
        while (!v.empty() && pos <= v.size()) {
            std::size_t c = v.find(',', pos);
            if (c == std::string_view::npos) c = v.size();
            if (c > pos) out.emplace_back(v.substr(pos, c - pos));
            pos = c + 1;
        }
        return out;
    };
    std::size_t pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (pos < text.size()) {
        std::size_t e = text.find('\n', pos);
        if (e == std::string_view::npos) e = text.size();
        std::string_view line = text.substr(pos, e - pos);
        pos = e + 1;
        std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;  // tolerate junk lines
        std::string_view key = line.substr(0, eq), val = line.substr(eq + 1);
        namespace launch = mpi_tools::launch;
        if (key == launch::kStatusKeyFailedRanks) {
            for (const auto& r : split(val)) {
                int rank = -1;
                auto [rp, rec] = std::from_chars(r.data(), r.data() + r.size(), rank);
                if (rec == std::errc() && rp == r.data() + r.size()) s.failed_ranks.push_back(rank);
            }
        } else if (key == launch::kStatusKeyFailedRoles) {
            s.failed_roles = split(val);
        } else if (key == launch::kStatusKeyReason) {
            s.reason = std::string(val);
        } else if (key == launch::kStatusKeyLeader) {
            s.leader = std::string(val);
        }
    }
    return s;
}

std::string shell_quote(std::string_view w) {
    if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-./=:,+@%") == std::string_view::npos)
        return std::string(w);
    std::string q = "'";
    for (char c : w) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

}  // namespace pfs_run
