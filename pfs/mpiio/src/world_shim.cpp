// MPI_COMM_WORLD for an unmodified program preloaded into a PFS job. The job's MPI_COMM_WORLD
// also holds the meta and data server ranks, which never join the application's
// communication, so a program's collectives on it would hang. When the intercepted MPI_Init
// started this rank as a compute rank (runtime.cpp), the calls below that name MPI_COMM_WORLD
// get the application communicator instead (job.app_comm(): the compute ranks, in world
// order): rank, size, point-to-point, collectives, communicator constructors, groups and
// errhandlers, and MPI_File_open. Calls from the job runtime, this library and Open MPI's own
// libraries keep the real MPI_COMM_WORLD (the caller is judged with dladdr, as runtime.cpp's
// recursion guard does). MPI_Abort keeps it on purpose: it ends the whole job.
#include <dlfcn.h>

#include <atomic>
#include <cstring>

#include "driver.hpp"

namespace pfs::mpiio::detail {
namespace {

std::atomic<MPI_Comm> g_app_world{MPI_COMM_NULL};

// Open MPI's own objects (libmpi and its components) and the PFS runtime keep the real world.
bool caller_keeps_world(void* ret) {
    if (called_from_runtime(ret)) return true;
    Dl_info info{};
    if (dladdr(ret, &info) == 0 || info.dli_fname == nullptr) return false;
    return std::strstr(info.dli_fname, "/openmpi/lib/") != nullptr;
}

}  // namespace

bool predefined_key(int keyval) {
    return keyval == MPI_TAG_UB || keyval == MPI_HOST || keyval == MPI_IO ||
           keyval == MPI_WTIME_IS_GLOBAL || keyval == MPI_UNIVERSE_SIZE || keyval == MPI_APPNUM ||
           keyval == MPI_LASTUSEDCODE;
}

void set_app_world(MPI_Comm app) {
    // What MPI_Comm_get_name(MPI_COMM_WORLD) reports, as for the real one.
    if (app != MPI_COMM_NULL) PMPI_Comm_set_name(app, "MPI_COMM_WORLD");
    g_app_world.store(app);
}

MPI_Comm app_world(MPI_Comm comm, void* caller) {
    if (comm != MPI_COMM_WORLD) return comm;
    const MPI_Comm app = g_app_world.load(std::memory_order_relaxed);
    if (app == MPI_COMM_NULL || caller_keeps_world(caller)) return comm;
    return app;
}

}  // namespace pfs::mpiio::detail

#define PFS_WORLD(c) ::pfs::mpiio::detail::app_world((c), __builtin_return_address(0))
using pfs::mpiio::detail::predefined_key;

extern "C" {

// Ranks, communicators, groups, errhandlers.
int MPI_Comm_rank(MPI_Comm comm, int* rank) {
    return PMPI_Comm_rank(PFS_WORLD(comm), rank);
}
int MPI_Comm_size(MPI_Comm comm, int* size) {
    return PMPI_Comm_size(PFS_WORLD(comm), size);
}
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* newcomm) {
    return PMPI_Comm_dup(PFS_WORLD(comm), newcomm);
}
int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm* newcomm) {
    return PMPI_Comm_dup_with_info(PFS_WORLD(comm), info, newcomm);
}
int MPI_Comm_idup(MPI_Comm comm, MPI_Comm* newcomm, MPI_Request* request) {
    return PMPI_Comm_idup(PFS_WORLD(comm), newcomm, request);
}
int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* newcomm) {
    return PMPI_Comm_split(PFS_WORLD(comm), color, key, newcomm);
}
int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm* newcomm) {
    return PMPI_Comm_split_type(PFS_WORLD(comm), split_type, key, info, newcomm);
}
int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm* newcomm) {
    return PMPI_Comm_create(PFS_WORLD(comm), group, newcomm);
}
int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm* newcomm) {
    return PMPI_Comm_create_group(PFS_WORLD(comm), group, tag, newcomm);
}
int MPI_Comm_group(MPI_Comm comm, MPI_Group* group) {
    return PMPI_Comm_group(PFS_WORLD(comm), group);
}
int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler) {
    return PMPI_Comm_set_errhandler(PFS_WORLD(comm), errhandler);
}
int MPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler* errhandler) {
    return PMPI_Comm_get_errhandler(PFS_WORLD(comm), errhandler);
}
int MPI_Cart_create(MPI_Comm comm, int ndims, const int dims[], const int periods[], int reorder,
                    MPI_Comm* comm_cart) {
    return PMPI_Cart_create(PFS_WORLD(comm), ndims, dims, periods, reorder, comm_cart);
}

