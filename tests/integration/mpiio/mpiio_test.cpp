// pfs-mpiio-test: the MPI-IO driver's test program. A compute-rank program of a PFS job
// (pfs-run) linked with libpfs_mpiio; every case prints "MPIIO-TEST <case> PASS" on rank 0
// when all ranks passed, and the job exits 1 otherwise.
//   --case flatten      flattening of every combiner vs MPI's own unpack (plain 1-rank job ok)
//   --case calls        every MPI_File_* call on a pfs: file
//   --case views        file views with every combiner vs a reference image built by MPI_Unpack
//   --case coll         collective and independent writes give identical files; two-phase read
//   --case errors       bad input gives the right error class, crashes nothing, hangs nothing
//   --case dm_abort     a create the DM application refuses gives the DM-abort class (dm_abort.sh)
//   --case passthrough  a path without pfs: goes to Open MPI's own MPI-IO (--local-dir)
//   --case atomic       atomic mode: concurrent overlapping writes/reads never mix (4 ranks)
//   --case atomic_timeout  a lock never released: waiters fail at the deadline (3 ranks)
//   --case nonblocking_collective  i*_all calls do not block (nonblocking_collective.cpp)
//   --case datarep      the external32 data representation (datarep.cpp)
#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/transport.hpp"
#include "mpi_tools/wire.hpp"
#include "mpiio_test_util.hpp"
#include "pfs/client/client.hpp"
#include "pfs/client/event_sink.hpp"
#include "pfs/mpiio/flatten.hpp"
#include "pfs/mpiio/mpiio.hpp"
#include "type_zoo.hpp"

using mpiio_test::Checker;

// Whole file through the native client (the path the driver writes through, not the driver).
std::vector<char> mpiio_test::native_read(const std::string& path) {
    auto* c = pfs::mpiio::native_client();
    std::vector<char> out;
    if (c == nullptr) return out;
    auto fd = c->open(path, O_RDONLY);
    if (!fd) return out;
    auto a = c->fstat(*fd);
    if (a) {
        out.resize(a->size);
        auto r = c->pread(*fd, out.data(), out.size(), 0);
        if (!r) out.clear();
    }
    (void)c->close(*fd);
    return out;
}

namespace {

using mpiio_test::native_read;

MPI_Comm g_app;
int g_rank = 0, g_size = 1;

// Reference blocks of `t` from MPI's pack engine: unpack byte markers into an image and read
// back which image byte received which packed byte.
std::vector<pfs::mpiio::Block> reference_blocks(MPI_Datatype t) {
    int psz = 0;
    MPI_Pack_size(1, t, MPI_COMM_SELF, &psz);
    MPI_Count size = 0, tlb = 0, text = 0;
    MPI_Type_size_x(t, &size);
    MPI_Type_get_true_extent_x(t, &tlb, &text);
    std::vector<std::uint32_t> idx(static_cast<std::size_t>(text), 0);
    std::vector<bool> covered(static_cast<std::size_t>(text), false);
    std::vector<unsigned char> packed(static_cast<std::size_t>(size)), image(text);
    for (int pass = 0; pass < 4; ++pass) {
        for (MPI_Count i = 0; i < size; ++i)
            packed[i] = pass == 3 ? 1 : static_cast<unsigned char>(i >> (8 * pass));
        std::fill(image.begin(), image.end(), 0);
        int pos = 0;
        MPI_Unpack(packed.data(), static_cast<int>(size), &pos, image.data() - tlb, 1, t,
                   MPI_COMM_SELF);
        for (MPI_Count j = 0; j < text; ++j) {
            if (pass < 3)
                idx[j] |= static_cast<std::uint32_t>(image[j]) << (8 * pass);
            else
                covered[j] = image[j] == 1;
        }
    }
    std::vector<std::pair<std::uint32_t, std::int64_t>> order;
    for (MPI_Count j = 0; j < text; ++j)
        if (covered[j]) order.emplace_back(idx[j], j + tlb);
    std::sort(order.begin(), order.end());
    std::vector<pfs::mpiio::Block> out;
    for (auto& [k, off] : order) {
        if (!out.empty() && out.back().off + out.back().len == off)
            ++out.back().len;
        else
            out.push_back({off, 1});
    }
    return out;
}

// ---- flatten ---------------------------------------------------------------------------------
void case_flatten(Checker& ck) {
    auto zoo = mpiio_test::make_zoo(g_rank, g_size);
    for (auto& z : zoo) {
        auto f = pfs::mpiio::flatten(z.type);
        if (!f) {
            ck.fail(__FILE__, __LINE__, z.name + ": flatten failed");
            continue;
        }
        auto ref = reference_blocks(z.type);
        if (f->blocks != ref)
            ck.fail(__FILE__, __LINE__,
                    z.name + ": blocks differ from MPI's type map (" +
                        std::to_string(f->blocks.size()) + " vs " + std::to_string(ref.size()) +
                        " blocks)");
        MPI_Count lb = 0, ext = 0, size = 0;
        MPI_Type_get_extent_x(z.type, &lb, &ext);
        MPI_Type_size_x(z.type, &size);
        if (f->lb != lb || f->extent != ext || f->size != size)
            ck.fail(__FILE__, __LINE__, z.name + ": bounds differ");
        if ((f->nonneg && f->monotonic) != z.filetype_ok)
            ck.fail(__FILE__, __LINE__, z.name + ": filetype legality flag wrong");
        // Cached: the second call returns the same object.
        if (pfs::mpiio::flatten(z.type) != f && z.name.rfind("named", 0) != 0)
            ck.fail(__FILE__, __LINE__, z.name + ": not cached");
        // gather/scatter agree with MPI_Pack/MPI_Unpack for 2 elements.
        MPI_Count tlb = 0, text = 0;
        MPI_Type_get_true_extent_x(z.type, &tlb, &text);
        const std::int64_t span = text + ext;
        std::vector<char> mem(static_cast<std::size_t>(span + 64));
        for (std::size_t i = 0; i < mem.size(); ++i) mem[i] = static_cast<char>(i * 7 + 1);
        char* base = mem.data() + 32 - tlb;
        std::vector<char> mine(static_cast<std::size_t>(2 * size)), theirs(mine.size());
        pfs::mpiio::gather(base, 2, *f, mine.data(), 2 * size);
        int pos = 0;
        MPI_Pack(base, 2, z.type, theirs.data(), static_cast<int>(theirs.size()), &pos,
                 MPI_COMM_SELF);
        if (mine != theirs) ck.fail(__FILE__, __LINE__, z.name + ": gather differs from MPI_Pack");
    }
    mpiio_test::free_zoo(zoo);
}

// ---- calls -----------------------------------------------------------------------------------
int g_eh_calls = 0;
void count_eh(MPI_File*, int*, ...) {
    ++g_eh_calls;
}

void case_calls(Checker& ck) {
    const char* name = "pfs:/calls.dat";
    MPI_File fh = MPI_FILE_NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "cb_nodes", "1");
    EXPECT_OK(ck, MPI_File_open(g_app, name, MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh));
    MPI_Info_free(&info);
    if (fh == MPI_FILE_NULL) return;
    int amode = 0;
    EXPECT_OK(ck, MPI_File_get_amode(fh, &amode));
    EXPECT_TRUE(ck, amode == (MPI_MODE_CREATE | MPI_MODE_RDWR));
    MPI_Group g, ga;
    int cmp = MPI_UNEQUAL;
    EXPECT_OK(ck, MPI_File_get_group(fh, &g));
    MPI_Comm_group(g_app, &ga);
    MPI_Group_compare(g, ga, &cmp);
    EXPECT_TRUE(ck, cmp == MPI_IDENT);
    MPI_Group_free(&g);
    MPI_Group_free(&ga);
    // Hints: given at open, changed by set_info, reported by get_info.
    MPI_Info got;
    char val[64] = {};
    int flag = 0;
    EXPECT_OK(ck, MPI_File_get_info(fh, &got));
    MPI_Info_get(got, "cb_nodes", 63, val, &flag);
    EXPECT_TRUE(ck, flag && std::string(val) == "1");
    MPI_Info_free(&got);
    MPI_Info_create(&info);
    MPI_Info_set(info, "cb_buffer_size", "65536");
    EXPECT_OK(ck, MPI_File_set_info(fh, info));
    MPI_Info_free(&info);
    EXPECT_OK(ck, MPI_File_get_info(fh, &got));
    MPI_Info_get(got, "cb_buffer_size", 63, val, &flag);
    EXPECT_TRUE(ck, flag && std::string(val) == "65536");
    MPI_Info_free(&got);
    // Errhandler: MPI_ERRORS_RETURN by default, a user handler is called.
    MPI_Errhandler eh;
    EXPECT_OK(ck, MPI_File_get_errhandler(fh, &eh));
    EXPECT_TRUE(ck, eh == MPI_ERRORS_RETURN);
    MPI_Errhandler_free(&eh);
    // c2f/f2c round trip is the same handle.
    EXPECT_TRUE(ck, MPI_File_f2c(MPI_File_c2f(fh)) == fh);

