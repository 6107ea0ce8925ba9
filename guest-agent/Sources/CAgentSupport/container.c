// clone + exec of a container: new namespaces, the container's own root with the
// runtime spec's mounts, then identity and confinement, in the order runc uses.
// The child of a multi-threaded process: async-signal-safe system calls only, no malloc,
// no stdio, and raw system calls for credentials (glibc's setuid would try to reach the
// agent's other threads, which the child does not have).
#define _GNU_SOURCE
#include "CAgentSupport.h"
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/// The tag of the one message that carries the terminal's master (failures are
/// `struct hull_spawn_failure`, a different size).
static const char console_tag = 'T';

// ---- helpers --------------------------------------------------------------------------

static int open_tree_clone(const char *path, int recursive) {
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    return (int)syscall(SYS_open_tree, AT_FDCWD, path, flags);
}

static int attach_tree(int tree, const char *target) {
    return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}

/// mkdir -p, the last component a directory or (is_file) an empty file. What it creates
/// gets `mode` and, when `chown_created`, the owner uid:gid. 0 or -1 with errno.
static int make_path(const char *path, mode_t mode, int is_file, int chown_created, uid_t uid, gid_t gid) {
    char buffer[4096];
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof buffer) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buffer, path, length + 1);
    for (size_t i = 1; i <= length; i++) {
        if (buffer[i] != '/' && buffer[i] != '\0') continue;
        int last = buffer[i] == '\0' || (buffer[i] == '/' && buffer[i + 1] == '\0');
        char saved = buffer[i];
        buffer[i] = '\0';
        int created = 0;
        if (last && is_file) {
            int fd = open(buffer, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
            if (fd >= 0) {
                close(fd);
                created = 1;
            } else if (errno != EEXIST) {
                return -1;
            }
        } else if (mkdir(buffer, mode) == 0) {
            created = 1;
        } else if (errno != EEXIST) {
            return -1;
        }
        if (created && chown_created && chown(buffer, uid, gid) < 0) return -1;
        buffer[i] = saved;
        if (last) break;
    }
    return 0;
}

/// The per-mount flags of the mount at `path`, to keep across a bind remount (which
/// replaces them all).
static unsigned long mount_flags_of(const char *path) {
    struct statfs info;
    if (statfs(path, &info) < 0) return 0;
    unsigned long flags = 0;
    if (info.f_flags & ST_NOSUID) flags |= MS_NOSUID;
    if (info.f_flags & ST_NODEV) flags |= MS_NODEV;
    if (info.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
    if (info.f_flags & ST_NOATIME) flags |= MS_NOATIME;
    if (info.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (info.f_flags & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

static int remount_read_only(const char *path) {
    return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of(path), NULL);
}

/// Decimal digits of `n` after `prefix` into `out` (no snprintf between fork and exec).
static void format_number(char *out, size_t size, const char *prefix, unsigned int n) {
    size_t p = strlen(prefix);
    if (p + 11 > size) {
        out[0] = '\0';
        return;
    }
    memcpy(out, prefix, p);
    char digits[11];
    int count = 0;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (count > 0) out[p++] = digits[--count];
    out[p] = '\0';
}

// ---- stages ---------------------------------------------------------------------------

/// Leaves the guest behind: the bind sources and the root filesystem are cloned, every
/// guest mount is detached from this namespace, the root is moved onto / and entered.
///
/// pivot_root(2) cannot work here: the guest's root is the initramfs, which has no parent
/// mount (EINVAL). Detaching every other mount first leaves the same shape pivot_root
/// would: the container's root is the only mount above the initramfs, which is made
/// read-only in this namespace (so a chroot escape finds only its files, unchangeable).
static void enter_container_root(const struct hull_container_request *r, int *bind_fds, int report) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_PROPAGATION, 0);
    }
    for (int i = 0; i < r->mount_count; i++) {
        bind_fds[i] = -1;
        if (!r->mounts[i].bind) continue;
        bind_fds[i] = open_tree_clone(r->mounts[i].source, r->mounts[i].bind == 2);
        if (bind_fds[i] < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_BIND_SOURCE, i);
    }
    int root = open_tree_clone(r->rootfs, 0);
    if (root < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_ROOTFS, 0);
    for (int i = 0; r->guest_mounts[i] != NULL; i++) {
        // EINVAL or ENOENT: gone already, with a mount it was below or hidden under.
        if (umount2(r->guest_mounts[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_DETACH, i);
        }
    }
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_GUEST_ROOT_READONLY, 0);
    }
    if (attach_tree(root, "/") < 0 || fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_ENTER_ROOT, 0);
    }
    close(root);
}

