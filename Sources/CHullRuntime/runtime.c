#define _GNU_SOURCE
#include "CHullRuntime.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

int hull_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int hull_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int hull_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int hull_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }
