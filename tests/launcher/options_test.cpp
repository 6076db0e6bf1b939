// pfs-run's command line: parsing, validation and the mpirun argv (no process is started).
#include "options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using pfs_run::Options;

pfs_run::Environment test_env(bool root = false, bool ci = false) {
    pfs_run::Environment e;
    e.self_dir = "/opt/pfs/bin";
    e.path = "/usr/bin:/bin";
    e.cwd = "/home/u";
    e.is_root = root;
    e.ci = ci;
    e.stamp = "20240101-120000";
    e.pid = 42;
    e.check_files = false;
    return e;
}

struct Parsed {
    pfs_run::ParseResult result;
    Options opts;
};

Parsed parse(std::vector<std::string> args) {
    args.insert(args.begin(), "pfs-run");
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    Parsed p;
    p.result = pfs_run::parse_args(static_cast<int>(argv.size()), argv.data(), &p.opts);
    return p;
}

// Parses and finalizes; returns the error ("" if fine).
std::string prepare(const std::vector<std::string>& args, Options* out,
                    const pfs_run::Environment& env = test_env()) {
    Parsed p = parse(args);
    if (!p.result.run) return "parse failed with code " + std::to_string(p.result.exit_code);
    auto err = pfs_run::finalize(&p.opts, env);
    *out = p.opts;
    return err ? *err : "";
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
}

TEST(PfsRunArgv, MpmdBlocksInRoleOrder) {
    Options o;
    ASSERT_EQ(prepare({"--meta", "1", "--data", "2", "--dm", "1", "--compute", "3", "--", "app",
                       "-v", "x"},
                      &o),
              "");
    EXPECT_EQ(o.layout.to_string(), "meta:1,data:2,dm:1,compute:3");
    auto a = pfs_run::build_mpirun_argv(o);
    std::string s = joined(a);
    EXPECT_EQ(a.front(), "mpirun");
    EXPECT_EQ(a[1], "--enable-recovery");
    EXPECT_NE(s.find("--mca btl vader,self,tcp --mca btl_tcp_if_include lo "
                     "--mca oob_tcp_if_include lo"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("-x PFS_LAYOUT -x PFS_ROOT -x PFS_RUN_DIR -x PFS_STATUS_FILE "
                     "-x PFS_FT_BACKEND"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("-np 1 /opt/pfs/bin/pfs-server : -np 2 /opt/pfs/bin/pfs-server : "
                     "-np 1 /opt/pfs/bin/pfs-dm-idle : -np 3 app -v x"),
              std::string::npos)
        << s;
    EXPECT_EQ(std::count(a.begin(), a.end(), "--oversubscribe"), 0);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--allow-run-as-root"), 0);
    EXPECT_EQ(o.root, "/home/u/pfs-root");
    EXPECT_EQ(o.run_dir, "/home/u/pfs-root/run/job-20240101-120000-42");
    EXPECT_EQ(o.status_file, o.run_dir + "/status");
}

TEST(PfsRunArgv, SkipsEmptyDmBlock) {
    Options o;
    ASSERT_EQ(
        prepare({"--meta", "1", "--data", "1", "--compute", "2", "--server", "srv", "app"}, &o),
        "");
    std::string s = joined(pfs_run::build_mpirun_argv(o));
    EXPECT_NE(s.find("-np 1 srv : -np 1 srv : -np 2 app"), std::string::npos) << s;
    EXPECT_EQ(s.find("pfs-dm-idle"), std::string::npos) << s;
}

TEST(PfsRunArgv, PlainJobIsOneBlock) {
    Options o;
    ASSERT_EQ(prepare({"--plain", "4", "app", "--exit-code", "3"}, &o), "");
    EXPECT_EQ(o.layout.to_string(), "plain:4");
    auto a = pfs_run::build_mpirun_argv(o);
    EXPECT_EQ(std::count(a.begin(), a.end(), ":"), 0);
    std::string s = joined(a);
    EXPECT_NE(s.find("-np 4 app --exit-code 3"), std::string::npos) << s;
}

TEST(PfsRunArgv, AppOptionsAreNotParsedByPfsRun) {
    Options o;
    ASSERT_EQ(prepare({"--plain", "2", "app", "--timeout", "5", "--", "--plain"}, &o), "");
    EXPECT_EQ(o.timeout, 0);
    EXPECT_EQ(joined(o.app), "app --timeout 5 -- --plain");
}

TEST(PfsRunArgv, PassThroughOptionsInOrder) {
    Options o;
    ASSERT_EQ(prepare({"--plain",
                       "2",
                       "--mca",
                       "a",
                       "1",
                       "--mca",
                       "b",
                       "2",
                       "-x",
                       "FOO",
                       "-x",
                       "BAR=baz",
                       "--hostfile",
                       "hf",
                       "--net",
                       "eth0",
                       "--btl",
                       "tcp,self",
                       "--ft-backend",
                       "portable",
                       "--oversubscribe",
                       "app"},
                      &o),
              "");
    std::string s = joined(pfs_run::build_mpirun_argv(o));
    EXPECT_NE(s.find("--mca btl tcp,self --mca btl_tcp_if_include eth0 "
                     "--mca oob_tcp_if_include eth0"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("--hostfile hf --oversubscribe --mca a 1 --mca b 2"), std::string::npos) << s;
    // VAR=VAL is set in pfs-run's environment and exported by name: mpirun applies
    // "-x VAR=VAL" to the first MPMD block only.
    EXPECT_NE(s.find("-x PFS_FT_BACKEND -x FOO -x BAR -np 2 app"), std::string::npos) << s;
    EXPECT_EQ(o.ft_backend, "portable");
}

TEST(PfsRunArgv, RootAndCiRules) {
    Options o;
    ASSERT_EQ(prepare({"--plain", "1", "app"}, &o, test_env(true, false)), "");
    auto a = pfs_run::build_mpirun_argv(o);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--allow-run-as-root"), 1);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--oversubscribe"), 0);

    ASSERT_EQ(prepare({"--plain", "1", "app"}, &o, test_env(true, true)), "");
    a = pfs_run::build_mpirun_argv(o);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--oversubscribe"), 1);

    ASSERT_EQ(prepare({"--plain", "1", "app"}, &o, test_env(false, true)), "");
    a = pfs_run::build_mpirun_argv(o);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--oversubscribe"), 0);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--allow-run-as-root"), 0);

    ASSERT_EQ(prepare({"--plain", "1", "--allow-run-as-root", "app"}, &o), "");
    a = pfs_run::build_mpirun_argv(o);
    EXPECT_EQ(std::count(a.begin(), a.end(), "--allow-run-as-root"), 1);
}

