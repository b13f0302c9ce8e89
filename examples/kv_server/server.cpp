// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands.hpp"
#include "resp.hpp"

namespace kv {
namespace {

// Reads go into at least this much free space; a connection's buffers that
// grew past `shrink_above` for a large request are given back once empty.
constexpr std::size_t read_chunk = 16 << 10;
constexpr std::size_t shrink_above = 1 << 20;
// A client whose replies pile up (it pipelines without reading) is not
// served further until this much has been sent.
constexpr std::size_t max_pending_output = 1 << 20;
// The most one request may take in the input buffer (Redis: 1 GB).
constexpr std::size_t max_query_buffer = std::size_t{256} << 20;

struct connection {
    int fd;
    std::vector<char> in;
    std::size_t in_len = 0;
    std::string out;
    std::size_t out_sent = 0;
    std::uint32_t events = EPOLLIN;  // what epoll watches now
    bool closing = false;            // close once `out` is sent
    bool eof = false;                // the peer shut down its side
    request_parser parser;           // keeps its place in an incomplete request
};

class worker {
  public:
    worker(unsigned index, store& db, server_info& info)
        : index_(index),
          db_(db),
          info_(info),
          epfd_(epoll_create1(EPOLL_CLOEXEC)),
          wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;  // the wake-up descriptor
        epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    }
    ~worker() {
        close(wake_fd_);
        close(epfd_);
    }
    bool ok() const { return epfd_ >= 0 && wake_fd_ >= 0; }

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    // From the acceptor: hands over a new connection.
    void adopt(int fd) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            pending_.push_back(fd);
        }
        wake();
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake();
    }
    void join() { thread_.join(); }

  private:
    void wake() {
        const std::uint64_t one = 1;
        ssize_t r = write(wake_fd_, &one, sizeof one);
        (void)r;  // the counter only saturates after 2^64 - 1 wake-ups
    }

    void run() {
        epoll_event events[256];
        for (;;) {
            const int n = epoll_wait(epfd_, events, 256, -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("kv_server: epoll_wait");
                break;
            }
            bool stop = false;
            for (int i = 0; i < n; ++i) {
                if (events[i].data.ptr == nullptr) {
                    stop = take_pending() || stop;
                } else {
                    serve(*static_cast<connection*>(events[i].data.ptr), events[i].events);
                }
            }
            if (stop) break;
        }
        for (auto& [fd, c] : conns_) {
            close(fd);
            info_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
        }
        conns_.clear();
    }

    // Registers the connections handed over; returns whether to stop.
    bool take_pending() {
        std::uint64_t count;
        ssize_t r = read(wake_fd_, &count, sizeof count);
        (void)r;
        std::vector<int> fds;
        bool stopping;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            fds.swap(pending_);
            stopping = stopping_;
        }
        for (int fd : fds) {
            auto c = std::make_unique<connection>();
            c->fd = fd;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = c.get();
            if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
                close(fd);
                continue;
            }
            info_.connected_clients.fetch_add(1, std::memory_order_relaxed);
            conns_.emplace(fd, std::move(c));
        }
        return stopping;
    }

    void serve(connection& c, std::uint32_t ev) {
        if ((ev & EPOLLOUT) && !send_pending(c)) return drop(c);
        if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c.closing && !receive(c)) return drop(c);
        bool stalled;
        do {  // while replies pile up but the socket takes them, go on
            stalled = process(c);
            if (!send_pending(c)) return drop(c);
        } while (stalled && c.out_sent == c.out.size());
        const bool flushed = c.out_sent == c.out.size();
        // After QUIT or a protocol error, or once the peer has shut down
        // (whatever it left unparsed is an incomplete request): done.
        if (flushed && (c.closing || c.eof)) return drop(c);
        const bool read_more = !c.closing && !c.eof && !stalled;
        watch(c,
              (flushed ? 0u : std::uint32_t{EPOLLOUT}) | (read_more ? std::uint32_t{EPOLLIN} : 0u));
    }

    // Reads what is there; false on an error that ends the connection.
    bool receive(connection& c) {
        if (c.in.size() - c.in_len < read_chunk) {
            c.in.resize(std::max(2 * c.in.size(), c.in_len + read_chunk));
        }
        const ssize_t r = read(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len);
        if (r > 0) {
            c.in_len += static_cast<std::size_t>(r);
        } else if (r == 0) {
            c.eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
            return false;
        }
        return true;
    }

    static bool backlogged(const connection& c) {
        return c.out.size() - c.out_sent > max_pending_output;
    }

    // Executes the complete requests in the input; returns true if it
    // stopped early because replies piled up.
    bool process(connection& c) {
        std::size_t pos = 0;
        bool stalled = false;
        while (!c.closing) {
            if (backlogged(c)) {
                stalled = true;
                break;
            }
            std::size_t used = 0;
            const char* error = nullptr;
            const std::string_view buf(c.in.data() + pos, c.in_len - pos);
            const parse_result r = c.parser.parse(buf, args_, used, error);
            if (r == parse_result::incomplete) {
                if (buf.size() > max_query_buffer) {
                    protocol_error(c, "Protocol error: request too large");
                }
                break;
            }
            if (r == parse_result::error) {
                protocol_error(c, error);
                break;
            }
            pos += used;
            if (!args_.empty() && !execute(args_, db_, info_, index_, c.out)) c.closing = true;
        }
        // Unparsed bytes move to the front: the views into them are gone.
        if (pos != 0) {
            std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
            c.in_len -= pos;
        }
        if (c.in_len == 0 && c.in.size() > shrink_above) std::vector<char>().swap(c.in);
        return stalled;
    }

    void protocol_error(connection& c, const char* what) {
        info_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        append_error(c.out, std::string("ERR ") + what);
        c.closing = true;  // the stream cannot be resynchronised
    }

    // Sends what it can; false on an error that ends the connection.
    bool send_pending(connection& c) {
        while (c.out_sent < c.out.size()) {
            const ssize_t r =
                send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
            if (r > 0) {
                c.out_sent += static_cast<std::size_t>(r);
            } else if (r < 0 && errno == EINTR) {
                continue;
            } else if (r < 0 && errno == EAGAIN) {
                return true;
            } else {
                return false;
            }
        }
        c.out.clear();
        c.out_sent = 0;
        if (c.out.capacity() > shrink_above) std::string().swap(c.out);
        return true;
    }

    void watch(connection& c, std::uint32_t events) {
        if (events == c.events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = &c;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
        c.events = events;
    }

    void drop(connection& c) {
        const int fd = c.fd;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        info_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
        conns_.erase(fd);  // destroys c
    }

    const unsigned index_;
    store& db_;
    server_info& info_;
    const int epfd_;
    const int wake_fd_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<int> pending_;  // under mutex_
    bool stopping_ = false;     // under mutex_
    std::unordered_map<int, std::unique_ptr<connection>> conns_;
    std::vector<std::string_view> args_;  // reused by every request
};

