// Option parsing (CLI11) and validation of pfs-ior's parameters.
#include "params.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <sstream>
#include <vector>

#include "aiori.hpp"
#include "fail_inject.hpp"
#include "hsm_driver.hpp"

namespace pfs_ior {

std::optional<std::uint64_t> parse_size(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::size_t pos = 0;
    unsigned long long v = 0;
    try {
        if (text[0] == '-' || text[0] == '+') return std::nullopt;
        v = std::stoull(text, &pos, 10);
    } catch (...) {
        return std::nullopt;
    }
    std::uint64_t mult = 1;
    if (pos < text.size()) {
        switch (text[pos]) {
            case 'k':
            case 'K':
                mult = 1ull << 10;
                break;
            case 'm':
            case 'M':
                mult = 1ull << 20;
                break;
            case 'g':
            case 'G':
                mult = 1ull << 30;
                break;
            case 't':
            case 'T':
                mult = 1ull << 40;
                break;
            default:
                return std::nullopt;
        }
        ++pos;
    }
    if (pos != text.size()) return std::nullopt;
    if (v != 0 && mult > UINT64_MAX / v) return std::nullopt;
    return v * mult;
}

std::string human_size(std::uint64_t bytes) {
    static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, ++u;
    char buf[64];
    if (u == 0 || v == static_cast<double>(static_cast<std::uint64_t>(v)))
        std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(v), units[u]);
    else
        std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
    return buf;
}

