// The IOR test driver: write and read phases of every repetition on one backend, timed as IOR
// times them (open, transfer, close, total: latest end minus earliest start over all tasks).
#pragma once

#include <mpi.h>

#include <functional>
#include <string>

#include "aiori.hpp"
#include "monitor.hpp"
#include "params.hpp"
#include "results.hpp"

namespace pfs_ior {

// Everything one test needs. `comm` is the application communicator (the compute ranks).
struct TestContext {
    MPI_Comm comm = MPI_COMM_NULL;
    int rank = 0, tasks = 1;
    Backend* backend = nullptr;
    std::string path;        // the test file (shared) or the prefix of the per-task files (-F)
    std::uint32_t seed = 0;  // the pattern signature every task uses (-G or the start time)
    // The measured test only (--fail, --hsm): what monitor.hpp records, and a collective hook
    // run after each complete write phase (and its -W check), before the read phase.
    Monitor* mon = nullptr;
    std::function<void(int iter)> after_write;
};

// Runs repetition `iter` of the test: write and/or read phase as Params say, appends the rows
// to *out. An I/O error ends the whole job (as IOR's ERR does) after printing it: the job may be
// in a collective, so no rank can wait for the others to learn about it.
void run_iteration(const Params& p, const TestContext& ctx, int iter, TestResult* out);

// The path of task `task`'s file.
std::string task_file(const Params& p, const std::string& path, int task);

// I/O errors end the job; set by main (mpi_tools::Job::abort).
using FatalHandler = void (*)(const std::string& message);
void set_fatal_handler(FatalHandler h);
[[noreturn]] void fatal(const std::string& message);

}  // namespace pfs_ior
