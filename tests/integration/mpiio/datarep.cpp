// Case 'datarep' of pfs-mpiio-test: the external32 data representation. The bytes in the file
// are compared with MPI_Pack_external's stream of the same data (the standard's definition,
// from Open MPI's own convertor), read raw through the native client; reads through the view
// give the values back, through explicit offsets, a collective interleaving view (two-phase),
// the individual pointer and a nonblocking call with a padded struct memory type; a read at EOF
// ends at whole items; MPI_LONG (which Open MPI packs to 4 bytes) is refused.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mpiio_test_util.hpp"

namespace {

constexpr int kN = 1000;  // items per rank and section

struct Rec {  // native layout with padding after `a` and after `c`
    std::int32_t a;
    double b;
    std::int16_t c;
    float d;
};

MPI_Datatype rec_type() {
    int bl[] = {1, 1, 1, 1};
    MPI_Aint disp[] = {offsetof(Rec, a), offsetof(Rec, b), offsetof(Rec, c), offsetof(Rec, d)};
    MPI_Datatype types[] = {MPI_INT32_T, MPI_DOUBLE, MPI_INT16_T, MPI_FLOAT};
    MPI_Datatype t, r;
    MPI_Type_create_struct(4, bl, disp, types, &t);
    MPI_Type_create_resized(t, 0, sizeof(Rec), &r);
    MPI_Type_free(&t);
    MPI_Type_commit(&r);
    return r;
}

std::vector<char> pack_external(const void* buf, int count, MPI_Datatype t) {
    MPI_Aint size = 0, pos = 0;
    MPI_Pack_external_size("external32", count, t, &size);
    std::vector<char> out(static_cast<std::size_t>(size));
    MPI_Pack_external("external32", buf, count, t, out.data(), size, &pos);
    return out;
}

bool same_bytes(const std::vector<char>& file, std::size_t at, const std::vector<char>& want) {
    return file.size() >= at + want.size() &&
           std::memcmp(file.data() + at, want.data(), want.size()) == 0;
}

}  // namespace

namespace mpiio_test {

void case_datarep(Checker& ck, MPI_Comm app) {
    int rank = 0, size = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);
    MPI_File fh;
    EXPECT_OK(ck, MPI_File_open(app, "pfs:/datarep.dat", MPI_MODE_CREATE | MPI_MODE_RDWR,
                                MPI_INFO_NULL, &fh));
    MPI_Status st;
    int cnt = -1;

    // Section 1: ints at explicit offsets (etype MPI_INT): rank r's block at item r*kN.
    std::vector<int> ints(kN), back(kN);
    for (int i = 0; i < kN; ++i) ints[static_cast<std::size_t>(i)] = 0x01020304 * (rank + 1) + i;
    EXPECT_OK(ck, MPI_File_set_view(fh, 0, MPI_INT, MPI_INT, "external32", MPI_INFO_NULL));
    char rep[MPI_MAX_DATAREP_STRING] = {};
    MPI_Offset disp = -1;
    MPI_Datatype et, ft;
    EXPECT_OK(ck, MPI_File_get_view(fh, &disp, &et, &ft, rep));
    EXPECT_TRUE(ck, std::strcmp(rep, "external32") == 0);
    EXPECT_OK(ck, MPI_File_write_at_all(fh, static_cast<MPI_Offset>(rank) * kN, ints.data(), kN,
                                        MPI_INT, &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == kN);
    EXPECT_OK(ck, MPI_File_sync(fh));
    MPI_Barrier(app);
    const std::size_t sec1 = static_cast<std::size_t>(size) * kN * sizeof(int);
    {
        auto raw = native_read("/datarep.dat");
        for (int r = 0; r < size; ++r) {
            std::vector<int> theirs(kN);
            for (int i = 0; i < kN; ++i)
                theirs[static_cast<std::size_t>(i)] = 0x01020304 * (r + 1) + i;
            const auto want = pack_external(theirs.data(), kN, MPI_INT);
            EXPECT_TRUE(ck, same_bytes(raw, static_cast<std::size_t>(r) * kN * sizeof(int), want));
            // Big-endian: not the native (little-endian) bytes.
            EXPECT_TRUE(ck, std::memcmp(want.data(), theirs.data(), sizeof(int)) != 0);
        }
    }
    // The next rank's block read back through the view.
    const int peer = (rank + 1) % size;
    EXPECT_OK(ck, MPI_File_read_at(fh, static_cast<MPI_Offset>(peer) * kN, back.data(), kN, MPI_INT,
                                   &st));
    MPI_Get_count(&st, MPI_INT, &cnt);
    EXPECT_TRUE(ck, cnt == kN);
    bool ok = true;
    for (int i = 0; i < kN; ++i)
        ok = ok && back[static_cast<std::size_t>(i)] == 0x01020304 * (peer + 1) + i;
    EXPECT_TRUE(ck, ok);

    // Section 2: doubles of all ranks interleaved one by one, collective with two-phase forced.
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "romio_cb_write", "enable");
    MPI_Info_set(info, "romio_cb_read", "enable");
    MPI_Datatype vec, tile;
    MPI_Type_contiguous(1, MPI_DOUBLE, &vec);
    MPI_Type_create_resized(vec, 0, static_cast<MPI_Aint>(size * sizeof(double)), &tile);
    MPI_Type_free(&vec);
    MPI_Type_commit(&tile);
    const MPI_Offset d2 =
        static_cast<MPI_Offset>(sec1) + rank * static_cast<MPI_Offset>(sizeof(double));
    EXPECT_OK(ck, MPI_File_set_view(fh, d2, MPI_DOUBLE, tile, "external32", info));
    std::vector<double> dbl(kN), dback(kN);
    for (int i = 0; i < kN; ++i) dbl[static_cast<std::size_t>(i)] = rank + i / 7.0;
    EXPECT_OK(ck, MPI_File_write_all(fh, dbl.data(), kN, MPI_DOUBLE, &st));
    MPI_Offset pos = -1;
    EXPECT_OK(ck, MPI_File_get_position(fh, &pos));
    EXPECT_TRUE(ck, pos == kN);
    EXPECT_OK(ck, MPI_File_seek(fh, 0, MPI_SEEK_SET));
    EXPECT_OK(ck, MPI_File_read_all(fh, dback.data(), kN, MPI_DOUBLE, &st));
    EXPECT_TRUE(ck, dback == dbl);
    EXPECT_OK(ck, MPI_File_sync(fh));
    MPI_Barrier(app);
    {
        auto raw = native_read("/datarep.dat");
        for (int i = 0; i < kN; i += 97) {
            const auto one = pack_external(&dbl[static_cast<std::size_t>(i)], 1, MPI_DOUBLE);
            EXPECT_TRUE(ck, same_bytes(raw,
                                       static_cast<std::size_t>(d2) +
                                           static_cast<std::size_t>(i) * size * sizeof(double),
                                       one));
        }
    }
    MPI_Type_free(&tile);
    MPI_Info_free(&info);

