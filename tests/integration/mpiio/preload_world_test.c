/* An unmodified MPI program in the style of IOR: everything on MPI_COMM_WORLD (rank, size,
 * barrier, bcast, allreduce, a ring sendrecv, split and dup, a collective open and collective
 * writes of one shared pfs: file, and a collective open of a plain file that goes to Open MPI's
 * own MPI-IO; then a one-sided window, an intercommunicator bridged by MPI_COMM_WORLD, a
 * distributed graph, attributes, the name, nonblocking collectives). Preloaded into a PFS job, its MPI_COMM_WORLD stands for the compute ranks
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

/* The calls beyond point-to-point and collectives that name MPI_COMM_WORLD. */
static void beyond_collectives(int rank, int size) {
    /* A window over MPI_COMM_WORLD: every rank puts its rank into the next rank's window. */
    int* winbuf = NULL;
    MPI_Win win;
    CHECK(MPI_Win_allocate(sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &winbuf,
                           &win) == MPI_SUCCESS);
    *winbuf = -1;
    MPI_Win_fence(0, win);
    MPI_Put(&rank, 1, MPI_INT, (rank + 1) % size, 0, 1, MPI_INT, win);
    MPI_Win_fence(0, win);
    CHECK(*winbuf == (rank + size - 1) % size);
    MPI_Win_free(&win);
    int local = -1;
    MPI_Win win2;
    CHECK(MPI_Win_create(&local, sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD,
                         &win2) == MPI_SUCCESS);
    MPI_Group wg;
    MPI_Win_get_group(win2, &wg);
    int wsize = 0;
    MPI_Group_size(wg, &wsize);
    CHECK(wsize == size);
    MPI_Group_free(&wg);
    MPI_Win_free(&win2);

    /* An intercommunicator between the even and odd ranks, MPI_COMM_WORLD as the bridge and
     * the remote leaders (ranks 0 and 1) named in it. */
    if (size >= 2) {
        MPI_Comm half, inter;
        MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
        CHECK(MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rank % 2 == 0 ? 1 : 0, 99, &inter) ==
              MPI_SUCCESS);
        int remote = 0, flag = 0;
        MPI_Comm_remote_size(inter, &remote);
        CHECK(remote == (rank % 2 == 0 ? size / 2 : (size + 1) / 2));
        MPI_Comm_test_inter(inter, &flag);
        CHECK(flag);
        MPI_Comm_free(&inter);
        MPI_Comm_free(&half);
    }

    /* A ring as a distributed graph over MPI_COMM_WORLD, used by a neighbour exchange. */
    const int src = (rank + size - 1) % size, dst = (rank + 1) % size;
    MPI_Comm ring;
    const int weight = 1;
    CHECK(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 1, &src, &weight, 1, &dst, &weight,
                                         MPI_INFO_NULL, 0, &ring) == MPI_SUCCESS);
    int got = -1;
    MPI_Neighbor_allgather(&rank, 1, MPI_INT, &got, 1, MPI_INT, ring);
    CHECK(got == src);
    MPI_Comm_free(&ring);
    int topo = 0;
    MPI_Topo_test(MPI_COMM_WORLD, &topo);
    CHECK(topo == MPI_UNDEFINED);

    /* Predefined attributes are the real world's; the program's own keys stick to its world. */
    int* tag_ub = NULL;
    int flag = 0;
    CHECK(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag) == MPI_SUCCESS);
    CHECK(flag && tag_ub != NULL && *tag_ub >= 32767);
    int key = MPI_KEYVAL_INVALID;
    static int value = 17;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &key, NULL);
    CHECK(MPI_Comm_set_attr(MPI_COMM_WORLD, key, &value) == MPI_SUCCESS);
    int* back = NULL;
    flag = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, key, &back, &flag);
    CHECK(flag && back == &value);
    CHECK(MPI_Comm_delete_attr(MPI_COMM_WORLD, key) == MPI_SUCCESS);
    MPI_Comm_free_keyval(&key);

    char name[MPI_MAX_OBJECT_NAME];
    int len = 0;
    MPI_Comm_get_name(MPI_COMM_WORLD, name, &len);
    CHECK(strcmp(name, "MPI_COMM_WORLD") == 0);
    int cmp = MPI_UNEQUAL;
    MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, &cmp);
    CHECK(cmp == MPI_IDENT);

    /* Nonblocking collectives beyond the four of the first set. */
    int* all = malloc(sizeof(int) * (size_t)size);
    MPI_Request req;
    CHECK(MPI_Iallgather(&rank, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD, &req) ==
          MPI_SUCCESS);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    for (int i = 0; i < size; ++i) CHECK(all[i] == i);
    int prefix = -1;
    MPI_Iscan(&rank, &prefix, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    CHECK(prefix == rank * (rank + 1) / 2);
    free(all);
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

    beyond_collectives(rank, size);

    shared_file("pfs:/world-shared.dat", rank, size);
    char plain[4096];
    snprintf(plain, sizeof(plain), "%s/world-plain.dat", argv[2]);
    shared_file(plain, rank, size);

    printf("WORLD %d %s size=%d\n", rank, failures == 0 ? "PASS" : "FAIL", size);
    fflush(stdout);
    MPI_Finalize();
    return failures == 0 ? 0 : 1;
}
