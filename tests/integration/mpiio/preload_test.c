/* pfs-mpiio-preload-test: an unmodified MPI-IO program (links only libmpi). Run as a PFS job
 * with LD_PRELOAD=libpfs_mpiio.so: the intercepted MPI_Init starts the rank through the job
 * runtime, and "pfs:" files reach the PFS. In a PFS job MPI_COMM_WORLD also holds the server
 * ranks, so this program only uses MPI_COMM_SELF (file per process), as docs/mpiio.md says
 * unmodified programs must. Prints "PRELOAD <rank> PASS" per rank; exit 1 on any failure. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "preload-test: line %d: %s\n", __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int world = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &world);
    char name[64];
    snprintf(name, sizeof(name), "pfs:/preload-%d.dat", world);
    MPI_File fh;
    int rc =
        MPI_File_open(MPI_COMM_SELF, name, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh);
    CHECK(rc == MPI_SUCCESS);
    if (rc == MPI_SUCCESS) {
        double v[256], w[256];
        for (int i = 0; i < 256; i++) v[i] = world * 1000.0 + i;
        MPI_Status st;
        CHECK(MPI_File_write_at(fh, 0, v, 256, MPI_DOUBLE, &st) == MPI_SUCCESS);
        int n = -1;
        MPI_Get_count(&st, MPI_DOUBLE, &n);
        CHECK(n == 256);
        CHECK(MPI_File_sync(fh) == MPI_SUCCESS);
        memset(w, 0, sizeof(w));
        CHECK(MPI_File_read_at(fh, 0, w, 256, MPI_DOUBLE, &st) == MPI_SUCCESS);
        CHECK(memcmp(v, w, sizeof(v)) == 0);
        MPI_Offset size = 0;
        CHECK(MPI_File_get_size(fh, &size) == MPI_SUCCESS && size == (MPI_Offset)sizeof(v));
        CHECK(MPI_File_close(&fh) == MPI_SUCCESS);
    }
    /* The prefix never reached the local file system (Open MPI's OMPIO would have failed). */
    FILE* f = fopen(name, "r");
    CHECK(f == NULL);
    if (f) fclose(f);
    CHECK(MPI_File_delete(name, MPI_INFO_NULL) == MPI_SUCCESS);
    printf("PRELOAD %d %s\n", world, failures == 0 ? "PASS" : "FAIL");
    fflush(stdout);
    /* Intercepted: the rank ends through the job runtime with exit code 0 unless we fail first. */
    if (failures) return 1;
    MPI_Finalize();
    return 0;
}
