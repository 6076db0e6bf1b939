// Helpers of the MPI-IO driver test programs: checks that report the MPI error class by name
// and fail the case without crashing the job.
#pragma once

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace mpiio_test {

inline std::string class_name(int code) {
    int cls = 0;
    MPI_Error_class(code, &cls);
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, s, &len);
    return std::to_string(cls) + " (" + std::string(s, static_cast<std::size_t>(len)) + ")";
}

struct Checker {
    std::string name;
    int rank = 0;
    int failures = 0;
    void fail(const char* file, int line, const std::string& what) {
        ++failures;
        std::fprintf(stderr, "MPIIO-TEST %s rank %d FAIL %s:%d: %s\n", name.c_str(), rank, file,
                     line, what.c_str());
    }
};

// nonblocking_collective.cpp: i*_all calls that really are nonblocking.
void case_nonblocking_collective(Checker& ck, MPI_Comm app);
// datarep.cpp: the external32 data representation.
void case_datarep(Checker& ck, MPI_Comm app);
// mpiio_test.cpp: a whole pfs file read through the native client (not through the driver).
std::vector<char> native_read(const std::string& path);

}  // namespace mpiio_test

// EXPECT_OK(call): the call returns MPI_SUCCESS.
#define EXPECT_OK(ck, call)                                                       \
    do {                                                                          \
        int rc_ = (call);                                                         \
        if (rc_ != MPI_SUCCESS)                                                   \
            (ck).fail(__FILE__, __LINE__,                                         \
                      std::string(#call) + " -> " + mpiio_test::class_name(rc_)); \
    } while (0)
// EXPECT_CLASS(call, cls): the call fails with error class cls.
#define EXPECT_CLASS(ck, call, cls)                                                   \
    do {                                                                              \
        int rc_ = (call), c_ = MPI_SUCCESS;                                           \
        MPI_Error_class(rc_, &c_);                                                    \
        if (c_ != (cls))                                                              \
            (ck).fail(__FILE__, __LINE__,                                             \
                      std::string(#call) + " -> " + mpiio_test::class_name(rc_) +     \
                          ", expected class " + std::to_string(cls) + " (" #cls ")"); \
    } while (0)
#define EXPECT_TRUE(ck, cond)                                          \
    do {                                                               \
        if (!(cond)) (ck).fail(__FILE__, __LINE__, "expected " #cond); \
    } while (0)