/// The spec's mounts, in order, resolved inside the new root (an image's symbolic links
/// cannot lead out of it).
static void mount_all(const struct hull_container_request *r, int *bind_fds, int report) {
    for (int i = 0; i < r->mount_count; i++) {
        const struct hull_container_mount *m = &r->mounts[i];
        if (make_path(m->destination, 0755, m->is_file, 0, 0, 0) < 0) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_MOUNT_POINT, i);
        }
        if (m->bind) {
            if (attach_tree(bind_fds[i], m->destination) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_MOUNT, i);
            close(bind_fds[i]);
            if (m->flags != 0 && mount(NULL, m->destination, NULL, MS_BIND | MS_REMOUNT | m->flags, NULL) < 0) {
                hull_child_fail(report, HULL_CONTAINER_STAGE_MOUNT_FLAGS, i);
            }
        } else if (mount(m->source, m->destination, m->type, m->flags, m->data) < 0) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_MOUNT, i);
        }
        if (m->propagation != 0 && mount(NULL, m->destination, NULL, m->propagation, NULL) < 0) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_MOUNT_PROPAGATION, i);
        }
    }
}

static const struct {
    const char *path;
    unsigned int major;
    unsigned int minor;
} standard_devices[] = {
    { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
    { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
    const char *link;
    const char *target;
} standard_links[] = {
    { "/dev/ptmx", "pts/ptmx" }, { "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
    { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" }, { "/dev/core", "/proc/kcore" },
};

/// What runc puts in a fresh /dev: the device nodes every program may open, and links.
/// Errors index the devices, then the links after them.
static void populate_dev(int report) {
    int devices = (int)(sizeof standard_devices / sizeof standard_devices[0]);
    for (int i = 0; i < devices; i++) {
        dev_t number = makedev(standard_devices[i].major, standard_devices[i].minor);
        if (mknod(standard_devices[i].path, S_IFCHR | 0666, number) < 0 && errno != EEXIST) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_DEVICE, i);
        }
    }
    for (int i = 0; i < (int)(sizeof standard_links / sizeof standard_links[0]); i++) {
        // /dev/ptmx may exist as a node: the container's terminals live in its own devpts.
        if (i == 0) (void)unlink(standard_links[i].link);
        if (symlink(standard_links[i].target, standard_links[i].link) < 0 && errno != EEXIST) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_DEVICE, devices + i);
        }
    }
}

static void write_sysctls(const struct hull_container_request *r, int report) {
    for (int i = 0; i < r->sysctl_count; i++) {
        int fd = open(r->sysctl_paths[i], O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SYSCTL, i);
        size_t length = strlen(r->sysctl_values[i]);
        ssize_t n;
        do {
            n = write(fd, r->sysctl_values[i], length);
        } while (n < 0 && errno == EINTR);
        if (n < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SYSCTL, i);
        close(fd);
    }
}

