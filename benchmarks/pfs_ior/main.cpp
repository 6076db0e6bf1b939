// pfs-ior: an IOR-style benchmark run as the compute ranks of a PFS job (NATIVE, plus POSIX and
// MPIIO baselines on a local directory) or of a plain job (POSIX, MPIIO, DUMMY). Usage and
// output: docs/benchmarks.md. Exit codes: 0 success, 1 I/O error, verification failure or wrong
// file size, 2 bad options (one "pfs-ior: error: ..." line, nothing run).
#include <dmapi.h>
#include <mpi.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "aiori.hpp"
#include "dmapi/events/events.hpp"
#include "extras.hpp"
#include "fail_inject.hpp"
#include "hsm_driver.hpp"
#include "ior_test.hpp"
#include "mdtest.hpp"
#include "monitor.hpp"
#include "mpi_tools/job.hpp"
#include "report.hpp"

namespace {

using namespace pfs_ior;

std::string time_text(std::time_t t, bool iso) {
    char buf[64];
    std::tm tm{};
    if (iso) {
        gmtime_r(&t, &tm);
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        localtime_r(&t, &tm);
        std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Y", &tm);
    }
    return buf;
}

JobInfo job_info(mpi_tools::Job& job, MPI_Comm app, int rank, int tasks) {
    JobInfo info;
    info.layout = job.layout().to_string();
    info.tasks = tasks;
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    std::vector<char> all(static_cast<std::size_t>(tasks) * MPI_MAX_PROCESSOR_NAME);
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME,
                  MPI_CHAR, app);
    std::set<std::string> hosts;
    for (int i = 0; i < tasks; ++i) {
        std::string h(&all[static_cast<std::size_t>(i) * MPI_MAX_PROCESSOR_NAME]);
        hosts.insert(h);
        if (h == std::string(&all[0])) ++info.tasks_per_node;
    }
    info.nodes = static_cast<int>(hosts.size());
    info.host = name;
    struct utsname u {};
    uname(&u);
    info.machine = std::string(u.sysname) + " " + u.nodename;
    info.cores = static_cast<int>(std::thread::hardware_concurrency());
    (void)rank;
    return info;
}

// Every rank reaches the same verdict: 0 when all are ok.
bool all_ok(MPI_Comm app, bool ok) {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, app);
    return all == 1;
}

std::string basename_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// mkdir -p of the parent of `path` through the backend (the PFS starts empty); rank 0 only.
Status make_parents(Backend& b, const std::string& path) {
    std::size_t pos = 0;
    while ((pos = path.find('/', pos + 1)) != std::string::npos) {
        const std::string dir = path.substr(0, pos);
        Status s = b.mkdir(dir);
        if (!s && s.err != EEXIST) return s;
    }
    return Status::ok();
}

struct TestSpec {
    Backend* backend;
    std::string path, role;
};

void on_fatal(const std::string& message) {
    std::fprintf(stderr, "ERROR: %s\n", message.c_str());
    std::fflush(stderr);
    mpi_tools::Job::get().abort(1, "pfs-ior: " + message);
}

}  // namespace

