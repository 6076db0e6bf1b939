// pfs-mpiio-hdf5-test: parallel HDF5 through the MPI-IO driver. Every compute rank writes its
// rows of a contiguous and of a chunked 2-D dataset, once with independent and once with
// collective transfers, to a pfs: file; the file is closed, reopened and every rank reads and
// checks all rows (hyperslabs of other ranks included). With --export FILE, rank 0 copies the
// HDF5 file out of the PFS through the native client so that the test can run h5dump on it.
#include <fcntl.h>
#include <hdf5.h>
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"
#include "pfs/mpiio/mpiio.hpp"

namespace {

constexpr hsize_t kCols = 300;
constexpr hsize_t kRowsPerRank = 40;

double value(hsize_t row, hsize_t col) {
    return static_cast<double>(row) * 1000.0 + static_cast<double>(col) + 0.25;
}

int failures = 0;
void check(bool ok, const char* what, int rank) {
    if (!ok) {
        ++failures;
        std::fprintf(stderr, "hdf5-test rank %d FAIL: %s\n", rank, what);
    }
}

void write_dataset(hid_t file, const char* name, bool chunked, bool collective, int rank,
                   int nprocs) {
    hsize_t dims[2] = {kRowsPerRank * static_cast<hsize_t>(nprocs), kCols};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunked) {
        hsize_t chunk[2] = {16, 64};  // chunks straddle rank boundaries and the column edge
        H5Pset_chunk(dcpl, 2, chunk);
    }
    hid_t ds = H5Dcreate2(file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    check(ds >= 0, "H5Dcreate2", rank);
    hsize_t start[2] = {kRowsPerRank * static_cast<hsize_t>(rank), 0};
    hsize_t count[2] = {kRowsPerRank, kCols};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hid_t mem = H5Screate_simple(2, count, nullptr);
    std::vector<double> buf(kRowsPerRank * kCols);
    for (hsize_t r = 0; r < kRowsPerRank; ++r)
        for (hsize_t c = 0; c < kCols; ++c) buf[r * kCols + c] = value(start[0] + r, c);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
    check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf.data()) >= 0, "H5Dwrite", rank);
    H5Pclose(dxpl);
    H5Sclose(mem);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Dclose(ds);
}

void read_dataset(hid_t file, const char* name, bool collective, int rank, int nprocs) {
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    check(ds >= 0, "H5Dopen2", rank);
    if (ds < 0) return;
    hid_t space = H5Dget_space(ds);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(space, dims, nullptr);
    check(dims[0] == kRowsPerRank * static_cast<hsize_t>(nprocs) && dims[1] == kCols, "dims", rank);
    // Read the rows of the next rank (not the ones this rank wrote) plus a column strip of all.
    const hsize_t other = static_cast<hsize_t>((rank + 1) % nprocs);
    hsize_t start[2] = {kRowsPerRank * other, 0};
    hsize_t count[2] = {kRowsPerRank, kCols};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hid_t mem = H5Screate_simple(2, count, nullptr);
    std::vector<double> buf(kRowsPerRank * kCols, -1);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
    check(H5Dread(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf.data()) >= 0, "H5Dread", rank);
    bool ok = true;
    for (hsize_t r = 0; r < kRowsPerRank && ok; ++r)
        for (hsize_t c = 0; c < kCols && ok; ++c) ok = buf[r * kCols + c] == value(start[0] + r, c);
    check(ok, name, rank);
    H5Sclose(mem);
    // Column strip: every row, columns 100..109 (strided in the file).
    hsize_t s2[2] = {0, 100}, c2[2] = {dims[0], 10};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, s2, nullptr, c2, nullptr);
    mem = H5Screate_simple(2, c2, nullptr);
    std::vector<double> strip(dims[0] * 10, -1);
    check(H5Dread(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, strip.data()) >= 0, "H5Dread strip",
          rank);
    ok = true;
    for (hsize_t r = 0; r < dims[0] && ok; ++r)
        for (hsize_t c = 0; c < 10 && ok; ++c) ok = strip[r * 10 + c] == value(r, 100 + c);
    check(ok, "column strip", rank);
    H5Sclose(mem);
    H5Pclose(dxpl);
    H5Sclose(space);
    H5Dclose(ds);
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    MPI_Comm app = job.app_comm();
    int rank = 0, nprocs = 1;
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &nprocs);
    std::string exported;
    CLI::App cli{"pfs-mpiio-hdf5-test"};
    cli.add_option("--export", exported, "copy the HDF5 file out of the PFS to this local path");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (rank == 0) cli.exit(e);
        job.finish(2);
    }
    const char* name = "pfs:/hdf5-roundtrip.h5";
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, app, MPI_INFO_NULL);
    hid_t file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    check(file >= 0, "H5Fcreate", rank);
    if (file >= 0) {
        write_dataset(file, "contiguous_independent", false, false, rank, nprocs);
        write_dataset(file, "contiguous_collective", false, true, rank, nprocs);
        write_dataset(file, "chunked_independent", true, false, rank, nprocs);
        write_dataset(file, "chunked_collective", true, true, rank, nprocs);
        check(H5Fclose(file) >= 0, "H5Fclose", rank);
    }
    file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    check(file >= 0, "H5Fopen", rank);
    if (file >= 0) {
        read_dataset(file, "contiguous_independent", false, rank, nprocs);
        read_dataset(file, "contiguous_collective", true, rank, nprocs);
        read_dataset(file, "chunked_independent", true, rank, nprocs);
        read_dataset(file, "chunked_collective", false, rank, nprocs);
        check(H5Fclose(file) >= 0, "H5Fclose (read)", rank);
    }
    H5Pclose(fapl);
    if (rank == 0 && !exported.empty()) {
        auto* c = pfs::mpiio::native_client();
        auto fd = c ? c->open("/hdf5-roundtrip.h5", O_RDONLY) : pfs::Result<int>(pfs::Errno{EIO});
        auto a = fd ? c->fstat(*fd) : pfs::Result<pfs::Attr>(pfs::Errno{EIO});
        check(fd && a, "native open of the HDF5 file", rank);
        if (fd && a) {
            std::vector<char> bytes(a->size);
            auto r = c->pread(*fd, bytes.data(), bytes.size(), 0);
            check(r && *r == bytes.size(), "native read of the HDF5 file", rank);
            std::ofstream(exported, std::ios::binary)
                .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            (void)c->close(*fd);
        }
    }
    int bad = failures;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_SUM, app);
    if (rank == 0) {
        std::printf("HDF5-TEST %s (%d ranks, %d failed checks)\n", bad ? "FAIL" : "PASS", nprocs,
                    bad);
        std::fflush(stdout);
    }
    job.finish(bad ? 1 : 0);
}
