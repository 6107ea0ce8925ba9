// GNU/Linux calls HullRuntime needs that Swift's Glibc module does not export (they
// sit behind _GNU_SOURCE, or are variadic).
#ifndef CHULLRUNTIME_H
#define CHULLRUNTIME_H

#include <spawn.h>
#include <sys/socket.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become this process's children.
int hull_become_subreaper(void);

/// posix_spawn_file_actions_addclosefrom_np(actions, from): the child gets no other descriptor.
int hull_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

/// pipe2(fds, O_CLOEXEC)
int hull_pipe_cloexec(int fds[2]);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC)
int hull_accept_cloexec(int fd);

/// Enter the network namespace at `path` on the calling thread (open + setns(CLONE_NEWNET)).
/// Only that thread changes netns: call it on a thread that is discarded afterwards.
/// 0, or -errno (ENOENT: no such file; EINVAL: not a network namespace; EPERM: no CAP_SYS_ADMIN).
int hull_netns_enter(const char *path);

/// On a throwaway thread: enter the netns at `path`, make a non-blocking CLOEXEC socket of
/// `type` (SOCK_STREAM / SOCK_DGRAM) for `addr`'s family and connect it, waiting at most
/// `timeout_ms` for a stream connect. The socket keeps that netns after the thread leaves.
/// The connected fd, or -errno (ETIMEDOUT when the connect did not finish in time).
int hull_netns_dial(const char *path, int type, const struct sockaddr *addr, socklen_t len, int timeout_ms);

#endif
