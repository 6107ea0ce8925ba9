// System calls the guest agent makes that Swift cannot make safely or at all: the code
// between fork and exec (only async-signal-safe calls are allowed there), variadic
// ioctl/syscall, wait status macros and the AF_VSOCK socket address.
#ifndef HULL_CAGENTSUPPORT_H
#define HULL_CAGENTSUPPORT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- process start ------------------------------------------------------------------

/// Where the child stopped before it could exec. The agent turns the stage and the
/// errno into the error text of the `start` response.
enum hull_spawn_stage {
    HULL_SPAWN_STAGE_SIGNALS = 1,
    HULL_SPAWN_STAGE_SETSID = 2,
    HULL_SPAWN_STAGE_CONTROLLING_TERMINAL = 3,
    HULL_SPAWN_STAGE_STDIO = 4,
    HULL_SPAWN_STAGE_ROOT = 5,
    HULL_SPAWN_STAGE_HOSTNAME = 6,
    HULL_SPAWN_STAGE_CWD = 7,
    HULL_SPAWN_STAGE_EXEC = 8,
};

/// Everything the child needs, prepared by the parent so the child allocates nothing.
struct hull_spawn_request {
    /// Paths to try with execve, in order (the PATH search was done by the parent);
    /// NULL-terminated.
    const char *const *candidates;
    char *const *argv;  // NULL-terminated
    char *const *envp;  // NULL-terminated; the process's whole environment
    /// Directory to make the process's root (chroot today; pivot_root with namespaces
    /// later), or NULL to keep the agent's root.
    const char *root;
    const char *cwd;
    /// NULL keeps the current hostname.
    const char *hostname;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Non-zero: stdin_fd is a pty slave that becomes the controlling terminal.
    int terminal;
};

struct hull_spawn_failure {
    int stage;  // enum hull_spawn_stage
    int error;  // errno
};

/// Forks a child that applies `request` and execs. Returns the child's pid and stores in
/// `*result_fd` the read end of a close-on-exec pipe: `hull_spawn_result` on it tells
/// whether the exec succeeded. Returns -1 with errno set when no child was created.
pid_t hull_spawn(const struct hull_spawn_request *request, int *result_fd);

/// Blocks until the child started by `hull_spawn` has exec'd (returns 0) or failed
/// (returns 1 and fills `*failure`). Closes `result_fd`. Returns -1 with errno on a read
/// error.
int hull_spawn_result(int result_fd, struct hull_spawn_failure *failure);

// ---- children -----------------------------------------------------------------------

/// Blocks until some child has exited and returns its pid without reaping it, so the pid
/// cannot be reused before the caller has recorded it. -1 with errno (ECHILD: no children).
pid_t hull_wait_any_exited(void);

/// Reaps `pid` (which must have exited). Returns 1 and fills either `*exit_code` (>= 0,
/// `*signal` = -1) or `*signal` (`*exit_code` = -1); returns 0 if it has not exited, -1
/// with errno on error.
int hull_reap(pid_t pid, int *exit_code, int *signal);

/// Signals a terminal process: its own process group (it is a session leader) and the
/// terminal's foreground process group when that differs. Returns 0 or -1 with errno.
int hull_signal_terminal_process(pid_t pid, int pty_master, int signal);

// ---- terminals ----------------------------------------------------------------------

/// Opens a pseudo-terminal pair, both ends close-on-exec and the slave not becoming our
/// controlling terminal; sets the window size when rows and columns are non-zero.
/// Returns 0 or -1 with errno.
int hull_open_pty(int *master, int *slave, unsigned short rows, unsigned short columns);

/// TIOCSWINSZ. Returns 0 or -1 with errno.
int hull_set_window_size(int fd, unsigned short rows, unsigned short columns);

// ---- system -------------------------------------------------------------------------

/// finit_module(2) with no parameters. Returns 0 or -1 with errno.
int hull_finit_module(int fd);

/// sync(2), then reboot(RB_POWER_OFF). Returns only on failure (-1 with errno).
int hull_power_off(void);

/// Listens on AF_VSOCK `port` for any CID and accepts one connection, which it returns
/// (close-on-exec); -1 with errno on failure.
int hull_vsock_accept_one(unsigned int port);

/// pipe2(O_CLOEXEC) (Swift's Glibc module does not see the GNU-only pipe2). 0 or -1.
int hull_pipe_cloexec(int fds[2]);

/// Names the calling thread (at most 15 bytes are kept), for ps and debuggers.
void hull_set_thread_name(const char *name);

/// Marks every descriptor from `first` up close-on-exec (close_range); 0 or -1 with errno.
int hull_cloexec_from(int first);

#ifdef __cplusplus
}
#endif

#endif
