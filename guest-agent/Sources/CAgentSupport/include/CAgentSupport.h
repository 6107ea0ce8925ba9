// System calls the guest agent makes that Swift cannot make safely or at all: the code
// between fork and exec (only async-signal-safe calls are allowed there), variadic
// ioctl/syscall, wait status macros and the AF_VSOCK socket address.
#ifndef HULL_CAGENTSUPPORT_H
#define HULL_CAGENTSUPPORT_H

#include <sys/types.h>
#include <stdint.h>

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
    int stage;  // enum hull_spawn_stage, or enum hull_container_stage
    int error;  // errno
    int index;  // which entry of a list the stage concerns (a mount, a path, a capability)
};

/// Forks a child that applies `request` and execs. Returns the child's pid and stores in
/// `*result_fd` the read end of a close-on-exec pipe: `hull_spawn_result` on it tells
/// whether the exec succeeded. Returns -1 with errno set when no child was created.
pid_t hull_spawn(const struct hull_spawn_request *request, int *result_fd);

/// Blocks until the child started by `hull_spawn` has exec'd (returns 0) or failed
/// (returns 1 and fills `*failure`). Closes `result_fd`. Returns -1 with errno on a read
/// error.
int hull_spawn_result(int result_fd, struct hull_spawn_failure *failure);

// ---- container start ----------------------------------------------------------------

/// Where a container's child stopped before it could exec; `index` in the failure names
/// the entry of the list concerned (marked "[i]").
enum hull_container_stage {
    HULL_CONTAINER_STAGE_SIGNALS = 1,
    HULL_CONTAINER_STAGE_SETSID,
    HULL_CONTAINER_STAGE_STDIO,
    HULL_CONTAINER_STAGE_PROPAGATION,           // making every mount private
    HULL_CONTAINER_STAGE_BIND_SOURCE,           // [mount] cloning a bind mount's source
    HULL_CONTAINER_STAGE_ROOTFS,                // cloning the root filesystem's mount
    HULL_CONTAINER_STAGE_DETACH,                // [guest mount] unmounting the guest's mounts
    HULL_CONTAINER_STAGE_GUEST_ROOT_READONLY,   // making the guest's own root read-only here
    HULL_CONTAINER_STAGE_ENTER_ROOT,            // moving the root onto / and chroot
    HULL_CONTAINER_STAGE_MOUNT_POINT,           // [mount] creating the mount point
    HULL_CONTAINER_STAGE_MOUNT,                 // [mount]
    HULL_CONTAINER_STAGE_MOUNT_FLAGS,           // [mount] remount of a bind with its flags
    HULL_CONTAINER_STAGE_MOUNT_PROPAGATION,     // [mount]
    HULL_CONTAINER_STAGE_DEVICE,                // [device] populating /dev
    HULL_CONTAINER_STAGE_SYSCTL,                // [sysctl]
    HULL_CONTAINER_STAGE_MASK,                  // [masked path]
    HULL_CONTAINER_STAGE_READONLY_PATH,         // [read-only path]
    HULL_CONTAINER_STAGE_HOSTNAME,
    HULL_CONTAINER_STAGE_CONSOLE,               // creating the terminal in the container
    HULL_CONTAINER_STAGE_CONSOLE_SEND,          // handing its master to the agent
    HULL_CONTAINER_STAGE_CONTROLLING_TERMINAL,
    HULL_CONTAINER_STAGE_CWD_CREATE,
    HULL_CONTAINER_STAGE_CWD,
    HULL_CONTAINER_STAGE_ROOT_READONLY,
    HULL_CONTAINER_STAGE_RLIMIT,                // [rlimit]
    HULL_CONTAINER_STAGE_NO_NEW_PRIVILEGES,
    HULL_CONTAINER_STAGE_BOUNDING,              // [capability number]
    HULL_CONTAINER_STAGE_KEEP_CAPABILITIES,
    HULL_CONTAINER_STAGE_GROUPS,
    HULL_CONTAINER_STAGE_GID,
    HULL_CONTAINER_STAGE_UID,
    HULL_CONTAINER_STAGE_CAPABILITIES,
    HULL_CONTAINER_STAGE_AMBIENT,               // [capability number; -1 clearing the set]
    HULL_CONTAINER_STAGE_EXEC,
    HULL_CONTAINER_STAGE_JOIN_NAMESPACE,        // [namespace] exec: setns into the container's
    HULL_CONTAINER_STAGE_CGROUP,                // joining the container's cgroup (its limits)
};

/// At most this many mounts per container (the child keeps one descriptor per mount on
/// its stack).
#define HULL_CONTAINER_MAX_MOUNTS 128

/// One entry of the spec's `mounts`, translated by the agent.
struct hull_container_mount {
    const char *destination;  // absolute, inside the container
    const char *type;         // mount(2)'s filesystem type; unused for binds
    const char *source;       // for a bind: a path in the guest
    unsigned long flags;      // MS_* (for a bind: applied by a remount when non-zero)
    const char *data;         // NULL or the filesystem's comma-separated options
    int bind;                 // 0, 1 (bind) or 2 (rbind: with the mounts below the source)
    unsigned long propagation;  // 0, or MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [| MS_REC]
    int is_file;              // the mount point is a file (a bind of a non-directory)
};