// Collectives.
int MPI_Barrier(MPI_Comm comm) {
    return PMPI_Barrier(PFS_WORLD(comm));
}
int MPI_Ibarrier(MPI_Comm comm, MPI_Request* request) {
    return PMPI_Ibarrier(PFS_WORLD(comm), request);
}
int MPI_Bcast(void* buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm) {
    return PMPI_Bcast(buffer, count, datatype, root, PFS_WORLD(comm));
}
int MPI_Ibcast(void* buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm,
               MPI_Request* request) {
    return PMPI_Ibcast(buffer, count, datatype, root, PFS_WORLD(comm), request);
}
int MPI_Reduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               int root, MPI_Comm comm) {
    return PMPI_Reduce(sendbuf, recvbuf, count, datatype, op, root, PFS_WORLD(comm));
}
int MPI_Ireduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                int root, MPI_Comm comm, MPI_Request* request) {
    return PMPI_Ireduce(sendbuf, recvbuf, count, datatype, op, root, PFS_WORLD(comm), request);
}
int MPI_Allreduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                  MPI_Comm comm) {
    return PMPI_Allreduce(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm));
}
int MPI_Iallreduce(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                   MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iallreduce(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm), request);
}
int MPI_Gather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
               int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm) {
    return PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                       PFS_WORLD(comm));
}
int MPI_Gatherv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                MPI_Comm comm) {
    return PMPI_Gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root,
                        PFS_WORLD(comm));
}
int MPI_Scatter(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm) {
    return PMPI_Scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                        PFS_WORLD(comm));
}
int MPI_Scatterv(const void* sendbuf, const int sendcounts[], const int displs[],
                 MPI_Datatype sendtype, void* recvbuf, int recvcount, MPI_Datatype recvtype,
                 int root, MPI_Comm comm) {
    return PMPI_Scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root,
                         PFS_WORLD(comm));
}
int MPI_Allgather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm) {
    return PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype,
                          PFS_WORLD(comm));
}
int MPI_Allgatherv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                   const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                   MPI_Comm comm) {
    return PMPI_Allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                           PFS_WORLD(comm));
}
int MPI_Alltoall(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                 int recvcount, MPI_Datatype recvtype, MPI_Comm comm) {
    return PMPI_Alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype,
                         PFS_WORLD(comm));
}
int MPI_Alltoallv(const void* sendbuf, const int sendcounts[], const int sdispls[],
                  MPI_Datatype sendtype, void* recvbuf, const int recvcounts[], const int rdispls[],
                  MPI_Datatype recvtype, MPI_Comm comm) {
    return PMPI_Alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls,
                          recvtype, PFS_WORLD(comm));
}
int MPI_Reduce_scatter(const void* sendbuf, void* recvbuf, const int recvcounts[],
                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm) {
    return PMPI_Reduce_scatter(sendbuf, recvbuf, recvcounts, datatype, op, PFS_WORLD(comm));
}
int MPI_Reduce_scatter_block(const void* sendbuf, void* recvbuf, int recvcount,
                             MPI_Datatype datatype, MPI_Op op, MPI_Comm comm) {
    return PMPI_Reduce_scatter_block(sendbuf, recvbuf, recvcount, datatype, op, PFS_WORLD(comm));
}
int MPI_Scan(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
             MPI_Comm comm) {
    return PMPI_Scan(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm));
}
int MPI_Exscan(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               MPI_Comm comm) {
    return PMPI_Exscan(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm));
}