    EXPECT_OK(ck, MPI_File_set_size(fh, 0));
    MPI_Offset size = -1;
    EXPECT_OK(ck, MPI_File_get_size(fh, &size));
    EXPECT_TRUE(ck, size == 0);
    MPI_Barrier(g_app);

    // write_at / read_at, status filled.
    std::vector<int> a(1000), b(1000);
    std::iota(a.begin(), a.end(), g_rank * 100000);
    MPI_Status st;
    const MPI_Offset off = static_cast<MPI_Offset>(g_rank) * 4000;
    EXPECT_OK(ck, MPI_File_write_at(fh, off, a.data(), 1000, MPI_INT, &st));
    int cnt = -1;
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 1000);
    MPI_Get_elements(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 1000);
    EXPECT_OK(ck, MPI_File_sync(fh));
    MPI_Barrier(g_app);
    EXPECT_OK(ck, MPI_File_sync(fh));
    EXPECT_OK(ck, MPI_File_read_at(fh, off, b.data(), 1000, MPI_INT, &st));
    EXPECT_TRUE(ck, a == b);
    EXPECT_OK(ck, MPI_File_get_size(fh, &size));
    if (size != 4000 * g_size)
        ck.fail(__FILE__, __LINE__, "size " + std::to_string(size) + " after all wrote");
    MPI_Barrier(g_app);  // nobody writes further before everyone checked the size

    // Individual pointer: seek, write, get_position, seek back, read, SEEK_END.
    const MPI_Offset base = 4000 * g_size + g_rank * 40;
    EXPECT_OK(ck, MPI_File_seek(fh, base, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_write(fh, a.data(), 10, MPI_INT, &st));
    MPI_Offset p = -1;
    EXPECT_OK(ck, MPI_File_get_position(fh, &p));
    EXPECT_TRUE(ck, p == base + 40);
    EXPECT_OK(ck, MPI_File_seek(fh, -40, MPI_SEEK_CUR));
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_read(fh, b.data(), 10, MPI_INT, &st));
    EXPECT_TRUE(ck, std::equal(a.begin(), a.begin() + 10, b.begin()));
    MPI_Barrier(g_app);
    EXPECT_OK(ck, MPI_File_seek(fh, 0, MPI_SEEK_END));
    EXPECT_OK(ck, MPI_File_get_position(fh, &p));
    EXPECT_TRUE(ck, p == 4000 * g_size + 40 * g_size);
    MPI_Offset bo = -1;
    EXPECT_OK(ck, MPI_File_get_byte_offset(fh, 5, &bo));
    EXPECT_TRUE(ck, bo == 5);
    MPI_Aint ext = 0;
    EXPECT_OK(ck, MPI_File_get_type_extent(fh, MPI_DOUBLE, &ext));
    EXPECT_TRUE(ck, ext == 8);
    // Atomicity.
    int at = -1;
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, 1));
    EXPECT_OK(ck, MPI_File_get_atomicity(fh, &at));
    EXPECT_TRUE(ck, at == 1);
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, 0));
    // Preallocate extends only.
    EXPECT_OK(ck, MPI_File_preallocate(fh, 1 << 20));
    EXPECT_OK(ck, MPI_File_get_size(fh, &size));
    EXPECT_TRUE(ck, size == (1 << 20));
    EXPECT_OK(ck, MPI_File_preallocate(fh, 10));
    EXPECT_OK(ck, MPI_File_get_size(fh, &size));
    EXPECT_TRUE(ck, size == (1 << 20));

    // A view: rank r owns every nprocs-th int from disp 8192; get_view returns it.
    MPI_Datatype ft;
    MPI_Type_create_resized(MPI_INT, 0, 4 * g_size, &ft);
    MPI_Type_commit(&ft);
    EXPECT_OK(ck,
              MPI_File_set_view(fh, (1 << 19) + 4 * g_rank, MPI_INT, ft, "native", MPI_INFO_NULL));
    MPI_Offset vd = -1;
    MPI_Datatype ve, vf;
    char rep[MPI_MAX_DATAREP_STRING];
    EXPECT_OK(ck, MPI_File_get_view(fh, &vd, &ve, &vf, rep));
    EXPECT_TRUE(ck, vd == (1 << 19) + 4 * g_rank && ve == MPI_INT && std::string(rep) == "native");
    int ni, na, nt, comb = -1;
    MPI_Type_get_envelope(vf, &ni, &na, &nt, &comb);
    EXPECT_TRUE(ck, comb == MPI_COMBINER_DUP || comb == MPI_COMBINER_RESIZED);
    MPI_Type_free(&vf);
    EXPECT_OK(ck, MPI_File_get_byte_offset(fh, 2, &bo));
    EXPECT_TRUE(ck, bo == (1 << 19) + 4 * g_rank + 2 * 4 * g_size);
    // Collective through the view (individual pointer), then explicit offsets (_at_all).
    EXPECT_OK(ck, MPI_File_write_all(fh, a.data(), 100, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 100);
    EXPECT_OK(ck, MPI_File_get_position(fh, &p));
    EXPECT_TRUE(ck, p == 100);
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_read_at_all(fh, 0, b.data(), 100, MPI_INT, &st));
    EXPECT_TRUE(ck, std::equal(a.begin(), a.begin() + 100, b.begin()));
    EXPECT_OK(ck, MPI_File_write_at_all(fh, 100, a.data() + 100, 100, MPI_INT, &st));
    EXPECT_OK(ck, MPI_File_seek(fh, 0, MPI_SEEK_SET));
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_read_all(fh, b.data(), 200, MPI_INT, &st));
    EXPECT_TRUE(ck, std::equal(a.begin(), a.begin() + 200, b.begin()));
    // Nonblocking: real requests, mixed with a point-to-point pair in one MPI_Waitall.
    MPI_Request rq[4];
    int token = 7, token_in = 0;
    EXPECT_OK(ck, MPI_File_iwrite_at(fh, 200, a.data() + 200, 50, MPI_INT, &rq[0]));
    MPI_Irecv(&token_in, 1, MPI_INT, 0, 99, MPI_COMM_SELF, &rq[1]);
    MPI_Isend(&token, 1, MPI_INT, 0, 99, MPI_COMM_SELF, &rq[2]);
    EXPECT_OK(ck, MPI_File_iwrite_at_all(fh, 250, a.data() + 250, 50, MPI_INT, &rq[3]));
    MPI_Status sts[4];
    EXPECT_OK(ck, MPI_Waitall(4, rq, sts));
    MPI_Get_count(&sts[0], MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 50 && token_in == 7);
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_iread_at(fh, 200, b.data(), 50, MPI_INT, &rq[0]));
    int done = 0;
    while (!done) MPI_Test(&rq[0], &done, &st);
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 50 && std::equal(a.begin() + 200, a.begin() + 250, b.begin()));
    EXPECT_OK(ck, MPI_File_iread_at_all(fh, 250, b.data(), 50, MPI_INT, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], &st));
    EXPECT_TRUE(ck, std::equal(a.begin() + 250, a.begin() + 300, b.begin()));
    EXPECT_OK(ck, MPI_File_seek(fh, 300, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_iwrite(fh, a.data() + 300, 10, MPI_INT, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_iwrite_all(fh, a.data() + 310, 10, MPI_INT, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_seek(fh, 300, MPI_SEEK_SET));
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_iread(fh, b.data(), 10, MPI_INT, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_iread_all(fh, b.data() + 10, 10, MPI_INT, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
    EXPECT_TRUE(ck, std::equal(a.begin() + 300, a.begin() + 320, b.begin()));
    // Split collectives.
    EXPECT_OK(ck, MPI_File_write_at_all_begin(fh, 320, a.data() + 320, 10, MPI_INT));
    EXPECT_OK(ck, MPI_File_write_at_all_end(fh, a.data() + 320, &st));
    EXPECT_OK(ck, MPI_File_seek(fh, 330, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_write_all_begin(fh, a.data() + 330, 10, MPI_INT));
    EXPECT_OK(ck, MPI_File_write_all_end(fh, a.data() + 330, &st));
    std::fill(b.begin(), b.end(), 0);
    EXPECT_OK(ck, MPI_File_read_at_all_begin(fh, 320, b.data(), 10, MPI_INT));
    EXPECT_OK(ck, MPI_File_read_at_all_end(fh, b.data(), &st));
    EXPECT_OK(ck, MPI_File_seek(fh, 330, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_read_all_begin(fh, b.data() + 10, 10, MPI_INT));
    EXPECT_OK(ck, MPI_File_read_all_end(fh, b.data() + 10, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 10 && std::equal(a.begin() + 320, a.begin() + 340, b.begin()));
    EXPECT_CLASS(ck, MPI_File_read_all_end(fh, b.data(), &st), MPI_ERR_IO);  // no begin
    MPI_Type_free(&ft);

    // Shared pointer: ordered calls and the pointer work, independent *_shared do not.
    EXPECT_OK(ck, MPI_File_set_view(fh, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
    EXPECT_OK(ck, MPI_File_seek_shared(fh, 1 << 20, MPI_SEEK_SET));
    std::vector<char> mine(static_cast<std::size_t>(g_rank + 1), static_cast<char>('a' + g_rank));
    EXPECT_OK(ck, MPI_File_write_ordered(fh, mine.data(), g_rank + 1, MPI_CHAR, &st));
    EXPECT_OK(ck, MPI_File_get_position_shared(fh, &p));
    EXPECT_TRUE(ck, p == (1 << 20) + g_size * (g_size + 1) / 2);
    std::string expect;
    for (int r = 0; r < g_size; ++r)
        expect += std::string(static_cast<std::size_t>(r + 1), static_cast<char>('a' + r));
    std::string back(expect.size(), '\0');
    EXPECT_OK(ck, MPI_File_read_at(fh, 1 << 20, back.data(), static_cast<int>(back.size()),
                                   MPI_CHAR, &st));
    EXPECT_TRUE(ck, back == expect);
    EXPECT_OK(ck, MPI_File_seek_shared(fh, 1 << 20, MPI_SEEK_SET));
    std::vector<char> in(mine.size(), 0);
    EXPECT_OK(ck, MPI_File_read_ordered_begin(fh, in.data(), g_rank + 1, MPI_CHAR));
    EXPECT_OK(ck, MPI_File_read_ordered_end(fh, in.data(), &st));
    EXPECT_TRUE(ck, in == mine);
    // Independent shared-pointer I/O: each rank appends its run at the shared pointer (any
    // order); the runs tile the region exactly and the pointer ends after all of them.
    MPI_Barrier(g_app);
    const MPI_Offset sbase = (1 << 20) + 4096;
    EXPECT_OK(ck, MPI_File_seek_shared(fh, sbase, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_write_shared(fh, mine.data(), g_rank + 1, MPI_CHAR, &st));
    MPI_Get_count(&st, MPI_CHAR, &cnt);
    EXPECT_TRUE(ck, cnt == g_rank + 1);
    MPI_Barrier(g_app);
    EXPECT_OK(ck, MPI_File_get_position_shared(fh, &p));
    EXPECT_TRUE(ck, p == sbase + static_cast<MPI_Offset>(expect.size()));
    std::string region(expect.size(), '\0');
    EXPECT_OK(ck, MPI_File_read_at(fh, sbase, region.data(), static_cast<int>(region.size()),
                                   MPI_CHAR, &st));
    for (int r = 0; r < g_size; ++r) {
        const std::string run(static_cast<std::size_t>(r + 1), static_cast<char>('a' + r));
        EXPECT_TRUE(ck, region.find(run) != std::string::npos &&
                            std::count(region.begin(), region.end(), 'a' + r) == r + 1);
    }
    // read_shared / iread_shared: every byte of the region is read by exactly one rank.
    EXPECT_OK(ck, MPI_File_seek_shared(fh, sbase, MPI_SEEK_SET));
    std::vector<char> part(static_cast<std::size_t>(g_rank + 1), 0);
    EXPECT_OK(ck, MPI_File_iread_shared(fh, part.data(), g_rank + 1, MPI_CHAR, &rq[0]));
    EXPECT_OK(ck, MPI_Wait(&rq[0], &st));
    MPI_Get_count(&st, MPI_CHAR, &cnt);
    EXPECT_TRUE(ck, cnt == g_rank + 1);
    int sum = 0;
    for (char ch : part) sum += ch;
    int total_sum = 0, want_sum = 0;
    MPI_Allreduce(&sum, &total_sum, 1, MPI_INT, MPI_SUM, g_app);
    for (char ch : region) want_sum += ch;
    EXPECT_TRUE(ck, total_sum == want_sum);
    EXPECT_OK(ck, MPI_File_get_position_shared(fh, &p));
    MPI_Barrier(g_app);
    // Several independent nonblocking writes in flight at once, then reads, then Waitall.
    {
        const int kReqs = 6, kInts = 1 << 16;
        std::vector<int> big(static_cast<std::size_t>(kReqs) * kInts), big_in(big.size(), 0);
        std::iota(big.begin(), big.end(), g_rank * 7777);
        std::vector<MPI_Request> reqs(kReqs);
        // Byte view: a region of its own per rank, past everything else in the file.
        const MPI_Offset at0 = (2 << 20) + static_cast<MPI_Offset>(g_rank) * kReqs * kInts * 4;
        for (int k = 0; k < kReqs; ++k)
            EXPECT_OK(ck, MPI_File_iwrite_at(fh, at0 + static_cast<MPI_Offset>(k) * kInts * 4,
                                             big.data() + static_cast<std::size_t>(k) * kInts,
                                             kInts, MPI_INT, &reqs[static_cast<std::size_t>(k)]));
        std::vector<MPI_Status> bsts(kReqs);
        EXPECT_OK(ck, MPI_Waitall(kReqs, reqs.data(), bsts.data()));
        for (auto& s2 : bsts) {
            MPI_Get_count(&s2, MPI_INT, &cnt);
            EXPECT_TRUE(ck, cnt == kInts);
        }
        for (int k = 0; k < kReqs; ++k)
            EXPECT_OK(ck, MPI_File_iread_at(fh, at0 + static_cast<MPI_Offset>(k) * kInts * 4,
                                            big_in.data() + static_cast<std::size_t>(k) * kInts,
                                            kInts, MPI_INT, &reqs[static_cast<std::size_t>(k)]));
        EXPECT_OK(ck, MPI_Waitall(kReqs, reqs.data(), MPI_STATUSES_IGNORE));
        EXPECT_TRUE(ck, big == big_in);
        // A request freed before it completes still completes (and frees) on its own.
        // Its buffer must outlive the test (nobody can know when it is done with it).
        static std::vector<int> lost_buf;
        lost_buf.assign(big.begin(), big.begin() + kInts);
        MPI_Request lost;
        EXPECT_OK(ck, MPI_File_iwrite_at(fh, at0, lost_buf.data(), kInts, MPI_INT, &lost));
        EXPECT_OK(ck, MPI_Request_free(&lost));
        MPI_Barrier(g_app);
    }
    // A user error handler is called on an error of this file.
    MPI_Errhandler user;
    MPI_File_create_errhandler(count_eh, &user);
    EXPECT_OK(ck, MPI_File_set_errhandler(fh, user));
    g_eh_calls = 0;
    EXPECT_CLASS(ck, MPI_File_read_at(fh, -1, b.data(), 1, MPI_INT, &st), MPI_ERR_ARG);
    EXPECT_TRUE(ck, g_eh_calls == 1);
    EXPECT_OK(ck, MPI_File_call_errhandler(fh, MPI_ERR_OTHER));
    EXPECT_TRUE(ck, g_eh_calls == 2);
    EXPECT_OK(ck, MPI_File_set_errhandler(fh, MPI_ERRORS_RETURN));
    MPI_Errhandler_free(&user);

    EXPECT_OK(ck, MPI_File_close(&fh));
    EXPECT_TRUE(ck, fh == MPI_FILE_NULL);
    MPI_Barrier(g_app);
    // The file is on the PFS with the data (native client view).
    auto raw = native_read("/calls.dat");
    EXPECT_TRUE(ck,
                raw.size() == (2u << 20) + static_cast<std::size_t>(g_size) * 6 * (1 << 16) * 4);
    if (raw.size() >= 4000u * g_size)
        EXPECT_TRUE(ck, std::memcmp(raw.data() + 4000 * g_rank, a.data(), 4000) == 0);
    // Delete on rank 0 once every rank has read the file back (a read racing the delete gets
    // ESTALE); then an open without CREATE fails everywhere.
    MPI_Barrier(g_app);
    if (g_rank == 0) EXPECT_OK(ck, MPI_File_delete(name, MPI_INFO_NULL));
    MPI_Barrier(g_app);
    EXPECT_CLASS(ck, MPI_File_open(g_app, name, MPI_MODE_RDONLY, MPI_INFO_NULL, &fh),
                 MPI_ERR_NO_SUCH_FILE);
    // Striping hints apply to the file the open creates.
    MPI_Info_create(&info);
    MPI_Info_set(info, "striping_unit", "65536");
    MPI_Info_set(info, "striping_factor", "1");
    EXPECT_OK(
        ck, MPI_File_open(g_app, "pfs:/striped.dat", MPI_MODE_CREATE | MPI_MODE_WRONLY, info, &fh));
    MPI_Info_free(&info);
    EXPECT_OK(ck, MPI_File_close(&fh));
    auto sa = pfs::mpiio::native_client()->stat("/striped.dat");
    EXPECT_TRUE(ck, sa && sa->layout.stripe_size == 65536 && sa->layout.stripe_count == 1);
    MPI_Barrier(g_app);
    // DELETE_ON_CLOSE removes the file at close.
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/doc.tmp",
                                MPI_MODE_CREATE | MPI_MODE_WRONLY | MPI_MODE_DELETE_ON_CLOSE,
                                MPI_INFO_NULL, &fh));
    EXPECT_OK(ck, MPI_File_close(&fh));
    EXPECT_TRUE(ck, !pfs::mpiio::native_client()->stat("/doc.tmp"));
}

// ---- views -----------------------------------------------------------------------------------
void case_views(Checker& ck) {
    auto zoo = mpiio_test::make_zoo(g_rank, g_size);
    int tested = 0;
    for (auto& z : zoo) {
        if (!z.filetype_ok) continue;
        ++tested;
        const std::string path = "/view-" + z.name + "-" + std::to_string(g_rank);
        MPI_File fh;
        EXPECT_OK(ck, MPI_File_open(MPI_COMM_SELF, ("pfs:" + path).c_str(),
                                    MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
        MPI_Count tsize = 0, lb = 0, ext = 0;
        MPI_Type_size_x(z.type, &tsize);
        MPI_Type_get_extent_x(z.type, &lb, &ext);
        const int tiles = 5;
        const MPI_Offset disp = 100;
        std::vector<char> data(static_cast<std::size_t>(tsize * tiles));
        for (std::size_t i = 0; i < data.size(); ++i)
            data[i] = static_cast<char>((i * 13 + 5) % 251 + 1);
        EXPECT_OK(ck, MPI_File_set_view(fh, disp, MPI_BYTE, z.type, "native", MPI_INFO_NULL));
        MPI_Status st;
        // Two calls: one partial tile boundary in the middle exercises resuming inside a tile.
        const int first = static_cast<int>(tsize * 2 + tsize / 2);
        EXPECT_OK(ck, MPI_File_write(fh, data.data(), first, MPI_BYTE, &st));
        EXPECT_OK(ck, MPI_File_write(fh, data.data() + first, static_cast<int>(data.size()) - first,
                                     MPI_BYTE, &st));
        std::vector<char> back(data.size(), 0);
        EXPECT_OK(ck, MPI_File_seek(fh, 0, MPI_SEEK_SET));
        EXPECT_OK(ck, MPI_File_read(fh, back.data(), static_cast<int>(back.size()), MPI_BYTE, &st));
        if (back != data) ck.fail(__FILE__, __LINE__, z.name + ": read through the view differs");
        EXPECT_OK(ck, MPI_File_close(&fh));
        // Reference image: MPI_Unpack of the data into `tiles` elements at the displacement.
        MPI_Count tlb = 0, text = 0;
        MPI_Type_get_true_extent_x(z.type, &tlb, &text);
        std::vector<char> image(static_cast<std::size_t>(disp + (tiles - 1) * ext + tlb + text), 0);
        int pos = 0;
        MPI_Unpack(data.data(), static_cast<int>(data.size()), &pos, image.data() + disp, tiles,
                   z.type, MPI_COMM_SELF);
        // The file ends at the last data byte written.
        std::size_t end = image.size();
        {
            auto ref = reference_blocks(z.type);
            std::int64_t last = 0;
            for (auto& b : ref) last = std::max(last, b.off + b.len);
            end = static_cast<std::size_t>(disp + (tiles - 1) * ext + last);
        }
        image.resize(end);
        auto raw = native_read(path);
        if (raw != image)
            ck.fail(__FILE__, __LINE__,
                    z.name + ": file image differs from MPI_Unpack reference (" +
                        std::to_string(raw.size()) + " vs " + std::to_string(image.size()) +
                        " bytes)");
        // The same data through a derived memory type (non-contiguous buffer, one element each
        // side): write with the view from a vector-shaped buffer and compare.
        (void)pfs::mpiio::native_client()->unlink(path);
    }
    EXPECT_TRUE(ck, tested >= 18);
    // Memory datatype with negative and decreasing displacements: gather / scatter path.
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(MPI_COMM_SELF, ("pfs:/memtype-" + std::to_string(g_rank)).c_str(),
                                MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    int bl[] = {1, 2, 1};
    MPI_Aint d[] = {40, 0, -16};
    MPI_Datatype mt;
    MPI_Type_create_hindexed(3, bl, d, MPI_INT, &mt);
    MPI_Type_commit(&mt);
    std::vector<int> mem(64);
    std::iota(mem.begin(), mem.end(), 1000);
    int* origin = mem.data() + 8;  // displacement -16 bytes = 4 ints before
    MPI_Status st;
    EXPECT_OK(ck, MPI_File_write_at(fh, 0, origin, 1, mt, &st));
    int got[4] = {};
    EXPECT_OK(ck, MPI_File_read_at(fh, 0, got, 4, MPI_INT, &st));
    EXPECT_TRUE(ck, got[0] == origin[10] && got[1] == origin[0] && got[2] == origin[1] &&
                        got[3] == origin[-4]);
    std::vector<int> mem2(64, 0);
    EXPECT_OK(ck, MPI_File_read_at(fh, 0, mem2.data() + 8, 1, mt, &st));
    EXPECT_TRUE(ck, mem2[18] == origin[10] && mem2[8] == origin[0] && mem2[9] == origin[1] &&
                        mem2[4] == origin[-4] && mem2[5] == 0);
    MPI_Type_free(&mt);
    EXPECT_OK(ck, MPI_File_close(&fh));
    mpiio_test::free_zoo(zoo);
}

// ---- coll ------------------------------------------------------------------------------------
// Rank r writes blocks r, r+P, r+2P, ... of `blk` bytes: an interleaved pattern that makes
// two-phase I/O move data between ranks.
void write_pattern(Checker& ck, const char* name, bool collective, MPI_Info info, int nblocks,
                   int blk) {
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(g_app, name, MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh));
    MPI_Datatype vec, ft;
    MPI_Type_vector(nblocks, blk, blk * g_size, MPI_BYTE, &vec);
    MPI_Type_create_resized(vec, 0, static_cast<MPI_Aint>(nblocks) * blk * g_size, &ft);
    MPI_Type_commit(&ft);
    MPI_Type_free(&vec);
    EXPECT_OK(ck, MPI_File_set_view(fh, static_cast<MPI_Offset>(g_rank) * blk, MPI_BYTE, ft,
                                    "native", info));
    std::vector<char> data(static_cast<std::size_t>(nblocks) * blk);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>((g_rank * 31 + i * 7) % 253);
    MPI_Status st;
    if (collective)
        EXPECT_OK(
            ck, MPI_File_write_all(fh, data.data(), static_cast<int>(data.size()), MPI_BYTE, &st));
    else
        EXPECT_OK(ck,
                  MPI_File_write(fh, data.data(), static_cast<int>(data.size()), MPI_BYTE, &st));
    int cnt = 0;
    MPI_Get_count(&st, MPI_BYTE, &cnt);
    EXPECT_TRUE(ck, cnt == static_cast<int>(data.size()));
    // Read back collectively through the same view (two-phase read) and independently.
    std::vector<char> back(data.size(), 0);
    EXPECT_OK(
        ck, MPI_File_read_at_all(fh, 0, back.data(), static_cast<int>(back.size()), MPI_BYTE, &st));
    EXPECT_TRUE(ck, back == data);
    std::fill(back.begin(), back.end(), 0);
    EXPECT_OK(ck,
              MPI_File_read_at(fh, 0, back.data(), static_cast<int>(back.size()), MPI_BYTE, &st));
    EXPECT_TRUE(ck, back == data);
    // Past EOF, collectively: 0 elements, no error.
    EXPECT_OK(ck, MPI_File_read_at_all(fh, static_cast<MPI_Offset>(data.size()) * 2, back.data(),
                                       10, MPI_BYTE, &st));
    MPI_Get_count(&st, MPI_BYTE, &cnt);
    EXPECT_TRUE(ck, cnt == 0);
    MPI_Type_free(&ft);
    EXPECT_OK(ck, MPI_File_close(&fh));
}

void case_coll(Checker& ck) {
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "cb_nodes", "2");
    MPI_Info_set(info, "cb_buffer_size", "65536");  // several rounds
    MPI_Info_set(info, "romio_cb_write", "enable");
    MPI_Info_set(info, "romio_cb_read", "enable");
    const int nblocks = 64, blk = 3000;  // not stripe aligned
    write_pattern(ck, "pfs:/coll.dat", true, info, nblocks, blk);
    write_pattern(ck, "pfs:/indep.dat", false, MPI_INFO_NULL, nblocks, blk);
    MPI_Info_free(&info);
    MPI_Barrier(g_app);
    auto a = native_read("/coll.dat");
    auto b = native_read("/indep.dat");
    EXPECT_TRUE(ck, a.size() == static_cast<std::size_t>(nblocks) * blk * g_size);
    EXPECT_TRUE(ck, a == b);
    // Contents are what each rank meant to write.
    bool ok = a.size() == static_cast<std::size_t>(nblocks) * blk * g_size;
    for (std::size_t off = 0; ok && off < a.size(); ++off) {
        const std::size_t blkno = off / blk;
        const int owner = static_cast<int>(blkno % g_size);
        const std::size_t i = (blkno / g_size) * blk + off % blk;
        ok = a[off] == static_cast<char>((owner * 31 + i * 7) % 253);
    }
    EXPECT_TRUE(ck, ok);

    // Mixed shapes with default (automatic) hints: rank 0 contiguous, the others strided in
    // disjoint regions (no interleaving). The two-phase decision must be the same on every
    // rank: a split decision hangs the job.
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/mixed.dat", MPI_MODE_CREATE | MPI_MODE_RDWR,
                                MPI_INFO_NULL, &fh));
    const int piece = 100, pieces = 10, region = 2 * piece * pieces;
    std::vector<char> mine(static_cast<std::size_t>(pieces * piece),
                           static_cast<char>('A' + g_rank));
    MPI_Datatype vec = MPI_DATATYPE_NULL;
    if (g_rank > 0) {
        MPI_Type_vector(pieces, piece, 2 * piece, MPI_BYTE, &vec);
        MPI_Type_commit(&vec);
        EXPECT_OK(ck, MPI_File_set_view(fh, static_cast<MPI_Offset>(g_rank) * region, MPI_BYTE, vec,
                                        "native", MPI_INFO_NULL));
    } else {  // set_view is collective: rank 0 sets the default view
        EXPECT_OK(ck, MPI_File_set_view(fh, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
    }
    MPI_Status st;
    EXPECT_OK(ck, MPI_File_write_all(fh, mine.data(), pieces * piece, MPI_BYTE, &st));
    EXPECT_OK(ck, MPI_File_close(&fh));
    if (vec != MPI_DATATYPE_NULL) MPI_Type_free(&vec);
    MPI_Barrier(g_app);
    auto m = native_read("/mixed.dat");
    const std::size_t want_size =
        g_size == 1 ? pieces * piece : (g_size - 1) * region + region - piece;
    bool mixed_ok = m.size() == want_size;
    for (std::size_t off = 0; mixed_ok && off < m.size(); ++off) {
        const std::size_t r = off / region, in = off % region;
        char want = 0;
        if (r == 0)
            want = in < static_cast<std::size_t>(pieces * piece) ? 'A' : 0;
        else
            want = (in / piece) % 2 == 0 ? static_cast<char>('A' + r) : 0;
        mixed_ok = m[off] == want;
    }
    EXPECT_TRUE(ck, mixed_ok);
}

// ---- collective outcomes --------------------------------------------------------------------
// coll_nospace.sh: a 1 MiB quota per data volume, 3 ranks. Rank 0's part of a collective write
// needs 4 MiB on each volume, ranks 1 and 2 write 4 KiB each after it (not interleaved).
// Independent access (automatic): each rank returns its own outcome (as ROMIO): rank 0
// MPI_ERR_NO_SPACE, the others success, and their bytes are there. Two-phase (enable): the
// aggregators wrote everyone's data, so every rank gets MPI_ERR_NO_SPACE.
void case_coll_nospace(Checker& ck) {
    constexpr int kSmall = 4096;
    const MPI_Offset big = 8 << 20;
    auto run = [&](const char* cb, const char* path) {
        MPI_Info info;
        MPI_Info_create(&info);
        MPI_Info_set(info, "romio_cb_write", cb);
        MPI_File fh = MPI_FILE_NULL;
        EXPECT_OK(ck, MPI_File_open(g_app, path, MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh));
        MPI_Info_free(&info);
        const std::size_t n = g_rank == 0 ? static_cast<std::size_t>(big) : kSmall;
        std::vector<char> buf(n, static_cast<char>('a' + g_rank));
        const MPI_Offset off = g_rank == 0 ? 0 : big + (g_rank - 1) * kSmall;
        MPI_Status st;
        const int rc =
            MPI_File_write_at_all(fh, off, buf.data(), static_cast<int>(n), MPI_BYTE, &st);
        MPI_File_close(&fh);
        return rc;
    };
    const int rc = run("automatic", "pfs:/nospace-indep");
    if (g_rank == 0) {
        EXPECT_CLASS(ck, rc, MPI_ERR_NO_SPACE);
    } else {
        EXPECT_OK(ck, rc);
    }
    MPI_Barrier(g_app);
    if (g_rank != 0) {  // the small parts landed whatever rank 0's fate
        MPI_File fh = MPI_FILE_NULL;
        EXPECT_OK(ck, MPI_File_open(MPI_COMM_SELF, "pfs:/nospace-indep", MPI_MODE_RDONLY,
                                    MPI_INFO_NULL, &fh));
        std::vector<char> back(kSmall, 0);
        MPI_Status st;
        EXPECT_OK(ck, MPI_File_read_at(fh, big + (g_rank - 1) * kSmall, back.data(), kSmall,
                                       MPI_BYTE, &st));
        EXPECT_TRUE(ck, back == std::vector<char>(kSmall, static_cast<char>('a' + g_rank)));
        MPI_File_close(&fh);
    }
    MPI_Barrier(g_app);
    EXPECT_CLASS(ck, run("enable", "pfs:/nospace-2phase"), MPI_ERR_NO_SPACE);
}

// ---- errors ----------------------------------------------------------------------------------
// dm_abort.sh: the DM application (pfs-dm-responder) refuses every create with EDQUOT. The
// open fails on every rank with the registered DM-abort class (rank 0 creates; the others get
// the verdict through the agreement), its string names the errno, and errors the DM
// application has no part in keep their own classes.
void case_dm_abort(Checker& ck) {
    // The DM application sets its dispositions after the job started: wait (bounded) until
    // this rank's replica has the create disposition, so the creates below raise events.
    bool disposed = false;
    for (int i = 0; i < 1000 && !disposed; ++i) {
        auto* sink = pfs::client::event_sink();
        disposed = sink != nullptr && sink->disposed(pfs::client::ev::kCreate);
        if (!disposed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(ck, disposed);
    const int dm = pfs::mpiio::dm_abort_error_class();
    EXPECT_TRUE(ck, dm > MPI_ERR_LASTCODE);
    MPI_File fh = MPI_FILE_NULL;
    const int amode = MPI_MODE_CREATE | MPI_MODE_WRONLY;
    int rc = MPI_File_open(g_app, "pfs:/refused", amode, MPI_INFO_NULL, &fh);
    EXPECT_CLASS(ck, rc, dm);
    EXPECT_TRUE(ck, fh == MPI_FILE_NULL);
    char text[MPI_MAX_ERROR_STRING] = {};
    int len = 0;
    MPI_Error_string(rc, text, &len);
    EXPECT_TRUE(ck, std::strstr(text, "data-management application") != nullptr);
    EXPECT_TRUE(ck, std::strstr(text, "errno 122") != nullptr);
    // A rank alone: its own create is refused the same way (no agreement involved).
    if (g_rank == g_size - 1) {
        rc = MPI_File_open(MPI_COMM_SELF, "pfs:/refused-self", amode, MPI_INFO_NULL, &fh);
        EXPECT_CLASS(ck, rc, dm);
        MPI_Error_string(rc, text, &len);
        EXPECT_TRUE(ck, std::strstr(text, "errno 122") != nullptr);
    }
    MPI_Barrier(g_app);
    // Nothing was made, and a failure without an event keeps its ordinary class.
    EXPECT_CLASS(ck, MPI_File_open(g_app, "pfs:/refused", MPI_MODE_RDONLY, MPI_INFO_NULL, &fh),
                 MPI_ERR_NO_SUCH_FILE);
    EXPECT_CLASS(ck, MPI_File_open(g_app, "pfs:/refused-self", MPI_MODE_RDONLY, MPI_INFO_NULL, &fh),
                 MPI_ERR_NO_SUCH_FILE);
    EXPECT_TRUE(ck, pfs::mpiio::error_class_for_errno(EDQUOT) == MPI_ERR_QUOTA);
}

void case_errors(Checker& ck) {
    MPI_File fh = MPI_FILE_NULL;
    EXPECT_CLASS(
        ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_RDONLY | MPI_MODE_RDWR, MPI_INFO_NULL, &fh),
        MPI_ERR_AMODE);
    EXPECT_CLASS(
        ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_RDONLY | MPI_MODE_CREATE, MPI_INFO_NULL, &fh),
        MPI_ERR_AMODE);
    EXPECT_CLASS(
        ck,
        MPI_File_open(g_app, "pfs:/e1", MPI_MODE_RDWR | MPI_MODE_SEQUENTIAL | MPI_MODE_CREATE,
                      MPI_INFO_NULL, &fh),
        MPI_ERR_AMODE);
    EXPECT_CLASS(ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_CREATE, MPI_INFO_NULL, &fh),
                 MPI_ERR_AMODE);
    EXPECT_CLASS(ck, MPI_File_open(g_app, "pfs:/missing", MPI_MODE_RDONLY, MPI_INFO_NULL, &fh),
                 MPI_ERR_NO_SUCH_FILE);
    EXPECT_CLASS(
        ck,
        MPI_File_open(g_app, "pfs:/nodir/x", MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh),
        MPI_ERR_NO_SUCH_FILE);
    EXPECT_TRUE(ck, fh == MPI_FILE_NULL);
    // MPI_COMM_WORLD of a PFS job holds the server ranks: refused at once, no hang.
    EXPECT_CLASS(ck,
                 MPI_File_open(MPI_COMM_WORLD, "pfs:/e1", MPI_MODE_CREATE | MPI_MODE_RDWR,
                               MPI_INFO_NULL, &fh),
                 MPI_ERR_COMM);
    EXPECT_OK(ck,
              MPI_File_open(g_app, "pfs:/e1", MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh));
    EXPECT_OK(ck, MPI_File_close(&fh));
    EXPECT_CLASS(ck,
                 MPI_File_open(g_app, "pfs:/e1", MPI_MODE_CREATE | MPI_MODE_EXCL | MPI_MODE_RDWR,
                               MPI_INFO_NULL, &fh),
                 MPI_ERR_FILE_EXISTS);
    EXPECT_CLASS(ck, MPI_File_open(g_app, "pfs:/", MPI_MODE_RDWR, MPI_INFO_NULL, &fh),
                 MPI_ERR_BAD_FILE);
    if (g_rank == 0)
        EXPECT_CLASS(ck, MPI_File_delete("pfs:/missing", MPI_INFO_NULL), MPI_ERR_NO_SUCH_FILE);

    // Read-only / write-only access.
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_RDONLY, MPI_INFO_NULL, &fh));
    int v[4] = {1, 2, 3, 4};
    MPI_Status st;
    EXPECT_CLASS(ck, MPI_File_write_at(fh, 0, v, 4, MPI_INT, &st), MPI_ERR_READ_ONLY);
    EXPECT_CLASS(ck, MPI_File_set_size(fh, 10), MPI_ERR_READ_ONLY);
    // Past EOF: success, 0 elements.
    int cnt = -1;
    EXPECT_OK(ck, MPI_File_read_at(fh, 1000, v, 4, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 0);
    EXPECT_OK(ck, MPI_File_read(fh, v, 4, MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == 0);
    // Views MPI forbids: decreasing filetype, filetype not made of etypes, bad datarep, bad disp.
    MPI_Datatype dec;
    int bl[] = {1, 1};
    MPI_Aint d[] = {8, 0};
    MPI_Type_create_hindexed(2, bl, d, MPI_INT, &dec);
    MPI_Type_commit(&dec);
    EXPECT_CLASS(ck, MPI_File_set_view(fh, 0, MPI_INT, dec, "native", MPI_INFO_NULL), MPI_ERR_TYPE);
    MPI_Type_free(&dec);
    MPI_Datatype three;
    MPI_Type_contiguous(3, MPI_BYTE, &three);
    MPI_Type_commit(&three);
    EXPECT_CLASS(ck, MPI_File_set_view(fh, 0, MPI_INT, three, "native", MPI_INFO_NULL),
                 MPI_ERR_ARG);
    MPI_Type_free(&three);
    // A representation nobody registered.
    EXPECT_CLASS(ck, MPI_File_set_view(fh, 0, MPI_BYTE, MPI_BYTE, "no-such-rep", MPI_INFO_NULL),
                 MPI_ERR_UNSUPPORTED_DATAREP);
    EXPECT_CLASS(ck, MPI_File_set_view(fh, -5, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL),
                 MPI_ERR_ARG);
    EXPECT_CLASS(ck, MPI_File_set_view(fh, 0, MPI_DATATYPE_NULL, MPI_BYTE, "native", MPI_INFO_NULL),
                 MPI_ERR_TYPE);
    EXPECT_CLASS(ck, MPI_File_read_at(fh, -1, v, 1, MPI_INT, &st), MPI_ERR_ARG);
    EXPECT_CLASS(ck, MPI_File_read_at(fh, 0, v, -1, MPI_INT, &st), MPI_ERR_COUNT);
    EXPECT_CLASS(ck, MPI_File_seek(fh, -1, MPI_SEEK_SET), MPI_ERR_ARG);
    // Collective with bad arguments on one rank only: every rank gets an error, nobody hangs.
    const int n = g_rank == 0 ? -1 : 4;
    int rc = MPI_File_read_at_all(fh, 0, v, n, MPI_INT, &st);
    EXPECT_TRUE(ck, rc != MPI_SUCCESS);
    MPI_File copy = fh;
    EXPECT_OK(ck, MPI_File_close(&fh));
    // Closing twice, a stale copy after close.
    EXPECT_CLASS(ck, MPI_File_close(&fh), MPI_ERR_FILE);
    EXPECT_CLASS(ck, MPI_File_read_at(copy, 0, v, 1, MPI_INT, &st), MPI_ERR_FILE);
    EXPECT_CLASS(ck, MPI_File_close(&copy), MPI_ERR_FILE);
    EXPECT_CLASS(ck, MPI_File_read_at(MPI_FILE_NULL, 0, v, 1, MPI_INT, &st), MPI_ERR_FILE);
    // Write-only: reading is an access error.
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_WRONLY, MPI_INFO_NULL, &fh));
    EXPECT_CLASS(ck, MPI_File_read_at(fh, 0, v, 1, MPI_INT, &st), MPI_ERR_ACCESS);
    EXPECT_OK(ck, MPI_File_close(&fh));
    // Sequential: explicit offsets are not allowed.
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/e1", MPI_MODE_WRONLY | MPI_MODE_SEQUENTIAL,
                                MPI_INFO_NULL, &fh));
    EXPECT_CLASS(ck, MPI_File_write_at(fh, 0, v, 1, MPI_INT, &st), MPI_ERR_UNSUPPORTED_OPERATION);
    EXPECT_OK(ck, MPI_File_close(&fh));
    // The data-management abort class: registered, its string carries the errno.
    int code = pfs::mpiio::dm_abort_error_code(ENOSPC);
    int cls = 0;
    MPI_Error_class(code, &cls);
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, s, &len);
    EXPECT_TRUE(ck, cls > MPI_ERR_LASTCODE || cls == pfs::mpiio::dm_abort_error_class());
    EXPECT_TRUE(ck, std::string(s).find("errno 28") != std::string::npos);
    EXPECT_TRUE(ck, pfs::mpiio::error_class_for_errno(EACCES) == MPI_ERR_ACCESS);
    EXPECT_TRUE(ck, pfs::mpiio::error_class_for_errno(ENOSPC) == MPI_ERR_NO_SPACE);
    EXPECT_TRUE(ck, pfs::mpiio::error_class_for_errno(EROFS) == MPI_ERR_READ_ONLY);
    EXPECT_TRUE(ck, pfs::mpiio::error_class_for_errno(EIO) == MPI_ERR_IO);
}

// ---- passthrough -----------------------------------------------------------------------------
void case_passthrough(Checker& ck, const std::string& dir) {
    const std::string path = dir + "/plain-" + std::to_string(g_rank) + ".dat";
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(MPI_COMM_SELF, path.c_str(), MPI_MODE_CREATE | MPI_MODE_RDWR,
                                MPI_INFO_NULL, &fh));
    const char msg[] = "real MPI-IO";
    MPI_Status st;
    EXPECT_OK(ck, MPI_File_write_at(fh, 0, msg, sizeof(msg), MPI_CHAR, &st));
    MPI_Offset size = 0;
    EXPECT_OK(ck, MPI_File_get_size(fh, &size));
    EXPECT_TRUE(ck, size == sizeof(msg));
    EXPECT_OK(ck, MPI_File_close(&fh));
    struct stat sb {};
    EXPECT_TRUE(ck, ::stat(path.c_str(), &sb) == 0 && sb.st_size == sizeof(msg));
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(ck, text == std::string(msg, sizeof(msg)));
    // And nothing of that name on the PFS.
    EXPECT_TRUE(ck, !pfs::mpiio::native_client()->stat(path));
    EXPECT_OK(ck, MPI_File_delete(path.c_str(), MPI_INFO_NULL));
    EXPECT_TRUE(ck, ::stat(path.c_str(), &sb) != 0);
}

// ---- atomic ----------------------------------------------------------------------------------
// Ranks 0-1 write overlapping 1-2 MiB regions, each write one byte value unique to (rank,
// iteration); every write covers the core [kCoreLo, kCoreHi). Ranks 2-3 read inside the core
// meanwhile: in atomic mode every read must be uniform and a value that was written, and the
// core must be uniform at the end. Small stripes: one access spans many stripes and servers.
constexpr std::int64_t kCoreLo = 512 << 10, kCoreHi = 1536 << 10, kAtomicSpan = 2048 << 10;
constexpr unsigned char kInitial = 255;

unsigned char atomic_value(int rank, int it) {
    return static_cast<unsigned char>(1 + rank * 100 + it % 100);  // 1..200, never kInitial
}

bool written_value(unsigned char v) {
    return v == kInitial || (v >= 1 && v <= 200);
}

bool uniform(const std::vector<unsigned char>& b) {
    return std::all_of(b.begin(), b.end(), [&](unsigned char v) { return v == b[0]; });
}

struct MixStats {
    long reads = 0, mixed = 0, bad = 0;
    bool final_mixed = false;
};

MixStats atomic_workload(Checker& ck, const char* name, bool atomic, int iters) {
    MixStats st;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "striping_unit", "65536");
    MPI_Info_set(info, "striping_factor", "2");
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(g_app, name, MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh));
    MPI_Info_free(&info);
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, atomic ? 1 : 0));
    int flag = -1;
    EXPECT_OK(ck, MPI_File_get_atomicity(fh, &flag));
    EXPECT_TRUE(ck, flag == (atomic ? 1 : 0));
    if (g_rank == 0) {
        std::vector<unsigned char> init(static_cast<std::size_t>(kAtomicSpan), kInitial);
        EXPECT_OK(ck, MPI_File_write_at(fh, 0, init.data(), static_cast<int>(init.size()), MPI_BYTE,
                                        MPI_STATUS_IGNORE));
    }
    MPI_Barrier(g_app);
    MPI_Request done;
    if (g_rank < 2) {
        for (int it = 0; it < iters; ++it) {
            std::int64_t lo, hi;
            if (g_rank == 0) {
                lo = (it % 4) * (128 << 10);
                hi = kCoreHi + (it % 3) * (256 << 10);
            } else {
                lo = kCoreLo - (it % 3) * (128 << 10);
                hi = kCoreHi + (512 << 10) - (it % 4) * (128 << 10);
            }
            std::vector<unsigned char> b(static_cast<std::size_t>(hi - lo),
                                         atomic_value(g_rank, it));
            const int n = static_cast<int>(b.size());
            if (it % 3 == 0) {
                EXPECT_OK(ck, MPI_File_write_at(fh, lo, b.data(), n, MPI_BYTE, MPI_STATUS_IGNORE));
            } else if (it % 3 == 1) {
                MPI_Request rq;
                EXPECT_OK(ck, MPI_File_iwrite_at(fh, lo, b.data(), n, MPI_BYTE, &rq));
                EXPECT_OK(ck, MPI_Wait(&rq, MPI_STATUS_IGNORE));
            } else {
                EXPECT_OK(ck, MPI_File_seek(fh, lo, MPI_SEEK_SET));
                EXPECT_OK(ck, MPI_File_write(fh, b.data(), n, MPI_BYTE, MPI_STATUS_IGNORE));
            }
        }
        MPI_Ibarrier(g_app, &done);
        MPI_Wait(&done, MPI_STATUS_IGNORE);
    } else {
        MPI_Ibarrier(g_app, &done);
        int finished = 0;
        for (int it = 0; !finished; ++it) {
            const std::int64_t lo = kCoreLo + (it % 4) * (64 << 10);
            const std::int64_t hi = kCoreHi - (it % 3) * (64 << 10);
            std::vector<unsigned char> b(static_cast<std::size_t>(hi - lo), 0);
            const int n = static_cast<int>(b.size());
            MPI_Status mst;
            if (it % 3 == 0) {
                EXPECT_OK(ck, MPI_File_read_at(fh, lo, b.data(), n, MPI_BYTE, &mst));
            } else if (it % 3 == 1) {
                MPI_Request rq;
                EXPECT_OK(ck, MPI_File_iread_at(fh, lo, b.data(), n, MPI_BYTE, &rq));
                EXPECT_OK(ck, MPI_Wait(&rq, &mst));
            } else {
                EXPECT_OK(ck, MPI_File_seek(fh, lo, MPI_SEEK_SET));
                EXPECT_OK(ck, MPI_File_read(fh, b.data(), n, MPI_BYTE, &mst));
            }
            int got = 0;
            MPI_Get_count(&mst, MPI_BYTE, &got);
            EXPECT_TRUE(ck, got == n);
            ++st.reads;
            if (!uniform(b)) ++st.mixed;
            if (!written_value(b[0])) ++st.bad;
            MPI_Test(&done, &finished, MPI_STATUS_IGNORE);
        }
    }
    EXPECT_OK(ck, MPI_File_close(&fh));
    MPI_Barrier(g_app);
    // The core at the end: one writer's value throughout.
    auto raw = native_read(name + 4);
    EXPECT_TRUE(ck, raw.size() >= static_cast<std::size_t>(kCoreHi));
    if (raw.size() >= static_cast<std::size_t>(kCoreHi)) {
        std::vector<unsigned char> core(raw.begin() + kCoreLo, raw.begin() + kCoreHi);
        st.final_mixed = !uniform(core);
    }
    long v[3] = {st.reads, st.mixed, st.bad};
    MPI_Allreduce(MPI_IN_PLACE, v, 3, MPI_LONG, MPI_SUM, g_app);
    st.reads = v[0];
    st.mixed = v[1];
    st.bad = v[2];
    return st;
}