int main(int argc, char** argv) {
    // --hsm talks to pfs-hsm through dmapi.h, whose service must start before the job does
    // (libdmapi then makes the Job; docs/hsm.md).
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--hsm") == 0 || std::strncmp(argv[i], "--hsm=", 6) == 0) {
            char* version = nullptr;
            if (dm_init_service(&version) != 0) std::perror("pfs-ior: dm_init_service");
            break;
        }
    auto& job = mpi_tools::Job::init(&argc, &argv);
    // In a DMAPI job (dm ranks) the PFS client raises events, so runs measure migration active.
    dmapi::events::start(job);
    MPI_Comm app = job.app_comm();
    int rank = 0, tasks = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &tasks);
    set_fatal_handler(on_fatal);

    int code = 0;
    std::string message;
    auto parsed = parse_params(argc, argv, &code, &message);
    if (!parsed) {
        if (rank == 0) std::fprintf(code == 0 ? stdout : stderr, "%s\n", message.c_str());
        std::fflush(nullptr);
        job.finish(code);
    }
    Params p = *parsed;
    auto usage_error = [&](const std::string& why) {
        if (rank == 0) std::fprintf(stderr, "pfs-ior: error: %s\n", why.c_str());
        std::fflush(nullptr);
        job.finish(2);
    };
    if (p.mdtest && (p.api == "MPIIO" || p.api == "HDF5"))
        usage_error("--mdtest runs NATIVE, POSIX or DUMMY (MPI-IO has no namespace calls)");

    if (!p.fail.empty() && job.layout().plain)
        usage_error("--fail needs a PFS job (pfs-run --meta M --data D ...)");
    if (!p.hsm_policy.empty() && job.layout().count_of(mpi_tools::Role::dm) == 0)
        usage_error("--hsm needs dm ranks running pfs-hsm (pfs-run --dm N --dm-app pfs-hsm)");

    Report report;
    const std::time_t began = std::time(nullptr);
    report.began = time_text(began, false);
    report.began_iso = time_text(began, true);
    report.job = job_info(job, app, rank, tasks);

    // ---- backends ----------------------------------------------------------------------------
    std::string why;
    auto primary = make_backend(p.api, job, &why);
    if (!all_ok(app, primary != nullptr)) {
        if (job.layout().plain) usage_error(why.empty() ? "backend unavailable" : why);
        if (!why.empty()) std::fprintf(stderr, "pfs-ior: rank %d: %s\n", rank, why.c_str());
        std::fflush(nullptr);
        job.finish(1);
    }
    std::vector<std::unique_ptr<Backend>> baselines;
    std::vector<TestSpec> specs{{primary.get(), p.test_file, "measured"}};
    if (!p.baseline_dir.empty()) {
        struct stat st {};
        const bool dir_ok = ::stat(p.baseline_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        if (!all_ok(app, dir_ok))
            usage_error("--baseline " + p.baseline_dir + " is not a directory");
        const std::string base = p.baseline_dir + "/" + basename_of(p.test_file);
        baselines.push_back(make_posix_backend());
        specs.push_back({baselines.back().get(), base + ".posix", "baseline"});
        if (!p.mdtest) {
            baselines.push_back(make_mpiio_backend());
            specs.push_back({baselines.back().get(), base + ".mpiio", "baseline"});
        }
    }

    // ---- --fail / --hsm: the measured test is monitored --------------------------------------
    const bool monitored = !p.fail.empty() || !p.hsm_policy.empty();
    Monitor mon;
    mon.retry_errors = !p.fail.empty();
    std::optional<FailSpec> fail_spec;
    std::unique_ptr<FailInjector> injector;
    if (!p.fail.empty()) {
        std::string ignored;
        fail_spec = parse_fail(p.fail, &ignored);
        injector = std::make_unique<FailInjector>(job, *fail_spec, rank == 0);
    }
    std::unique_ptr<HsmDriver> hsm;
    if (!p.hsm_policy.empty()) {
        hsm = std::make_unique<HsmDriver>(p.hsm_policy, rank == 0);
        std::string hwhy;
        if (!hsm->connect(app, &hwhy)) {
            if (rank == 0) std::fprintf(stderr, "pfs-ior: error: %s\n", hwhy.c_str());
            std::fflush(nullptr);
            job.finish(1);
        }
    }

    std::uint32_t seed = p.seed;
    if (seed == 0) seed = static_cast<std::uint32_t>(began);
    MPI_Bcast(&seed, 1, MPI_UINT32_T, 0, app);

    // ---- run: repetitions outermost, so load changes hit every API alike ---------------------
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (rank == 0) {
            Status s = make_parents(*specs[i].backend, specs[i].path);
            if (!s) fatal(s.msg);
        }
        if (p.mdtest) {
            MdResult m;
            m.test_id = static_cast<int>(i);
            m.api = specs[i].backend->name();
            m.path = specs[i].path;
            m.role = specs[i].role;
            m.items_per_task = p.md_items;
            m.unique_dir = p.md_unique_dir;
            report.md.push_back(m);
        } else {
            TestResult t;
            t.test_id = static_cast<int>(i);
            t.api = specs[i].backend->name();
            t.api_version = specs[i].backend->version();
            t.path = specs[i].path;
            t.role = specs[i].role;
            report.tests.push_back(t);
        }
    }
    MPI_Barrier(app);
    if (monitored) {
        mon.start(app, p.slice_s);
        if (injector) injector->arm(mon.t0(), &mon);
    }
    std::vector<std::string> hsm_files;
    for (int k = 0; k < (p.file_per_proc ? tasks : 1); ++k)
        hsm_files.push_back(task_file(p, p.test_file, k));
    for (int iter = 0; iter < p.repetitions; ++iter) {
        if (iter > 0 && p.inter_delay_s > 0)
            std::this_thread::sleep_for(std::chrono::duration<double>(p.inter_delay_s));
        for (std::size_t i = 0; i < specs.size(); ++i) {
            TestContext ctx{app, rank, tasks, specs[i].backend, specs[i].path, seed};
            if (monitored && i == 0) {
                ctx.mon = &mon;
                if (hsm)
                    ctx.after_write = [&](int it) { hsm->after_write(app, it, hsm_files, &mon); };
            }
            if (p.mdtest) {
                run_md_iteration(p, ctx, iter, &report.md[i]);
            } else {
                if (iter == 0) report.tests[i].start_time = time_text(std::time(nullptr), false);
                run_iteration(p, ctx, iter, &report.tests[i]);
            }
        }
    }
    if (monitored) {
        FailInjector::Result fr;
        if (injector) fr = injector->finish();
        const auto summary = mon.reduce(app, fr.kill, fr.detected);
        if (rank == 0) {
            build_extras(summary, fail_spec ? &*fail_spec : nullptr, injector ? &fr : nullptr,
                         hsm.get(), &report);
            if (injector && !fr.killed)
                report.errors.push_back("--fail " + p.fail + ": no rank was killed (" +
                                        (fr.note.empty() ? "the run ended first" : fr.note) + ")");
            if (injector && fr.killed && (fr.detected < 0 || fr.recovered < 0))
                report.errors.push_back(
                    "--fail " + p.fail + ": " +
                    (fr.detected < 0 ? "the failure was not detected" : "no recovery seen") +
                    " within 60 s");
        }
        if (hsm)
            for (const auto& round : hsm->rounds())
                if (round.rc != 0 && rank == 0)
                    report.errors.push_back("--hsm " + p.hsm_policy + ": round " +
                                            std::to_string(round.iter) +
                                            " failed: " + std::strerror(round.rc));
    }
    const std::time_t finished = std::time(nullptr);
    report.finished = time_text(finished, false);
    report.finished_iso = time_text(finished, true);

    for (const auto& t : report.tests) {
        std::uint64_t wrong_w = 0, wrong_r = 0;
        for (const auto& ph : t.phases)
            (ph.access == "write" ? wrong_w : wrong_r) += ph.verify_errors;
        if (wrong_w != 0)
            report.errors.push_back("test " + std::to_string(t.test_id) + " " + t.api +
                                    ": write check (-W) found " + std::to_string(wrong_w) +
                                    " wrong 8-byte words");
        if (wrong_r != 0)
            report.errors.push_back("test " + std::to_string(t.test_id) + " " + t.api +
                                    ": read check (-R) found " + std::to_string(wrong_r) +
                                    " wrong 8-byte words");
        if (t.size_mismatches != 0)
            report.errors.push_back("test " + std::to_string(t.test_id) + " " + t.api + ": " +
                                    std::to_string(t.size_mismatches) +
                                    " files with the wrong size after the write phase");
    }

    // ---- report (task 0) -----------------------------------------------------------------------
    if (rank == 0) {
        report.params = p;
        const bool text = p.summary_format.empty() || !p.summary_file.empty();
        if (text) {
            print_header(stdout, report);
            if (!p.quiet) std::printf("\n");
            for (const auto& t : report.tests) print_test(stdout, report, t);
            if (!report.tests.empty()) print_summary(stdout, report);
            print_md(stdout, report);
            print_ratios(stdout, report);
            print_extras(stdout, report);
            for (const auto& e : report.errors) std::printf("ERROR: %s\n", e.c_str());
            std::printf("Finished            : %s\n", report.finished.c_str());
        }
        if (!p.summary_format.empty()) {
            std::FILE* out = stdout;
            if (!p.summary_file.empty()) out = std::fopen(p.summary_file.c_str(), "w");
            if (out == nullptr) {
                std::fprintf(stderr, "pfs-ior: error: cannot write %s: %s\n",
                             p.summary_file.c_str(), std::strerror(errno));
                report.errors.push_back("cannot write the summary file");
            } else {
                if (p.summary_format == "JSON")
                    std::fprintf(out, "%s\n", to_json(report).dump(1).c_str());
                else
                    print_csv(out, report);
                if (out != stdout) std::fclose(out);
            }
        }
        for (const auto& e : report.errors) std::fprintf(stderr, "pfs-ior: error: %s\n", e.c_str());
        std::fflush(nullptr);
    }
    int failed = report.errors.empty() ? 0 : 1;
    MPI_Bcast(&failed, 1, MPI_INT, 0, app);
    job.finish(failed);
}