// Point-to-point (ranks are application ranks, as MPI_Comm_rank reports them).
int MPI_Send(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm) {
    return PMPI_Send(buf, count, datatype, dest, tag, PFS_WORLD(comm));
}
int MPI_Ssend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm) {
    return PMPI_Ssend(buf, count, datatype, dest, tag, PFS_WORLD(comm));
}
int MPI_Rsend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm) {
    return PMPI_Rsend(buf, count, datatype, dest, tag, PFS_WORLD(comm));
}
int MPI_Bsend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm) {
    return PMPI_Bsend(buf, count, datatype, dest, tag, PFS_WORLD(comm));
}
int MPI_Isend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
              MPI_Request* request) {
    return PMPI_Isend(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Issend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
               MPI_Request* request) {
    return PMPI_Issend(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Recv(void* buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
             MPI_Status* status) {
    return PMPI_Recv(buf, count, datatype, source, tag, PFS_WORLD(comm), status);
}
int MPI_Irecv(void* buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
              MPI_Request* request) {
    return PMPI_Irecv(buf, count, datatype, source, tag, PFS_WORLD(comm), request);
}
int MPI_Sendrecv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                 void* recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                 MPI_Comm comm, MPI_Status* status) {
    return PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype,
                         source, recvtag, PFS_WORLD(comm), status);
}
int MPI_Sendrecv_replace(void* buf, int count, MPI_Datatype datatype, int dest, int sendtag,
                         int source, int recvtag, MPI_Comm comm, MPI_Status* status) {
    return PMPI_Sendrecv_replace(buf, count, datatype, dest, sendtag, source, recvtag,
                                 PFS_WORLD(comm), status);
}
int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status* status) {
    return PMPI_Probe(source, tag, PFS_WORLD(comm), status);
}
int MPI_Iprobe(int source, int tag, MPI_Comm comm, int* flag, MPI_Status* status) {
    return PMPI_Iprobe(source, tag, PFS_WORLD(comm), flag, status);
}
int MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message* message, MPI_Status* status) {
    return PMPI_Mprobe(source, tag, PFS_WORLD(comm), message, status);
}
int MPI_Improbe(int source, int tag, MPI_Comm comm, int* flag, MPI_Message* message,
                MPI_Status* status) {
    return PMPI_Improbe(source, tag, PFS_WORLD(comm), flag, message, status);
}
int MPI_Send_init(const void* buf, int count, MPI_Datatype datatype, int dest, int tag,
                  MPI_Comm comm, MPI_Request* request) {
    return PMPI_Send_init(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Recv_init(void* buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
                  MPI_Request* request) {
    return PMPI_Recv_init(buf, count, datatype, source, tag, PFS_WORLD(comm), request);
}

// Point-to-point modes and persistent requests not covered above.
int MPI_Ibsend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
               MPI_Request* request) {
    return PMPI_Ibsend(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Irsend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
               MPI_Request* request) {
    return PMPI_Irsend(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Bsend_init(const void* buf, int count, MPI_Datatype datatype, int dest, int tag,
                   MPI_Comm comm, MPI_Request* request) {
    return PMPI_Bsend_init(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Ssend_init(const void* buf, int count, MPI_Datatype datatype, int dest, int tag,
                   MPI_Comm comm, MPI_Request* request) {
    return PMPI_Ssend_init(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}
int MPI_Rsend_init(const void* buf, int count, MPI_Datatype datatype, int dest, int tag,
                   MPI_Comm comm, MPI_Request* request) {
    return PMPI_Rsend_init(buf, count, datatype, dest, tag, PFS_WORLD(comm), request);
}

// The remaining collectives, blocking and nonblocking.
int MPI_Alltoallw(const void* sendbuf, const int sendcounts[], const int sdispls[],
                  const MPI_Datatype sendtypes[], void* recvbuf, const int recvcounts[],
                  const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm) {
    return PMPI_Alltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls,
                          recvtypes, PFS_WORLD(comm));
}
int MPI_Igather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                MPI_Request* request) {
    return PMPI_Igather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                        PFS_WORLD(comm), request);
}
int MPI_Igatherv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                 const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                 MPI_Comm comm, MPI_Request* request) {
    return PMPI_Igatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, root,
                         PFS_WORLD(comm), request);
}
int MPI_Iscatter(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                 int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                 MPI_Request* request) {
    return PMPI_Iscatter(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                         PFS_WORLD(comm), request);
}
int MPI_Iscatterv(const void* sendbuf, const int sendcounts[], const int displs[],
                  MPI_Datatype sendtype, void* recvbuf, int recvcount, MPI_Datatype recvtype,
                  int root, MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iscatterv(sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount, recvtype, root,
                          PFS_WORLD(comm), request);
}
int MPI_Iallgather(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                   int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iallgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype,
                           PFS_WORLD(comm), request);
}
int MPI_Iallgatherv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                    const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                    MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iallgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                            PFS_WORLD(comm), request);
}
int MPI_Ialltoall(const void* sendbuf, int sendcount, MPI_Datatype sendtype, void* recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request* request) {
    return PMPI_Ialltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype,
                          PFS_WORLD(comm), request);
}
int MPI_Ialltoallv(const void* sendbuf, const int sendcounts[], const int sdispls[],
                   MPI_Datatype sendtype, void* recvbuf, const int recvcounts[],
                   const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                   MPI_Request* request) {
    return PMPI_Ialltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls,
                           recvtype, PFS_WORLD(comm), request);
}
int MPI_Ialltoallw(const void* sendbuf, const int sendcounts[], const int sdispls[],
                   const MPI_Datatype sendtypes[], void* recvbuf, const int recvcounts[],
                   const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm,
                   MPI_Request* request) {
    return PMPI_Ialltoallw(sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts, rdispls,
                           recvtypes, PFS_WORLD(comm), request);
}
int MPI_Ireduce_scatter(const void* sendbuf, void* recvbuf, const int recvcounts[],
                        MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, MPI_Request* request) {
    return PMPI_Ireduce_scatter(sendbuf, recvbuf, recvcounts, datatype, op, PFS_WORLD(comm),
                                request);
}
int MPI_Ireduce_scatter_block(const void* sendbuf, void* recvbuf, int recvcount,
                              MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                              MPI_Request* request) {
    return PMPI_Ireduce_scatter_block(sendbuf, recvbuf, recvcount, datatype, op, PFS_WORLD(comm),
                                      request);
}
int MPI_Iscan(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
              MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iscan(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm), request);
}
int MPI_Iexscan(const void* sendbuf, void* recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm, MPI_Request* request) {
    return PMPI_Iexscan(sendbuf, recvbuf, count, datatype, op, PFS_WORLD(comm), request);
}

