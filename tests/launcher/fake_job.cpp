// A stand-in for a real PFS job, for testing pfs-run without mpi_tools::Job: plain MPI, no
// project libraries. It honours the launch contract by itself: the highest world rank writes
// $PFS_STATUS_FILE atomically (tmp + rename), then all ranks MPI_Finalize.
//   fake_job [--exit-code N] [--no-status] [--sleep-forever] [--hang-after-status]
//            [--marker DIR] [--reason TEXT] [--fail-rank R] [--kill-rank R]
//   --no-status          nobody writes a status file (pfs-run must exit 1)
//   --sleep-forever      compute ranks never finish (timeout / signal tests)
//   --hang-after-status  the writer never finalizes after writing (bounded shutdown test)
//   --marker DIR         every rank creates DIR/rank.<world rank>.pid holding its pid
//   --fail-rank R        list world rank R as failed in the status file
//   --kill-rank R        world rank R SIGKILLs itself after start-up; the others wait 1 s and
//                        carry on (mpirun --enable-recovery keeps them alive on one node)
// Without arguments (as --server / --dm-app) a rank just prints its role line and finalizes.
#include <mpi.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    int exit_code = 0;
    bool no_status = false, sleep_forever = false, hang_after = false;
    std::string marker, reason = "completed";
    int fail_rank = -1, kill_rank = -1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "fake_job: %s needs a value\n", a.c_str());
                std::exit(64);
            }
            return argv[++i];
        };
        if (a == "--exit-code")
            exit_code = std::atoi(next().c_str());
        else if (a == "--no-status")
            no_status = true;
        else if (a == "--sleep-forever")
            sleep_forever = true;
        else if (a == "--hang-after-status")
            hang_after = true;
        else if (a == "--marker")
            marker = next();
        else if (a == "--reason")
            reason = next();
        else if (a == "--fail-rank")
            fail_rank = std::atoi(next().c_str());
        else if (a == "--kill-rank")
            kill_rank = std::atoi(next().c_str());
        else {
            std::fprintf(stderr, "fake_job: unknown argument %s\n", a.c_str());
            return 64;
        }
    }

    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int appnum_flag = 0;
    int* appnum = nullptr;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_APPNUM, &appnum, &appnum_flag);
    const char* layout = std::getenv("PFS_LAYOUT");
    std::printf("fake_job: rank %d of %d appnum %d args %d layout %s ft %s\n", rank, size,
                appnum_flag ? *appnum : -1, argc - 1, layout ? layout : "(unset)",
                std::getenv("PFS_FT_BACKEND") ? std::getenv("PFS_FT_BACKEND") : "(unset)");
    std::fflush(stdout);

    if (!marker.empty()) {
        std::string p = marker + "/rank." + std::to_string(rank) + ".pid";
        if (FILE* f = std::fopen(p.c_str(), "w")) {
            std::fprintf(f, "%ld\n", static_cast<long>(getpid()));
            std::fclose(f);
        }
    }
    const bool is_app = argc > 1;  // server / dm ranks get no arguments
    if (kill_rank >= 0) {
        if (rank == kill_rank) std::raise(SIGKILL);
        sleep(1);
    }
    if (sleep_forever && is_app)
        for (;;) pause();

    if (rank == size - 1 && is_app && !no_status) {
        const char* status = std::getenv("PFS_STATUS_FILE");
        if (!status) {
            std::fprintf(stderr, "fake_job: PFS_STATUS_FILE is not set\n");
        } else {
            std::string tmp = std::string(status) + ".tmp";
            FILE* f = std::fopen(tmp.c_str(), "w");
            if (f) {
                std::fprintf(f, "%d\n", exit_code);
                if (fail_rank >= 0)
                    std::fprintf(f, "failed_ranks=%d\nfailed_roles=compute\n", fail_rank);
                else
                    std::fprintf(f, "failed_ranks=\nfailed_roles=\n");
                std::fprintf(f, "reason=%s\nleader=%d\n", reason.c_str(), rank);
                std::fclose(f);
                std::rename(tmp.c_str(), status);
            }
        }
        if (hang_after)
            for (;;) pause();
    }
    MPI_Finalize();
    return 0;
}
