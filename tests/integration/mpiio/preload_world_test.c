/* An unmodified MPI program in the style of IOR: everything on MPI_COMM_WORLD (rank, size,
 * barrier, bcast, allreduce, a ring sendrecv, split and dup, a collective open and collective
 * writes of one shared pfs: file, and a collective open of a plain file that goes to Open MPI's
 * own MPI-IO). Preloaded into a PFS job, its MPI_COMM_WORLD stands for the compute ranks
 * (world_shim.cpp), so none of this waits for the server ranks.
 * usage: pfs-mpiio-preload-world-test <expected compute ranks> <plain directory> */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "preload-world-test: line %d: %s\n", __LINE__, #cond); \
            ++failures;                                                            \
        }                                                                          \
    } while (0)

enum { kBlock = 1 << 20 };

static void shared_file(const char* path, int rank, int size) {
    MPI_File fh;
    int rc = MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL,
                           &fh);
    CHECK(rc == MPI_SUCCESS);
    if (rc != MPI_SUCCESS) return;
    char* buf = malloc(kBlock);
    memset(buf, 'a' + rank % 26, kBlock);
    MPI_Status st;
    CHECK(MPI_File_write_at_all(fh, (MPI_Offset)rank * kBlock, buf, kBlock, MPI_BYTE, &st) ==
          MPI_SUCCESS);
    CHECK(MPI_File_sync(fh) == MPI_SUCCESS);
    MPI_Barrier(MPI_COMM_WORLD);
    const int peer = (rank + 1) % size;
    CHECK(MPI_File_read_at_all(fh, (MPI_Offset)peer * kBlock, buf, kBlock, MPI_BYTE, &st) ==
          MPI_SUCCESS);
    int bad = 0;
    for (int i = 0; i < kBlock; ++i) bad += buf[i] != 'a' + peer % 26;
    CHECK(bad == 0);
    MPI_Offset sz = 0;
    CHECK(MPI_File_get_size(fh, &sz) == MPI_SUCCESS && sz == (MPI_Offset)size * kBlock);
    CHECK(MPI_File_close(&fh) == MPI_SUCCESS);
    free(buf);
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    if (argc != 3) {
        fprintf(stderr, "usage: %s <expected compute ranks> <plain directory>\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int rank = -1, size = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size == atoi(argv[1]));
    CHECK(rank >= 0 && rank < size);

    CHECK(MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS);
    int token = rank == 0 ? 4242 : 0;
    MPI_Bcast(&token, 1, MPI_INT, 0, MPI_COMM_WORLD);
    CHECK(token == 4242);
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    CHECK(sum == size * (size - 1) / 2);
    int from = -1;
    MPI_Sendrecv(&rank, 1, MPI_INT, (rank + 1) % size, 7, &from, 1, MPI_INT,
                 (rank + size - 1) % size, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(from == (rank + size - 1) % size);
    MPI_Comm half, dup;
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    int dup_size = 0;
    MPI_Comm_size(dup, &dup_size);
    CHECK(dup_size == size);
    MPI_Barrier(half);
    MPI_Comm_free(&half);
    MPI_Comm_free(&dup);

    shared_file("pfs:/world-shared.dat", rank, size);
    char plain[4096];
    snprintf(plain, sizeof(plain), "%s/world-plain.dat", argv[2]);
    shared_file(plain, rank, size);

    printf("WORLD %d %s size=%d\n", rank, failures == 0 ? "PASS" : "FAIL", size);
    fflush(stdout);
    MPI_Finalize();
    return failures == 0 ? 0 : 1;
}