// One-sided windows: a window over MPI_COMM_WORLD spans the compute ranks.
int MPI_Win_create(void* base, MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                   MPI_Win* win) {
    return PMPI_Win_create(base, size, disp_unit, info, PFS_WORLD(comm), win);
}
int MPI_Win_allocate(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, void* baseptr,
                     MPI_Win* win) {
    return PMPI_Win_allocate(size, disp_unit, info, PFS_WORLD(comm), baseptr, win);
}
int MPI_Win_allocate_shared(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                            void* baseptr, MPI_Win* win) {
    return PMPI_Win_allocate_shared(size, disp_unit, info, PFS_WORLD(comm), baseptr, win);
}
int MPI_Win_create_dynamic(MPI_Info info, MPI_Comm comm, MPI_Win* win) {
    return PMPI_Win_create_dynamic(info, PFS_WORLD(comm), win);
}

// Topologies and intercommunicators (the bridge communicator is often MPI_COMM_WORLD, with the
// remote leader given as a rank in it: in the application's numbering).
int MPI_Graph_create(MPI_Comm comm_old, int nnodes, const int index[], const int edges[],
                     int reorder, MPI_Comm* comm_graph) {
    return PMPI_Graph_create(PFS_WORLD(comm_old), nnodes, index, edges, reorder, comm_graph);
}
int MPI_Dist_graph_create(MPI_Comm comm_old, int n, const int nodes[], const int degrees[],
                          const int targets[], const int weights[], MPI_Info info, int reorder,
                          MPI_Comm* newcomm) {
    return PMPI_Dist_graph_create(PFS_WORLD(comm_old), n, nodes, degrees, targets, weights, info,
                                  reorder, newcomm);
}
int MPI_Dist_graph_create_adjacent(MPI_Comm comm_old, int indegree, const int sources[],
                                   const int sourceweights[], int outdegree,
                                   const int destinations[], const int destweights[], MPI_Info info,
                                   int reorder, MPI_Comm* comm_dist_graph) {
    return PMPI_Dist_graph_create_adjacent(PFS_WORLD(comm_old), indegree, sources, sourceweights,
                                           outdegree, destinations, destweights, info, reorder,
                                           comm_dist_graph);
}
int MPI_Cart_map(MPI_Comm comm, int ndims, const int dims[], const int periods[], int* newrank) {
    return PMPI_Cart_map(PFS_WORLD(comm), ndims, dims, periods, newrank);
}
int MPI_Graph_map(MPI_Comm comm, int nnodes, const int index[], const int edges[], int* newrank) {
    return PMPI_Graph_map(PFS_WORLD(comm), nnodes, index, edges, newrank);
}
int MPI_Topo_test(MPI_Comm comm, int* status) {
    return PMPI_Topo_test(PFS_WORLD(comm), status);
}
int MPI_Intercomm_create(MPI_Comm local_comm, int local_leader, MPI_Comm bridge_comm,
                         int remote_leader, int tag, MPI_Comm* newintercomm) {
    return PMPI_Intercomm_create(PFS_WORLD(local_comm), local_leader, PFS_WORLD(bridge_comm),
                                 remote_leader, tag, newintercomm);
}