// Aggregate write bandwidth (MiB/s) of every rank writing `mib` MiB in transfers of `xfer`
// bytes to its own region of one file.
double atomic_bench(Checker& ck, const char* name, bool atomic, int mib, int xfer) {
    MPI_File fh;
    EXPECT_OK(ck,
              MPI_File_open(g_app, name, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh));
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, atomic ? 1 : 0));
    std::vector<char> b(static_cast<std::size_t>(xfer), static_cast<char>(g_rank + 1));
    const MPI_Offset mine = static_cast<MPI_Offset>(mib) << 20;
    MPI_Barrier(g_app);
    const double t0 = MPI_Wtime();
    for (MPI_Offset k = 0; k < mine; k += xfer)
        EXPECT_OK(ck, MPI_File_write_at(fh, g_rank * mine + k, b.data(), xfer, MPI_BYTE,
                                        MPI_STATUS_IGNORE));
    MPI_Barrier(g_app);
    const double dt = MPI_Wtime() - t0;
    EXPECT_OK(ck, MPI_File_close(&fh));
    return static_cast<double>(mib) * g_size / dt;
}

// Message types of the driver's lock service (pfs/mpiio/src/driver.hpp).
constexpr std::uint16_t kRangeLockReq = 3001, kRangeUnlockReq = 3002;

std::int32_t raw_lock_call(std::uint16_t type, const std::vector<std::byte>& body) {
    MPI_Group g, world;
    MPI_Comm_group(g_app, &g);
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int zero = 0, owner = -1;
    MPI_Group_translate_ranks(g, 1, &zero, world, &owner);
    MPI_Group_free(&g);
    MPI_Group_free(&world);
    auto rep = mpi_tools::Job::get().transport().call(
        owner, type, body, mpi_tools::ft::Clock::now() + std::chrono::seconds(20));
    if (rep.err != 0) return -rep.err;
    mpi_tools::wire::Reader rd(rep.payload);
    const auto e = rd.get<std::int32_t>();
    return rd.done() ? e : -1;
}

std::vector<std::byte> lock_body(std::uint64_t fid, std::uint64_t id, std::uint8_t mode,
                                 std::int64_t lo, std::int64_t hi) {
    std::vector<std::byte> b;
    mpi_tools::wire::Writer w(&b);
    w.put<std::uint64_t>(fid);
    w.put<std::uint64_t>(id);
    w.put<std::uint8_t>(mode);
    w.put<std::int64_t>(lo);
    w.put<std::int64_t>(hi);
    return b;
}

void lock_service_bad_input(Checker& ck) {
    constexpr std::uint64_t kNoFile = 1ull << 60;
    auto body = lock_body(kNoFile, 1, 1, 0, 10);
    auto truncated = body;
    truncated.resize(body.size() - 1);
    auto longer = body;
    longer.push_back(std::byte{0});
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, truncated) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, longer) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, {}) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, lock_body(kNoFile, 0, 1, 0, 10)) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, lock_body(kNoFile, 1, 2, 0, 10)) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, lock_body(kNoFile, 1, 0, -1, 10)) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, lock_body(kNoFile, 1, 0, 10, 10)) == EINVAL);
    EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, body) == ENOENT);
    std::vector<std::byte> ub;
    mpi_tools::wire::Writer w(&ub);
    w.put<std::uint64_t>(kNoFile);
    w.put<std::uint64_t>(1);
    EXPECT_TRUE(ck, raw_lock_call(kRangeUnlockReq, ub) == ENOENT);
    ub.pop_back();
    EXPECT_TRUE(ck, raw_lock_call(kRangeUnlockReq, ub) == EINVAL);
}

