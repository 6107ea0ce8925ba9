#define _GNU_SOURCE
#include "CHullRuntime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

int hull_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int hull_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int hull_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int hull_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int hull_netns_enter(const char *path) {
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) return -errno;
    int rc = setns(ns, CLONE_NEWNET);
    int err = errno;
    close(ns);
    return rc == 0 ? 0 : -err;
}

int hull_netns_dial(const char *path, int type, const struct sockaddr *addr, socklen_t len, int timeout_ms) {
    int rc = hull_netns_enter(path);
    if (rc < 0) return rc;
    int fd = socket(addr->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, addr, len) == 0) return fd;
    int err = errno;
    if (err == EINPROGRESS) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int n;
        do { n = poll(&p, 1, timeout_ms); } while (n < 0 && errno == EINTR);
        if (n == 0) {
            err = ETIMEDOUT;
        } else if (n < 0) {
            err = errno;
        } else {
            socklen_t elen = sizeof(err);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) err = errno;
            if (err == 0) return fd;
        }
    }
    close(fd);
    return -err;
}