// Communicator properties, and packing (whose communicator only names the ranks' representation).
int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int* result) {
    return PMPI_Comm_compare(PFS_WORLD(comm1), PFS_WORLD(comm2), result);
}
int MPI_Comm_test_inter(MPI_Comm comm, int* flag) {
    return PMPI_Comm_test_inter(PFS_WORLD(comm), flag);
}
int MPI_Comm_set_name(MPI_Comm comm, const char* comm_name) {
    return PMPI_Comm_set_name(PFS_WORLD(comm), comm_name);
}
int MPI_Comm_get_name(MPI_Comm comm, char* comm_name, int* resultlen) {
    return PMPI_Comm_get_name(PFS_WORLD(comm), comm_name, resultlen);
}
int MPI_Comm_set_info(MPI_Comm comm, MPI_Info info) {
    return PMPI_Comm_set_info(PFS_WORLD(comm), info);
}
int MPI_Comm_get_info(MPI_Comm comm, MPI_Info* info_used) {
    return PMPI_Comm_get_info(PFS_WORLD(comm), info_used);
}
int MPI_Comm_call_errhandler(MPI_Comm comm, int errorcode) {
    return PMPI_Comm_call_errhandler(PFS_WORLD(comm), errorcode);
}
int MPI_Pack(const void* inbuf, int incount, MPI_Datatype datatype, void* outbuf, int outsize,
             int* position, MPI_Comm comm) {
    return PMPI_Pack(inbuf, incount, datatype, outbuf, outsize, position, PFS_WORLD(comm));
}
int MPI_Unpack(const void* inbuf, int insize, int* position, void* outbuf, int outcount,
               MPI_Datatype datatype, MPI_Comm comm) {
    return PMPI_Unpack(inbuf, insize, position, outbuf, outcount, datatype, PFS_WORLD(comm));
}
int MPI_Pack_size(int incount, MPI_Datatype datatype, MPI_Comm comm, int* size) {
    return PMPI_Pack_size(incount, datatype, PFS_WORLD(comm), size);
}

// Attributes. The predefined ones (MPI_TAG_UB, MPI_HOST, MPI_IO, MPI_WTIME_IS_GLOBAL,
// MPI_UNIVERSE_SIZE, MPI_APPNUM, MPI_LASTUSEDCODE) exist only on the real MPI_COMM_WORLD, so
// their keys are looked up there; an application's own keys go to the communicator that
// MPI_COMM_WORLD stands for, so that set, get and delete agree.
int MPI_Comm_get_attr(MPI_Comm comm, int comm_keyval, void* attribute_val, int* flag) {
    return PMPI_Comm_get_attr(predefined_key(comm_keyval) ? comm : PFS_WORLD(comm), comm_keyval,
                              attribute_val, flag);
}
int MPI_Comm_set_attr(MPI_Comm comm, int comm_keyval, void* attribute_val) {
    return PMPI_Comm_set_attr(predefined_key(comm_keyval) ? comm : PFS_WORLD(comm), comm_keyval,
                              attribute_val);
}
int MPI_Comm_delete_attr(MPI_Comm comm, int comm_keyval) {
    return PMPI_Comm_delete_attr(predefined_key(comm_keyval) ? comm : PFS_WORLD(comm), comm_keyval);
}
int MPI_Attr_get(MPI_Comm comm, int keyval, void* attribute_val, int* flag) {
    return PMPI_Comm_get_attr(predefined_key(keyval) ? comm : PFS_WORLD(comm), keyval,
                              attribute_val, flag);
}
int MPI_Attr_put(MPI_Comm comm, int keyval, void* attribute_val) {
    return PMPI_Comm_set_attr(predefined_key(keyval) ? comm : PFS_WORLD(comm), keyval,
                              attribute_val);
}
int MPI_Attr_delete(MPI_Comm comm, int keyval) {
    return PMPI_Comm_delete_attr(predefined_key(keyval) ? comm : PFS_WORLD(comm), keyval);
}

}  // extern "C"