/// maskedPaths: /dev/null over files, an empty read-only tmpfs over directories;
/// readonlyPaths: a read-only bind of the path onto itself. Missing paths are skipped.
static void confine_paths(const struct hull_container_request *r, int report) {
    for (int i = 0; i < r->masked_count; i++) {
        const char *path = r->masked_paths[i];
        struct stat info;
        if (stat(path, &info) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;
            hull_child_fail(report, HULL_CONTAINER_STAGE_MASK, i);
        }
        int rc = S_ISDIR(info.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                                       : mount("/dev/null", path, NULL, MS_BIND, NULL);
        if (rc < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_MASK, i);
    }
    for (int i = 0; i < r->readonly_count; i++) {
        const char *path = r->readonly_paths[i];
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;
            hull_child_fail(report, HULL_CONTAINER_STAGE_READONLY_PATH, i);
        }
        if (remount_read_only(path) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_READONLY_PATH, i);
    }
}

static int send_descriptor(int socket_fd, int fd) {
    char tag = console_tag;
    struct iovec part = { .iov_base = &tag, .iov_len = 1 };
    union {
        char bytes[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {
        .msg_iov = &part, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes,
    };
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    ssize_t n;
    do {
        n = sendmsg(socket_fd, &message, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/// The terminal comes from the container's own devpts (so `tty` names it and /dev/console
/// is it, as with runc); its master goes to the agent.
static void setup_console(const struct hull_container_request *r, int report) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
    int unlock = 0;
    unsigned int number = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
    }
    char slave_path[32];
    format_number(slave_path, sizeof slave_path, "/dev/pts/", number);
    int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
    if (r->rows != 0 && r->columns != 0) {
        struct winsize size = { .ws_row = r->rows, .ws_col = r->columns };
        if (ioctl(master, TIOCSWINSZ, &size) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
    }
    // The user's own terminal, as login(1) would leave it (devpts gave it group tty).
    if (fchown(slave, r->uid, (gid_t)-1) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
    if (send_descriptor(report, master) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE_SEND, 0);
    close(master);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CONTROLLING_TERMINAL, 0);
    if (hull_child_install_stdio(slave, slave, slave) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_STDIO, 0);
    close(slave);
    if (r->populate_dev) {
        if (make_path("/dev/console", 0600, 1, 0, 0, 0) < 0 || mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_CONSOLE, 0);
        }
    }
}

static int set_capabilities(const struct hull_container_request *r) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    for (int word = 0; word < 2; word++) {
        data[word].effective = (unsigned int)(r->cap_effective >> (32 * word));
        data[word].permitted = (unsigned int)(r->cap_permitted >> (32 * word));
        data[word].inheritable = (unsigned int)(r->cap_inheritable >> (32 * word));
    }
    return (int)syscall(SYS_capset, &header, data);
}

/// Bounding set, user and groups, then the remaining capability sets (runc's order: the
/// bounding set needs CAP_SETPCAP, and keep-caps carries the permitted set across setuid).
void hull_child_become_user(const struct hull_container_request *r, int report) {
    for (int cap = 0; cap <= r->cap_last && cap < 64; cap++) {
        if (r->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_BOUNDING, cap);
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_KEEP_CAPABILITIES, 0);
    if (syscall(SYS_setgroups, r->group_count, r->groups) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_GROUPS, 0);
    if (syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_GID, 0);
    if (syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_UID, 0);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_KEEP_CAPABILITIES, 0);
    if (set_capabilities(r) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CAPABILITIES, 0);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_AMBIENT, -1);
    }
    for (int cap = 0; cap <= r->cap_last && cap < 64; cap++) {
        if (!(r->cap_ambient & (1ULL << cap))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            hull_child_fail(report, HULL_CONTAINER_STAGE_AMBIENT, cap);
        }
    }
}