TEST(PfsRunArgv, FakeNodes) {
    Options o;
    ASSERT_EQ(prepare({"--plain", "5", "--fake-nodes", "2", "app"}, &o), "");
    std::string s = joined(pfs_run::build_mpirun_argv(o));
    EXPECT_NE(s.find("--mca btl tcp,self "), std::string::npos) << s;
    EXPECT_NE(s.find("--mca plm_rsh_agent /opt/pfs/bin/fakessh.sh -host localhost:3,127.0.0.2:3"),
              std::string::npos)
        << s;
    ASSERT_EQ(prepare({"--plain", "6", "--fake-nodes", "3", "app"}, &o), "");
    s = joined(pfs_run::build_mpirun_argv(o));
    EXPECT_NE(s.find("-host localhost:2,127.0.0.2:2,127.0.0.3:2"), std::string::npos) << s;
}

TEST(PfsRunArgv, RootAndRunDirDefaults) {
    Options o;
    auto env = test_env();
    env.pfs_root = "/scratch/root";
    ASSERT_EQ(prepare({"--plain", "1", "app"}, &o, env), "");
    EXPECT_EQ(o.root, "/scratch/root");
    EXPECT_EQ(o.run_dir, "/scratch/root/run/job-20240101-120000-42");
    ASSERT_EQ(prepare({"--plain", "1", "--root", "r", "--run-dir", "rd", "app"}, &o, env), "");
    EXPECT_EQ(o.root, "/home/u/r");
    EXPECT_EQ(o.run_dir, "/home/u/rd");
    EXPECT_EQ(o.status_file, "/home/u/rd/status");
}