struct hull_container_rlimit {
    int resource;  // RLIMIT_*
    unsigned long long soft;
    unsigned long long hard;
};

/// A container: new namespaces, its own root with the spec's mounts, identity and
/// confinement. Everything is prepared by the agent; the child only makes system calls.
struct hull_container_request {
    const char *const *candidates;  // paths to execve in order, searched inside the root
    char *const *argv;
    char *const *envp;
    int clone_flags;                // CLONE_NEW* (never CLONE_NEWUSER)
    const char *rootfs;             // where the container's root filesystem is mounted in the guest
    const char *const *guest_mounts;  // NULL-terminated: the guest's mounts directly on its root
    const struct hull_container_mount *mounts;
    int mount_count;
    int populate_dev;               // a tmpfs went on /dev: create the standard nodes and links
    const char *const *sysctl_paths;   // under /proc/sys
    const char *const *sysctl_values;
    int sysctl_count;
    const char *const *masked_paths;
    int masked_count;
    const char *const *readonly_paths;
    int readonly_count;
    const char *hostname;           // NULL keeps it
    int readonly_root;
    const char *cwd;
    const struct hull_container_rlimit *rlimits;
    int rlimit_count;
    unsigned int umask;
    int no_new_privileges;
    unsigned int uid;
    unsigned int gid;
    const unsigned int *groups;     // supplementary groups
    int group_count;
    unsigned long long cap_bounding;
    unsigned long long cap_effective;
    unsigned long long cap_permitted;
    unsigned long long cap_inheritable;
    unsigned long long cap_ambient;
    int cap_last;                   // the highest capability the kernel knows
    int stdin_fd;                   // unused with `console`
    int stdout_fd;
    int stderr_fd;
    /// Non-zero: create the process's terminal in the container's own /dev/ptmx, make it
    /// the controlling terminal and stdio, and send its master to the agent.
    int console;
    unsigned short rows;
    unsigned short columns;
    /// The container's cgroup.procs (v2), open for writing, or -1: the child moves itself
    /// there first thing, so its limits hold before it runs anything of the image.
    int cgroup_procs_fd;
};

/// Clones a child into the requested namespaces (it is PID 1 of a new pid namespace)
/// that sets up the container and execs. Returns its pid (in the agent's namespace) and
/// stores in `*result_fd` the agent's end of the report channel for
/// `hull_container_result`. -1 with errno when no child was created.
pid_t hull_spawn_container(const struct hull_container_request *request, int *result_fd);

/// Blocks until the container's child has exec'd (returns 0, with the terminal's master
/// in `*console_fd` when one was asked for, else -1) or failed (returns 1 and fills
/// `*failure`). Closes `result_fd`. -1 with errno on a read error.
int hull_container_result(int result_fd, struct hull_spawn_failure *failure, int *console_fd);

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

/// openat2(RESOLVE_IN_ROOT): opens `path` for reading as if `root_fd` were /, so that
/// symbolic links in an image cannot lead out of it. -1 with errno.
int hull_open_in_root(int root_fd, const char *path);

/// `exec`: a process joining a running container. `container` carries this process's
/// candidates, argv, envp, cwd, stdio and the container's identity and capabilities; the
/// child joins the namespaces in `ns_fds` (opened from /proc/PID/ns, the mount namespace
/// last), enters the container's root through `root_fd` (/proc/PID/root), becomes the
/// container's user and execs. The caller has put itself into the container's pid
/// namespace for children (setns CLONE_NEWPID) around this call.
struct hull_exec_request {
    const struct hull_container_request *container;
    const int *ns_fds;
    int ns_count;
    int root_fd;
    int terminal;  // stdin is a terminal to make the controlling one
    int pid_ns_fd;      // the container's pid namespace: the child is born in it
    int own_pid_ns_fd;  // the agent's, restored for this thread afterwards
};

/// Sets this thread's namespace for children to the container's pid namespace, forks
/// the child and sets it back (pid namespaces for children are per thread).
pid_t hull_spawn_exec(const struct hull_exec_request *request, int *result_fd);

// ---- network (network.c) -------------------------------------------------------------
// Addresses in network byte order. Each returns 0 or -1 with errno.

/// SIOCSIFFLAGS with IFF_UP added to the interface's flags.
int hull_net_link_up(const char *name);
/// SIOCSIFMTU.
int hull_net_set_mtu(const char *name, int mtu);
/// SIOCSIFADDR, then SIOCSIFNETMASK (the kernel derives the broadcast address).
int hull_net_set_address(const char *name, uint32_t address, uint32_t netmask);
/// SIOCADDRT: 0.0.0.0/0 via `gateway` on `name`.
int hull_net_add_default_route(const char *name, uint32_t gateway);

/// open(2) of a directory with O_PATH | O_DIRECTORY | O_CLOEXEC (O_PATH is not visible to Swift).
int hull_open_directory_path(const char *path);

#ifdef __cplusplus
}
#endif

#endif