std::optional<Params> parse_params(int argc, char** argv, int* exit_code, std::string* message) {
    Params p;
    for (int i = 0; i < argc; ++i) p.command_line += (i ? " " : "") + std::string(argv[i]);

    CLI::App cli{
        "pfs-ior: IOR-style parallel I/O benchmark for the PFS (NATIVE) with POSIX and MPIIO "
        "baselines in the same run; --mdtest for create/stat/unlink rates. See "
        "docs/benchmarks.md."};
    cli.get_formatter()->column_width(28);
    std::string block = "1m", xfer = "256k";
    std::vector<std::string> extra;
    cli.add_option("-a", p.api,
                   "API: NATIVE, POSIX, MPIIO, HDF5 (if built), DUMMY (default POSIX)");
    cli.add_option("-b", block, "block size per task per segment, k/m/g suffix (default 1m)");
    cli.add_option("-t", xfer, "transfer size, k/m/g suffix (default 256k)");
    cli.add_option("-s", p.segments, "segments (default 1)");
    cli.add_flag("-F", p.file_per_proc, "file per process (default: one shared file)");
    cli.add_flag("-c", p.collective, "collective transfers (MPIIO; the other APIs ignore it)");
    cli.add_flag("-w", p.write, "write phase");
    cli.add_flag("-r", p.read, "read phase (neither -w nor -r: both)");
    cli.add_flag("-C", p.reorder, "read phase: each task reads the data of task (rank+Q)%N");
    cli.add_option("-Q", p.reorder_offset, "task offset for -C (default 1)");
    cli.add_flag("-Z", p.reorder_random, "read phase: random task order (seed -X)");
    cli.add_option("-X", p.reorder_seed, "seed of -Z (default 0)");
    cli.add_flag("-e", p.fsync, "fsync after the write phase (inside its timing)");
    cli.add_flag("-Y", p.fsync_per_write, "fsync after every write");
    cli.add_flag("-W", p.check_write, "after the write phase read back and verify the pattern");
    cli.add_flag("-R", p.check_read, "verify the data of the read phase against the pattern");
    cli.add_option("-G", p.seed, "pattern signature (default 0: the start time)");
    cli.add_flag("-g", p.intra_barriers, "barriers between open, transfer and close");
    cli.add_flag("-k", p.keep, "keep the test files");
    cli.add_flag("-E", p.use_existing, "use the existing file: do not remove it before writing");
    cli.add_option("-i", p.repetitions, "repetitions (default 1)");
    cli.add_option("-d", p.inter_delay_s, "seconds between repetitions (default 0)");
    cli.add_option("-D", p.stonewall_s, "stonewall: end each transfer phase after S seconds");
    cli.add_option("-o", p.test_file,
                   "test file (NATIVE: a PFS path; -F appends .<rank>; --mdtest: the directory)");
    cli.add_option("-O", extra, "summaryFormat=JSON|CSV, summaryFile=FILE (repeatable)");
    cli.add_flag("-q", p.quiet, "quiet: results and summary only");
    cli.add_option("--baseline", p.baseline_dir,
                   "also run the workload with POSIX and MPIIO in DIR (same run); ratios");
    cli.add_flag("--mdtest", p.mdtest, "metadata mode: create, stat, unlink rates");
    cli.add_option("-n", p.md_items, "--mdtest: files per task (default 1000)");
    cli.add_flag("-u", p.md_unique_dir, "--mdtest: a directory per task");
    double slice_ms = 100;
    cli.add_option("--fail", p.fail,
                   "ROLE:SECONDS: SIGKILL a data, meta, session (the dm rank holding the HSM's "
                   "session) or dm rank SECONDS after the first phase began (read+SECONDS: "
                   "after the first read phase began); I/O errors are counted and retried");
    cli.add_option("--hsm", p.hsm_policy,
                   "POLICY: drive pfs-hsm during the run: release-after-write (migrate after "
                   "each write phase, the read phase recalls) or archive-after-write");
    cli.add_option("--slice-ms", slice_ms,
                   "--fail/--hsm: bandwidth time-series slice in ms (default 100)");

    auto fail = [&](const std::string& why) -> std::optional<Params> {
        *exit_code = 2;
        *message = "pfs-ior: error: " + why + " (pfs-ior -h lists the options)";
        return std::nullopt;
    };
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        *exit_code = 0;
        *message = cli.help();
        return std::nullopt;
    } catch (const CLI::ParseError& e) {
        return fail(e.what());
    }

    auto b = parse_size(block), t = parse_size(xfer);
    if (!b || *b == 0) return fail("bad block size -b '" + block + "'");
    if (!t || *t == 0) return fail("bad transfer size -t '" + xfer + "'");
    p.block_size = *b;
    p.transfer_size = *t;
    bool known = false;
    for (const auto& n : backend_names()) known = known || n == p.api;
    if (!known) {
        std::string names;
        for (const auto& n : backend_names()) names += (names.empty() ? "" : ", ") + n;
        return fail("unknown API -a '" + p.api + "' (" + names + ")");
    }
    if (p.transfer_size % 8 != 0) return fail("transfer size -t must be a multiple of 8 bytes");
    if (p.transfer_size > (1ull << 30)) return fail("transfer size -t must be at most 1g");
    if (p.block_size % p.transfer_size != 0)
        return fail("block size -b must be a multiple of the transfer size -t");
    if (p.segments == 0) return fail("segments -s must be at least 1");
    if (p.repetitions < 1) return fail("repetitions -i must be at least 1");
    if (p.inter_delay_s < 0 || p.stonewall_s < 0) return fail("-d and -D must not be negative");
    if (p.reorder && p.reorder_random) return fail("-C and -Z exclude each other");
    if (p.reorder_offset < 1) return fail("task offset -Q must be at least 1");
    if (p.stonewall_s > 0 && p.collective)
        return fail("stonewalling -D with collective -c is not supported");
    // MPI_File_sync is collective: tasks stopped by the stonewall after different numbers of
    // writes would wait for each other forever.
    if (p.stonewall_s > 0 && p.fsync_per_write && (p.api == "MPIIO" || !p.baseline_dir.empty()))
        return fail("stonewalling -D with -Y is not supported for MPIIO (collective fsync)");
    if (!p.write && !p.read) p.write = p.read = true;
    if (p.check_write && !p.write) return fail("-W needs the write phase (-w)");
    if (p.check_read && !p.read) return fail("-R needs the read phase (-r)");
    if (p.test_file.empty()) return fail("empty test file name -o");
    if (p.mdtest && p.md_items == 0) return fail("-n must be at least 1");
    for (const auto& kv : extra) {
        const auto eq = kv.find('=');
        const std::string key = kv.substr(0, eq),
                          val = eq == std::string::npos ? "" : kv.substr(eq + 1);
        if (key == "summaryFormat") {
            if (val == "JSON" || val == "CSV")
                p.summary_format = val;
            else if (val != "default")
                return fail("-O summaryFormat must be JSON or CSV, not '" + val + "'");
        } else if (key == "summaryFile") {
            if (val.empty()) return fail("-O summaryFile needs a file name");
            p.summary_file = val;
        } else {
            return fail("unknown -O option '" + kv + "' (summaryFormat, summaryFile)");
        }
    }
    if (!p.summary_file.empty() && p.summary_format.empty()) p.summary_format = "JSON";
    if (!p.fail.empty()) {
        std::string why;
        if (!parse_fail(p.fail, &why)) return fail(why);
    }
    if (!p.hsm_policy.empty() && !HsmDriver::valid_policy(p.hsm_policy))
        return fail("--hsm POLICY must be release-after-write or archive-after-write, not '" +
                    p.hsm_policy + "'");
    if (!p.hsm_policy.empty() && p.api != "NATIVE") return fail("--hsm needs -a NATIVE");
    if (!p.hsm_policy.empty() && !(p.write && p.read))
        return fail("--hsm needs the write and the read phase");
    if (p.mdtest && (!p.fail.empty() || !p.hsm_policy.empty()))
        return fail("--fail and --hsm are for the bandwidth mode, not --mdtest");
    if (slice_ms < 1 || slice_ms > 60000) return fail("--slice-ms must be 1..60000");
    p.slice_s = slice_ms / 1000.0;
    return p;
}

}  // namespace pfs_ior
