// fork + exec of a process in the agent's namespaces, chrooted into a root when asked
// (a `start` without a runtime spec; container.c starts containers). Between fork and
// exec the child of a multi-threaded process may only make async-signal-safe calls: no
// malloc, no locks, no Swift. Everything the child needs was prepared by the parent.
#define _GNU_SOURCE
#include <sys/syscall.h>
#include "CAgentSupport.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

void hull_child_fail(int report_fd, int stage, int index) {
    struct hull_spawn_failure failure = { .stage = stage, .error = errno, .index = index };
    ssize_t n;
    do {
        n = write(report_fd, &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    _exit(127);
}

__attribute__((noreturn))
static void child_fail(int report_fd, int stage) {
    hull_child_fail(report_fd, stage, 0);
}

int hull_child_reset_signals(void) {
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&dfl.sa_mask);
    // The agent ignores SIGPIPE, and ignored signals stay ignored across exec.
    // sigaction fails for SIGKILL, SIGSTOP and glibc's internal signals: harmless.
    for (int s = 1; s < NSIG; s++) {
        (void)sigaction(s, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL);
}

// Puts the three stdio descriptors in place. A source below 3 could be overwritten by
// an earlier dup2, so such sources are first moved out of the way.
int hull_child_install_stdio(int in, int out, int err) {
    int fds[3] = { in, out, err };
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 3 && fds[i] != i) {
            fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (fds[i] < 0) return -1;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (fds[i] == i) {
            // dup2 onto itself keeps close-on-exec; clear it by hand.
            int flags = fcntl(i, F_GETFD);
            if (flags < 0 || fcntl(i, F_SETFD, flags & ~FD_CLOEXEC) < 0) return -1;
        } else if (dup2(fds[i], i) < 0) {
            return -1;
        }
    }
    return 0;
}

// The process's view of the filesystem: a plain chroot, for processes started without a
// runtime spec (diagnostics). Containers get namespaces and their own root in container.c.
static int enter_root(const char *root) {
    if (root == NULL) return 0;
    if (chroot(root) < 0) return -1;
    return chdir("/");
}

// Keeps looking past missing files and permission errors, reports EACCES if any
// candidate had it, stops at any other error.
void hull_child_exec(const char *const *candidates, char *const *argv, char *const *envp, int report_fd,
                     int exec_stage) {
    int saw_eacces = 0;
    int last_error = ENOENT;
    for (const char *const *c = candidates; *c != NULL; c++) {
        execve(*c, argv, envp);
        last_error = errno;
        switch (errno) {
        case EACCES:
            saw_eacces = 1;
            break;
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
        case ELOOP:
            break;
        default:
            hull_child_fail(report_fd, exec_stage, 0);
        }
    }
    errno = saw_eacces ? EACCES : last_error;
    hull_child_fail(report_fd, exec_stage, 0);
}

__attribute__((noreturn))
static void run_child(const struct hull_spawn_request *r, int report_fd) {
    if (hull_child_reset_signals() < 0) child_fail(report_fd, HULL_SPAWN_STAGE_SIGNALS);
    // Its own session and process group: signals and terminal job control stay
    // within the process tree, and the pgid equals the pid.
    if (setsid() < 0) child_fail(report_fd, HULL_SPAWN_STAGE_SETSID);
    if (r->terminal && ioctl(r->stdin_fd, TIOCSCTTY, 0) < 0) {
        child_fail(report_fd, HULL_SPAWN_STAGE_CONTROLLING_TERMINAL);
    }
    if (hull_child_install_stdio(r->stdin_fd, r->stdout_fd, r->stderr_fd) < 0) child_fail(report_fd, HULL_SPAWN_STAGE_STDIO);
    if (enter_root(r->root) < 0) child_fail(report_fd, HULL_SPAWN_STAGE_ROOT);
    if (r->hostname != NULL && sethostname(r->hostname, strlen(r->hostname)) < 0) {
        child_fail(report_fd, HULL_SPAWN_STAGE_HOSTNAME);
    }
    if (chdir(r->cwd) < 0) child_fail(report_fd, HULL_SPAWN_STAGE_CWD);
    // Descriptors the agent opened are close-on-exec already; this also covers any a
    // library opened without the flag. Failure (an old kernel) is not fatal.
    (void)hull_cloexec_from(3);
    hull_child_exec(r->candidates, r->argv, r->envp, report_fd, HULL_SPAWN_STAGE_EXEC);
}

pid_t hull_child_start(unsigned long clone_flags, int report[2],
                       void (*body)(const void *request, int report_fd),
                       const void *request, int *result_fd) {
    // A raw clone with only SIGCHLD is fork(); with CLONE_NEW* flags it also enters new
    // namespaces. (glibc's clone wrapper wants a separate stack; this shares nothing.)
    pid_t pid = clone_flags == 0 ? fork() : (pid_t)syscall(SYS_clone, clone_flags | SIGCHLD, NULL, NULL, NULL, 0UL);
    if (pid < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        body(request, report[1]);
    }
    close(report[1]);
    *result_fd = report[0];
    return pid;
}

static void spawn_body(const void *request, int report_fd) {
    run_child((const struct hull_spawn_request *)request, report_fd);
}

pid_t hull_spawn(const struct hull_spawn_request *request, int *result_fd) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) return -1;
    return hull_child_start(0, report, spawn_body, request, result_fd);
}

int hull_spawn_result(int result_fd, struct hull_spawn_failure *failure) {
    size_t got = 0;
    char *buffer = (char *)failure;
    while (got < sizeof *failure) {
        ssize_t n = read(result_fd, buffer + got, sizeof *failure - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            close(result_fd);
            errno = saved;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(result_fd);
    if (got == 0) return 0;  // the pipe closed on exec
    if (got < sizeof *failure) {
        failure->stage = HULL_SPAWN_STAGE_EXEC;
        failure->error = EIO;
    }
    return 1;
}

pid_t hull_wait_any_exited(void) {
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (info.si_pid != 0) return info.si_pid;
    }
}

int hull_reap(pid_t pid, int *exit_code, int *signal) {
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return r;
    if (WIFSIGNALED(status)) {
        *exit_code = -1;
        *signal = WTERMSIG(status);
    } else {
        *exit_code = WEXITSTATUS(status);
        *signal = -1;
    }
    return 1;
}

int hull_signal_terminal_process(pid_t pid, int pty_master, int signal) {
    int rc = kill(-pid, signal);
    int saved = errno;
    pid_t foreground = tcgetpgrp(pty_master);
    if (foreground > 0 && foreground != pid && kill(-foreground, signal) == 0) rc = 0;
    if (rc < 0) errno = saved;
    return rc;
}
