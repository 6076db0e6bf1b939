// Blocking socket I/O for the pfs CLI protocol (cli_protocol.hpp), used by both sides. Every
// function returns 0 or an errno: EAGAIN/ETIMEDOUT when the socket's receive timeout passed,
// ECONNRESET when the peer closed early, EMSGSIZE for an over-long line.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>

namespace pfs::cli {

inline void set_timeouts(int fd, std::chrono::seconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count());
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline int write_all(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        // MSG_NOSIGNAL: a peer that went away is an EPIPE here, not a SIGPIPE for the process.
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return 0;
}

inline int write_line(int fd, const std::string& line) {
    const std::string l = line + "\n";
    return write_all(fd, l.data(), l.size());
}

// Buffered reads of one connection: lines and then raw bytes (file data) from the same buffer.
class Reader {
  public:
    explicit Reader(int fd) : fd_(fd) {}

    int read_exact(void* data, std::size_t n) {
        char* p = static_cast<char*>(data);
        while (n > 0) {
            if (pos_ == len_)
                if (int e = fill()) return e;
            const std::size_t k = std::min(n, len_ - pos_);
            std::memcpy(p, buf_ + pos_, k);
            pos_ += k;
            p += k;
            n -= k;
        }
        return 0;
    }

    // One "\n"-terminated line (without the "\n").
    int read_line(std::string* line, std::size_t max) {
        line->clear();
        for (;;) {
            if (pos_ == len_)
                if (int e = fill()) return e;
            const char* start = buf_ + pos_;
            const void* nl = std::memchr(start, '\n', len_ - pos_);
            const std::size_t k =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
            if (line->size() + k > max) return EMSGSIZE;
            line->append(start, k);
            pos_ += k;
            if (nl) {
                ++pos_;
                return 0;
            }
        }
    }

  private:
    int fill() {
        for (;;) {
            const ssize_t r = ::read(fd_, buf_, sizeof buf_);
            if (r < 0) {
                if (errno == EINTR) continue;
                return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
            }
            if (r == 0) return ECONNRESET;
            pos_ = 0;
            len_ = static_cast<std::size_t>(r);
            return 0;
        }
    }

    int fd_;
    char buf_[64 * 1024];
    std::size_t pos_ = 0, len_ = 0;
};

}  // namespace pfs::cli
