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

#endif
