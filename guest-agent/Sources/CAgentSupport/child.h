// Pieces shared by the two ways a child is started (spawn.c: a plain fork into a chroot;
// container.c: a clone into new namespaces). Everything here runs between fork and exec
// and is async-signal-safe. Private to CAgentSupport.
#ifndef HULL_CHILD_H
#define HULL_CHILD_H

#include <sys/types.h>

#define HULL_HIDDEN __attribute__((visibility("hidden")))

/// Reports `stage` (with `index`, the entry of a list it concerns) and errno to the
/// agent through `report_fd`, then exits 127.
HULL_HIDDEN __attribute__((noreturn)) void hull_child_fail(int report_fd, int stage, int index);

/// Default dispositions for every signal and an empty mask (the agent ignores SIGPIPE,
/// and ignored signals stay ignored across exec). 0 or -1.
HULL_HIDDEN int hull_child_reset_signals(void);

/// Makes `in`, `out` and `err` the descriptors 0, 1 and 2, inheritable. 0 or -1.
HULL_HIDDEN int hull_child_install_stdio(int in, int out, int err);

/// execvp semantics over a candidate list; reports `exec_stage` on failure.
HULL_HIDDEN __attribute__((noreturn)) void hull_child_exec(const char *const *candidates, char *const *argv,
                                                           char *const *envp, int report_fd, int exec_stage);

/// Starts a child — a plain fork when `clone_flags` is 0, else a raw clone that also enters
/// new namespaces (the child is then PID 1 of its pid namespace) — that runs
/// `body(request, report[1])` and never returns. The parent closes report[1] and keeps
/// report[0] as *result_fd; on failure it closes both and returns -1 with errno kept.
HULL_HIDDEN pid_t hull_child_start(unsigned long clone_flags, int report[2],
                                   void (*body)(const void *request, int report_fd),
                                   const void *request, int *result_fd);

struct hull_container_request;

/// Bounding set, groups, gid, uid, capability sets and ambient capabilities of `r`
/// (container.c; exec.c uses it for processes joining a container).
HULL_HIDDEN void hull_child_become_user(const struct hull_container_request *r, int report);

/// Moves the calling process into the cgroup whose cgroup.procs is open as `procs_fd`
/// (writing "0" names the writer itself); nothing when it is -1. Reports
/// HULL_CONTAINER_STAGE_CGROUP on failure.
HULL_HIDDEN void hull_child_join_cgroup(int procs_fd, int report);

#endif