TEST(PfsRunValidation, BadLayoutsAreRejected) {
    Options o;
    EXPECT_NE(prepare({"--data", "1", "--compute", "1", "app"}, &o).find("meta"),
              std::string::npos);
    EXPECT_NE(prepare({"--meta", "1", "--compute", "1", "app"}, &o).find("data"),
              std::string::npos);
    EXPECT_NE(prepare({"--meta", "1", "--data", "1", "app"}, &o).find("compute"),
              std::string::npos);
    EXPECT_NE(
        prepare({"--meta", "1", "--data", "-1", "--compute", "1", "app"}, &o).find("negative"),
        std::string::npos);
    EXPECT_NE(prepare({"--plain", "2", "--meta", "1", "app"}, &o).find("--plain"),
              std::string::npos);
    EXPECT_NE(prepare({"--plain", "0", "app"}, &o), "");
    EXPECT_NE(prepare({"--meta", "1", "--data", "1", "--compute", "1"}, &o).find("application"),
              std::string::npos);
    EXPECT_NE(prepare({"--plain", "2", "--fake-nodes", "1", "app"}, &o), "");
    EXPECT_NE(prepare({"--plain", "2", "--fake-nodes", "2", "--hostfile", "h", "app"}, &o), "");
}

TEST(PfsRunValidation, ParseErrorsGiveUsageCode) {
    EXPECT_EQ(parse({"--bogus", "--plain", "1", "app"}).result.exit_code, 2);
    EXPECT_FALSE(parse({"--bogus", "--plain", "1", "app"}).result.run);
    EXPECT_EQ(parse({"--meta", "x", "app"}).result.exit_code, 2);
    EXPECT_EQ(parse({"--ft-backend", "magic", "--plain", "1", "app"}).result.exit_code, 2);
    EXPECT_EQ(parse({"--timeout", "-3", "--plain", "1", "app"}).result.exit_code, 2);
    EXPECT_EQ(parse({"--plain"}).result.exit_code, 2);
    EXPECT_EQ(parse({"--mca", "a", "--plain", "1", "app"}).result.exit_code, 2);
    auto help = parse({"--help"});
    EXPECT_FALSE(help.result.run);
    EXPECT_EQ(help.result.exit_code, 0);
}

TEST(PfsRunValidation, ResolvesLikeExecvp) {
    EXPECT_EQ(pfs_run::resolve_executable("sh", "/nonexistent:/bin"), "/bin/sh");
    EXPECT_FALSE(pfs_run::resolve_executable("no-such-program-xyz", "/bin:/usr/bin"));
    EXPECT_FALSE(pfs_run::resolve_executable("/etc/passwd", "/bin"));  // not executable
    EXPECT_FALSE(pfs_run::resolve_executable("/bin", "/bin"));         // a directory
    EXPECT_EQ(pfs_run::resolve_executable("/bin/sh", ""), "/bin/sh");
}

TEST(PfsRunStatus, ParsesTheContractFormat) {
    std::string err;
    auto s = pfs_run::parse_status(
        "137\nfailed_ranks=3,5\nfailed_roles=compute,data\nreason=compute rank 3 failed\n"
        "leader=0\n",
        &err);
    ASSERT_TRUE(s) << err;
    EXPECT_EQ(s->exit_code, 137);
    EXPECT_EQ(s->failed_ranks, (std::vector<int>{3, 5}));
    EXPECT_EQ(s->failed_roles, (std::vector<std::string>{"compute", "data"}));
    EXPECT_EQ(s->reason, "compute rank 3 failed");
    EXPECT_EQ(s->leader, "0");
    auto ok = pfs_run::parse_status("0\nfailed_ranks=\nreason=completed\n", &err);
    ASSERT_TRUE(ok) << err;
    EXPECT_TRUE(ok->failed_ranks.empty());
    EXPECT_FALSE(pfs_run::parse_status("", &err));
    EXPECT_FALSE(pfs_run::parse_status("abc\n", &err));
    EXPECT_FALSE(pfs_run::parse_status("300\n", &err));
}

TEST(PfsRunQuote, QuotesOnlyWhenNeeded) {
    EXPECT_EQ(pfs_run::shell_quote("a/b-c"), "a/b-c");
    EXPECT_EQ(pfs_run::shell_quote("a b"), "'a b'");
    EXPECT_EQ(pfs_run::shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(pfs_run::shell_quote(""), "''");
}

}  // namespace
