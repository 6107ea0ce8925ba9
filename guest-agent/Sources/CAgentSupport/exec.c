// `exec` into a running container: join its namespaces and root, take on its user and
// capabilities, exec. As in spawn.c, the child only makes async-signal-safe calls.
#define _GNU_SOURCE
#include "CAgentSupport.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int hull_cloexec_from(int lowest);

__attribute__((noreturn))
static void exec_body(const void *request, int report) {
    const struct hull_exec_request *x = request;
    const struct hull_container_request *r = x->container;
    hull_child_join_cgroup(r->cgroup_procs_fd, report);
    if (hull_child_reset_signals() < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SIGNALS, 0);
    umask(r->umask);
    if (setsid() < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SETSID, 0);
    if (x->terminal && ioctl(r->stdin_fd, TIOCSCTTY, 0) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_CONTROLLING_TERMINAL, 0);
    }
    if (hull_child_install_stdio(r->stdin_fd, r->stdout_fd, r->stderr_fd) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_STDIO, 0);
    }
    for (int i = 0; i < x->ns_count; i++) {
        if (setns(x->ns_fds[i], 0) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_JOIN_NAMESPACE, i);
    }
    // Joining the mount namespace put us at its bottom root; the container's root is
    // mounted over it, and reached through the container process's own root.
    if (fchdir(x->root_fd) < 0 || chroot(".") < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_ENTER_ROOT, 0);
    if (chdir(r->cwd) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CWD, 0);
    if (r->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_NO_NEW_PRIVILEGES, 0);
    }
    hull_child_become_user(r, report);
    (void)hull_cloexec_from(3);
    hull_child_exec(r->candidates, r->argv, r->envp, report, HULL_CONTAINER_STAGE_EXEC);
}

pid_t hull_spawn_exec(const struct hull_exec_request *request, int *result_fd) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) return -1;
    if (setns(request->pid_ns_fd, CLONE_NEWPID) < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        errno = saved;
        return -1;
    }
    pid_t pid = hull_child_start(0, report, exec_body, request, result_fd);
    int saved = errno;
    (void)setns(request->own_pid_ns_fd, CLONE_NEWPID);
    errno = saved;
    return pid;
}

int hull_open_directory_path(const char *path) {
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}