    // Section 3: a padded struct memory type (etype MPI_BYTE), nonblocking write, then a read
    // through the individual pointer. The file holds the packed external32 records: 18 bytes
    // each, no padding.
    MPI_Datatype rt = rec_type();
    std::vector<Rec> recs(kN), rback(kN);
    for (int i = 0; i < kN; ++i)
        recs[static_cast<std::size_t>(i)] =
            Rec{rank * 100000 + i, i * 0.25 - rank, static_cast<std::int16_t>(i - 500),
                static_cast<float>(i) / 3.0f};
    const auto packed = pack_external(recs.data(), kN, rt);
    int rsize = 0;
    MPI_Type_size(rt, &rsize);
    EXPECT_TRUE(ck, packed.size() == static_cast<std::size_t>(kN) * rsize);
    const std::size_t sec3 = sec1 + static_cast<std::size_t>(size) * kN * sizeof(double);
    const MPI_Offset d3 =
        static_cast<MPI_Offset>(sec3 + static_cast<std::size_t>(rank) * packed.size());
    EXPECT_OK(ck, MPI_File_set_view(fh, d3, MPI_BYTE, MPI_BYTE, "external32", MPI_INFO_NULL));
    MPI_Request req;
    EXPECT_OK(ck, MPI_File_iwrite_at(fh, 0, recs.data(), kN, rt, &req));
    EXPECT_OK(ck, MPI_Wait(&req, &st));
    MPI_Get_count(&st, rt, &cnt);
    EXPECT_TRUE(ck, cnt == kN);
    EXPECT_OK(ck, MPI_File_read(fh, rback.data(), kN, rt, &st));
    MPI_Get_count(&st, rt, &cnt);
    EXPECT_TRUE(ck, cnt == kN);
    ok = true;
    for (int i = 0; i < kN; ++i) {
        const Rec& x = recs[static_cast<std::size_t>(i)];
        const Rec& y = rback[static_cast<std::size_t>(i)];
        ok = ok && x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d;
    }
    EXPECT_TRUE(ck, ok);
    EXPECT_OK(ck, MPI_File_sync(fh));
    MPI_Barrier(app);
    EXPECT_TRUE(ck, same_bytes(native_read("/datarep.dat"), static_cast<std::size_t>(d3), packed));

    // A read at EOF ends at whole items: the file is cut in the middle of the last rank's last
    // record, which then reads 4 records from the third-last: 2 whole ones.
    EXPECT_OK(ck, MPI_File_set_size(
                      fh, static_cast<MPI_Offset>(sec3 + size * packed.size()) - rsize / 2));
    if (rank == size - 1) {
        std::vector<Rec> tail(4);
        EXPECT_OK(ck, MPI_File_read_at(fh, static_cast<MPI_Offset>(kN - 3) * rsize, tail.data(), 4,
                                       rt, &st));
        MPI_Get_count(&st, rt, &cnt);
        EXPECT_TRUE(ck, cnt == 2);
        EXPECT_TRUE(ck, tail[1].a == recs[kN - 2].a && tail[1].d == recs[kN - 2].d);
    }
    // MPI_LONG cannot be converted without changing sizes (Open MPI packs it to 4 bytes): a view
    // of it is refused, and so is a memory type of it through an external32 view of bytes.
    EXPECT_CLASS(ck, MPI_File_set_view(fh, 0, MPI_LONG, MPI_LONG, "external32", MPI_INFO_NULL),
                 MPI_ERR_UNSUPPORTED_DATAREP);
    long l[4] = {1, -2, 3, -4};
    EXPECT_CLASS(ck, MPI_File_write_at(fh, 0, l, 4, MPI_LONG, &st), MPI_ERR_UNSUPPORTED_DATAREP);
    EXPECT_CLASS(ck, MPI_File_read_at(fh, 0, l, 4, MPI_LONG, &st), MPI_ERR_UNSUPPORTED_DATAREP);
    MPI_Type_free(&rt);
    EXPECT_OK(ck, MPI_File_close(&fh));
}

}  // namespace mpiio_test