void case_atomic(Checker& ck) {
    EXPECT_TRUE(ck, g_size == 4);
    if (g_size != 4) return;
    const int iters = 30;
    // Sanity probe: the same workload without atomic mode. Mixing there is timing-dependent, so
    // it is only reported: it shows what the locks prevent.
    const MixStats na = atomic_workload(ck, "pfs:/atomic-off.dat", false, iters);
    if (g_rank == 0)
        std::printf("ATOMIC-PROBE non-atomic: %ld reads, %ld mixed, final core %s\n", na.reads,
                    na.mixed, na.final_mixed ? "MIXED" : "uniform");
    const MixStats at = atomic_workload(ck, "pfs:/atomic-on.dat", true, iters);
    if (g_rank == 0)
        std::printf(
            "ATOMIC-PROBE atomic: %ld reads, %ld mixed, %ld unwritten values, final core "
            "%s\n",
            at.reads, at.mixed, at.bad, at.final_mixed ? "MIXED" : "uniform");
    EXPECT_TRUE(ck, at.reads > 0);
    EXPECT_TRUE(ck, at.mixed == 0);
    EXPECT_TRUE(ck, at.bad == 0);
    EXPECT_TRUE(ck, !at.final_mixed);

    // Collective calls in atomic mode (two-phase forced by the hint, which atomic mode
    // overrides): every rank writes an overlapping range with its own value, all at once; the
    // core ends up one rank's value; a collective read of it is uniform. Then the ordered and
    // shared-pointer calls, which also lock.
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "striping_unit", "65536");
    MPI_Info_set(info, "romio_cb_write", "enable");
    MPI_Info_set(info, "romio_cb_read", "enable");
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/atomic-coll.dat", MPI_MODE_CREATE | MPI_MODE_RDWR,
                                info, &fh));
    MPI_Info_free(&info);
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, 1));
    for (int round = 0; round < 4; ++round) {
        const std::int64_t lo = kCoreLo - g_rank * (64 << 10), hi = kCoreHi + g_rank * (64 << 10);
        std::vector<unsigned char> b(static_cast<std::size_t>(hi - lo),
                                     static_cast<unsigned char>(201 + g_rank));
        EXPECT_OK(ck, MPI_File_write_at_all(fh, lo, b.data(), static_cast<int>(b.size()), MPI_BYTE,
                                            MPI_STATUS_IGNORE));
        std::vector<unsigned char> r(static_cast<std::size_t>(kCoreHi - kCoreLo), 0);
        EXPECT_OK(ck, MPI_File_read_at_all(fh, kCoreLo, r.data(), static_cast<int>(r.size()),
                                           MPI_BYTE, MPI_STATUS_IGNORE));
        EXPECT_TRUE(ck, uniform(r) && r[0] >= 201 && r[0] <= 204);
    }
    std::vector<char> small(4096, static_cast<char>('a' + g_rank));
    EXPECT_OK(ck, MPI_File_write_ordered(fh, small.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_write_shared(fh, small.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_sync(fh));
    // Bad input: different flags on different ranks -> MPI_ERR_ARG everywhere, mode unchanged.
    EXPECT_CLASS(ck, MPI_File_set_atomicity(fh, g_rank % 2), MPI_ERR_ARG);
    int flag = 0;
    EXPECT_OK(ck, MPI_File_get_atomicity(fh, &flag));
    EXPECT_TRUE(ck, flag == 1);
    EXPECT_OK(ck, MPI_File_close(&fh));
    MPI_Barrier(g_app);
    auto raw = native_read("/atomic-coll.dat");
    if (raw.size() >= static_cast<std::size_t>(kCoreHi)) {
        std::vector<unsigned char> core(raw.begin() + kCoreLo, raw.begin() + kCoreHi);
        EXPECT_TRUE(ck, uniform(core));
    } else {
        EXPECT_TRUE(ck, raw.size() >= static_cast<std::size_t>(kCoreHi));
    }

    // The lock service's decoder: malformed requests (sent raw by rank 1 to the owner, world
    // rank of app rank 0) are answered with EINVAL, unknown files with ENOENT; nothing hangs.
    if (g_rank == 1) lock_service_bad_input(ck);
    MPI_Barrier(g_app);

    // Cost: 4 ranks writing disjoint regions, 1 MiB transfers (32 MiB each) and 4 KiB transfers
    // (1 MiB each, where the two lock round trips per call show), non-atomic vs atomic,
    // alternated; the best of 3 runs each.
    const struct { int mib, xfer; } loads[] = {{32, 1 << 20}, {1, 4096}};
    for (const auto& l : loads) {
        double best[2] = {0, 0};
        for (int run = 0; run < 3; ++run)
            for (int a = 0; a < 2; ++a)
                best[a] = std::max(
                    best[a],
                    atomic_bench(ck, a ? "pfs:/atomic-bench-on.dat" : "pfs:/atomic-bench-off.dat",
                                 a == 1, l.mib, l.xfer));
        if (g_rank == 0)
            std::printf(
                "ATOMIC-COST %d ranks x %d MiB in %d KiB writes: non-atomic %.0f MiB/s, "
                "atomic %.0f MiB/s, atomic/non-atomic %.2f\n",
                g_size, l.mib, l.xfer >> 10, best[0], best[1], best[1] / best[0]);
    }
}

// ---- atomic_timeout (PFS_CLIENT_TIMEOUT_MS=4000, 3 ranks) -----------------------------------
// A lock holder that never releases: rank 1 takes an exclusive lock through the raw protocol
// (its file id found by probing: a release of a lock it does not hold is 0 on the file's table,
// ENOENT elsewhere). The owner's own write (local wait) and rank 2's read (remote wait) then
// fail with MPI_ERR_IO at the client deadline instead of hanging; once rank 1 releases, both
// succeed (the timed-out requests were withdrawn, not left to be granted later).
void case_atomic_timeout(Checker& ck) {
    EXPECT_TRUE(ck, g_size == 3);
    if (g_size != 3) return;
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(g_app, "pfs:/atomic-timeout.dat", MPI_MODE_CREATE | MPI_MODE_RDWR,
                                MPI_INFO_NULL, &fh));
    EXPECT_OK(ck, MPI_File_set_atomicity(fh, 1));
    std::vector<char> b(4096, 'x');
    EXPECT_OK(ck, MPI_File_write_at_all(fh, 0, b.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE));
    std::uint64_t fid = 0;
    if (g_rank == 1) {
        for (std::uint64_t id = 1; id < 64 && fid == 0; ++id) {
            std::vector<std::byte> ub;
            mpi_tools::wire::Writer w(&ub);
            w.put<std::uint64_t>(id);
            w.put<std::uint64_t>(12345);
            if (raw_lock_call(kRangeUnlockReq, ub) == 0) fid = id;
        }
        EXPECT_TRUE(ck, fid != 0);
        EXPECT_TRUE(ck, raw_lock_call(kRangeLockReq, lock_body(fid, 777, 1, 0, 1 << 20)) == 0);
    }
    MPI_Barrier(g_app);
    if (g_rank != 1) {
        const double t0 = MPI_Wtime();
        if (g_rank == 0)
            EXPECT_CLASS(ck, MPI_File_write_at(fh, 0, b.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE),
                         MPI_ERR_IO);
        else
            EXPECT_CLASS(ck, MPI_File_read_at(fh, 0, b.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE),
                         MPI_ERR_IO);
        const double dt = MPI_Wtime() - t0;
        if (g_rank == 2) std::printf("ATOMIC-TIMEOUT blocked access failed after %.2f s\n", dt);
        EXPECT_TRUE(ck, dt > 3.5 && dt < 30);
    }
    MPI_Barrier(g_app);
    if (g_rank == 1) {
        std::vector<std::byte> ub;
        mpi_tools::wire::Writer w(&ub);
        w.put<std::uint64_t>(fid);
        w.put<std::uint64_t>(777);
        EXPECT_TRUE(ck, raw_lock_call(kRangeUnlockReq, ub) == 0);
    }
    MPI_Barrier(g_app);
    if (g_rank == 0)
        EXPECT_OK(ck, MPI_File_write_at(fh, 0, b.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE));
    if (g_rank == 2)
        EXPECT_OK(ck, MPI_File_read_at(fh, 0, b.data(), 4096, MPI_BYTE, MPI_STATUS_IGNORE));
    EXPECT_OK(ck, MPI_File_close(&fh));
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    dmapi::events::start(job);  // as every program of a PFS job: DMAPI events (dm_abort)
    g_app = job.app_comm();
    MPI_Comm_rank(g_app, &g_rank);
    MPI_Comm_size(g_app, &g_size);
    std::string which, local_dir = "/tmp";
    CLI::App cli{"pfs-mpiio-test"};
    cli.add_option("--case", which)->required();
    cli.add_option("--local-dir", local_dir);
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (g_rank == 0) cli.exit(e);
        job.finish(2);
    }
    Checker ck{which, g_rank};
    if (which == "flatten")
        case_flatten(ck);
    else if (which == "calls")
        case_calls(ck);
    else if (which == "views")
        case_views(ck);
    else if (which == "coll")
        case_coll(ck);
    else if (which == "errors")
        case_errors(ck);
    else if (which == "coll_nospace")
        case_coll_nospace(ck);
    else if (which == "dm_abort")
        case_dm_abort(ck);
    else if (which == "passthrough")
        case_passthrough(ck, local_dir);
    else if (which == "atomic")
        case_atomic(ck);
    else if (which == "atomic_timeout")
        case_atomic_timeout(ck);
    else if (which == "nonblocking_collective")
        mpiio_test::case_nonblocking_collective(ck, g_app);
    else if (which == "datarep")
        mpiio_test::case_datarep(ck, g_app);
    else {
        if (g_rank == 0) std::fprintf(stderr, "unknown case %s\n", which.c_str());
        job.finish(2);
    }
    int bad = ck.failures;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_SUM, g_app);
    if (g_rank == 0) {
        if (bad == 0)
            std::printf("MPIIO-TEST %s PASS (%d ranks)\n", which.c_str(), g_size);
        else
            std::printf("MPIIO-TEST %s FAIL (%d failed checks)\n", which.c_str(), bad);
        std::fflush(stdout);
    }
    job.finish(bad == 0 ? 0 : 1);
}