void hull_child_join_cgroup(int procs_fd, int report) {
    if (procs_fd < 0) return;
    ssize_t n;
    do {
        n = write(procs_fd, "0", 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CGROUP, 0);
}

__attribute__((noreturn))
static void run_container(const struct hull_container_request *r, int report) {
    int bind_fds[HULL_CONTAINER_MAX_MOUNTS];
    // First: everything the child does from here on counts against the container's limits.
    hull_child_join_cgroup(r->cgroup_procs_fd, report);
    if (hull_child_reset_signals() < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SIGNALS, 0);
    // Device nodes and mount points get exactly the modes asked for; the spec's umask
    // applies to the process.
    umask(0);
    // Its own session: the pgid is the pid, which is what the agent signals.
    if (setsid() < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_SETSID, 0);
    if (!r->console && hull_child_install_stdio(r->stdin_fd, r->stdout_fd, r->stderr_fd) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_STDIO, 0);
    }
    enter_container_root(r, bind_fds, report);
    mount_all(r, bind_fds, report);
    if (r->populate_dev) populate_dev(report);
    write_sysctls(r, report);
    confine_paths(r, report);
    if (r->hostname != NULL && sethostname(r->hostname, strlen(r->hostname)) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_HOSTNAME, 0);
    }
    if (r->console) setup_console(r, report);
    // Docker creates a missing working directory; here it belongs to the user.
    if (make_path(r->cwd, 0755, 0, 1, r->uid, r->gid) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CWD_CREATE, 0);
    if (chdir(r->cwd) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_CWD, 0);
    if (r->readonly_root && remount_read_only("/") < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_ROOT_READONLY, 0);
    for (int i = 0; i < r->rlimit_count; i++) {
        struct rlimit limit = { .rlim_cur = r->rlimits[i].soft, .rlim_max = r->rlimits[i].hard };
        if (setrlimit(r->rlimits[i].resource, &limit) < 0) hull_child_fail(report, HULL_CONTAINER_STAGE_RLIMIT, i);
    }
    if (r->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        hull_child_fail(report, HULL_CONTAINER_STAGE_NO_NEW_PRIVILEGES, 0);
    }
    hull_child_become_user(r, report);
    umask(r->umask);
    (void)hull_cloexec_from(3);
    hull_child_exec(r->candidates, r->argv, r->envp, report, HULL_CONTAINER_STAGE_EXEC);
}

static void container_body(const void *request, int report_fd) {
    run_container((const struct hull_container_request *)request, report_fd);
}

pid_t hull_spawn_container(const struct hull_container_request *request, int *result_fd) {
    if (request->mount_count < 0 || request->mount_count > HULL_CONTAINER_MAX_MOUNTS) {
        errno = E2BIG;
        return -1;
    }
    // Datagrams keep the failure record and the terminal's master apart; the agent's
    // end reads end-of-file once the exec closed the child's end.
    int report[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, report) < 0) return -1;
    return hull_child_start((unsigned long)request->clone_flags, report, container_body, request, result_fd);
}

int hull_container_result(int result_fd, struct hull_spawn_failure *failure, int *console_fd) {
    *console_fd = -1;
    int outcome = 0;
    for (;;) {
        struct hull_spawn_failure record;
        struct iovec part = { .iov_base = &record, .iov_len = sizeof record };
        union {
            char bytes[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr message = {
            .msg_iov = &part, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes,
        };
        ssize_t n = recvmsg(result_fd, &message, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            outcome = -1;
            break;
        }
        if (n == 0) break;  // exec'd (or a failure was already read)
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        if (header != NULL && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(header), sizeof fd);
            if (*console_fd >= 0) close(*console_fd);
            *console_fd = fd;
        }
        if (n == 1 && *(const char *)&record == console_tag) continue;
        if ((size_t)n == sizeof record) {
            *failure = record;
        } else {
            failure->stage = HULL_CONTAINER_STAGE_EXEC;
            failure->error = EIO;
            failure->index = 0;
        }
        outcome = 1;
    }
    int saved = errno;
    if (outcome != 0 && *console_fd >= 0) {
        close(*console_fd);
        *console_fd = -1;
    }
    close(result_fd);
    errno = saved;
    return outcome;
}
