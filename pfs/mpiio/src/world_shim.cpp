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

void set_app_world(MPI_Comm app) {
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

}  // extern "C"