int listen_on(unsigned port, unsigned& bound) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 511) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        return -1;
    }
    bound = ntohs(addr.sin_port);
    return fd;
}

}  // namespace

int run_server(const server_options& opt, store& db) {
    // SIGTERM and SIGINT arrive through a descriptor: blocked in every
    // thread (the workers inherit the mask), read by the acceptor.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    const int sfd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);

    server_info info;
    info.store_name = db.name();
    info.threads =
        opt.threads != 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    info.started_ms = now_ms();
    info.commands = std::make_unique<worker_counter[]>(info.threads);
    const int lfd = listen_on(opt.port, info.port);
    if (lfd < 0 || sfd < 0) {
        std::fprintf(stderr, "kv_server: cannot listen on 127.0.0.1:%u: %s\n", opt.port,
                     std::strerror(errno));
        return 1;
    }
    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned i = 0; i < info.threads; ++i) {
        workers.push_back(std::make_unique<worker>(i, db, info));
        if (!workers.back()->ok()) {
            std::perror("kv_server: epoll");
            return 1;
        }
    }
    for (auto& w : workers)
        w->start();
    std::printf("kv_server: store %s, %u threads, listening on 127.0.0.1:%u\n", db.name(),
                info.threads, info.port);
    std::fflush(stdout);

    const int epfd = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = sfd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
    std::size_t next = 0;
    for (bool running = true; running;) {
        epoll_event events[2];
        const int n = epoll_wait(epfd, events, 2, -1);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == sfd) {
                running = false;
                continue;
            }
            for (;;) {
                const int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    if (errno == EMFILE || errno == ENFILE) {
                        // Out of descriptors: the backlog waits until some close.
                        std::perror("kv_server: accept");
                        usleep(10000);
                    }
                    break;
                }
                const int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                info.total_connections.fetch_add(1, std::memory_order_relaxed);
                workers[next++ % workers.size()]->adopt(fd);
            }
        }
    }
    close(lfd);
    for (auto& w : workers)
        w->stop();
    for (auto& w : workers)
        w->join();
    close(epfd);
    close(sfd);
    std::printf("kv_server: stopped\n");
    return 0;
}

}  // namespace kv
