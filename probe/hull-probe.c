/*
 * hull-probe: what a workload can see and do from where it runs. Static, no library
 * beyond libc, so it runs in any image, in a guest and under gVisor alike.
 *
 *   hull-probe                 report, one "key: value" per line (hull probe reads it)
 *   hull-probe --hello         print "hello" and exit (cold start to first output)
 *   hull-probe --syscalls N    N getppid() system calls; prints "syscalls: N ns-per-call: X"
 *   hull-probe --fileio N      N times create, write 4 KiB, read back, unlink, in the
 *                              current directory (the container's rootfs)
 *   hull-probe --idle          print "ready", then sleep until killed (memory figures)
 *
 * The report compares with the host through two variables hull sets:
 *   HULL_HOST_KERNEL   the host's `uname -r`
 *   HULL_HOST_BOOT_ID  the host's /proc/sys/kernel/random/boot_id (one per running kernel)
 *   HULL_HOST_PID      a process on the host (hull itself), to see if host PIDs show
 *
 * Nothing here writes outside its own scratch file, and every attempt that could
 * change the system is one that fails harmlessly when allowed (an empty module image,
 * reading devices, a mknod of /dev/null's numbers in /tmp that is removed at once).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void line(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(const char *key, const char *fmt, ...) {
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    for (char *p = value; *p; p++) if (*p == '\n') *p = ' ';
    printf("%s: %s\n", key, value);
}

/* "ok" or the errno's name, e.g. EPERM. */
static const char *outcome(int rc) {
    static char buf[64];
    if (rc >= 0) return "ok";
    const char *name = strerrorname_np(errno);
    snprintf(buf, sizeof buf, "%s", name ? name : "error");
    return buf;
}

static int read_text(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    int saved = errno;
    close(fd);
    if (n < 0) { errno = saved; return -1; }
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
    return (int)n;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report_kernel(void) {
    struct utsname u;
    uname(&u);
    line("kernel", "%s", u.release);
    const char *host = getenv("HULL_HOST_KERNEL");
    const char *host_boot = getenv("HULL_HOST_BOOT_ID");
    char boot[64] = "";
    int have_boot = read_text("/proc/sys/kernel/random/boot_id", boot, sizeof boot) > 0;
    const char *same;
    if (host_boot && have_boot) same = strcmp(host_boot, boot) == 0 ? "yes" : "no";
    else if (host) same = strcmp(host, u.release) == 0 ? "yes (release only)" : "no";
    else same = "unknown";
    line("kernel same as host", "%s", same);
    line("kernel exploit lands in", "%s",
         strncmp(same, "yes", 3) == 0 ? "host kernel"
         : strcmp(same, "no") == 0 ? "not the host kernel" : "unknown");
}

static void report_pids(void) {
    DIR *d = opendir("/proc");
    int count = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) if (e->d_name[0] >= '1' && e->d_name[0] <= '9') count++;
        closedir(d);
    }
    line("pids visible", "%d", count);
    line("own pid", "%d", getpid());
    const char *host_pid = getenv("HULL_HOST_PID");
    if (host_pid) {
        char path[64], cmd[256];
        snprintf(path, sizeof path, "/proc/%s/cmdline", host_pid);
        int n = read_text(path, cmd, sizeof cmd);
        line("host pids visible", "%s", n > 0 && strstr(cmd, "hull") ? "yes" : "no");
    }
}

static void report_mounts(void) {
    FILE *f = fopen("/proc/self/mountinfo", "re");
    int count = 0;
    char buf[1024], rootfs[64] = "?";
    while (f && fgets(buf, sizeof buf, f)) {
        count++;
        /* id parent major:minor root mountpoint options... - fstype source */
        char mountpoint[512];
        if (sscanf(buf, "%*s %*s %*s %*s %511s", mountpoint) == 1 && strcmp(mountpoint, "/") == 0) {
            char *dash = strstr(buf, " - ");
            if (dash) sscanf(dash + 3, "%63s", rootfs);
        }
    }
    if (f) fclose(f);
    line("mounts visible", "%d", count);
    line("root filesystem", "%s", rootfs);
}

static void report_network(void) {
    DIR *d = opendir("/sys/class/net");
    char names[256] = "";
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            if (names[0]) strncat(names, ",", sizeof names - strlen(names) - 1);
            strncat(names, e->d_name, sizeof names - strlen(names) - 1);
        }
        closedir(d);
    } else {
        /* gVisor has no /sys/class/net: /proc/net/dev lists the interfaces. */
        FILE *f = fopen("/proc/net/dev", "re");
        char buf[256];
        while (f && fgets(buf, sizeof buf, f)) {
            char *colon = strchr(buf, ':');
            if (!colon) continue;
            *colon = 0;
            char *name = buf;
            while (*name == ' ') name++;
            if (names[0]) strncat(names, ",", sizeof names - strlen(names) - 1);
            strncat(names, name, sizeof names - strlen(names) - 1);
        }
        if (f) fclose(f);
    }
    line("network interfaces", "%s", names[0] ? names : "none");
}

static void report_exposure(void) {
    char buf[4096];
    int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        line("/proc/kcore", "%s", outcome(-1));
    } else {
        ssize_t n = read(fd, buf, sizeof buf);
        line("/proc/kcore", "%s", n > 0 ? "readable" : n == 0 ? "empty (masked)" : outcome(-1));
        close(fd);
    }
    DIR *d = opendir("/sys/firmware");
    if (!d) {
        line("/sys/firmware", "%s", outcome(-1));
    } else {
        int entries = 0;
        struct dirent *e;
        while ((e = readdir(d))) if (e->d_name[0] != '.') entries++;
        closedir(d);
        line("/sys/firmware", "%d entries", entries);
    }
    fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
    line("/proc/sysrq-trigger writable", "%s", fd >= 0 ? "yes" : outcome(-1));
    if (fd >= 0) close(fd);  /* opened only; nothing written */
}

static void report_kernel_interfaces(void) {
    /* An empty image: refused for want of privilege (EPERM), or looked at and found bad
     * (ENOEXEC/EINVAL: loading would have been allowed), or not offered at all (ENOSYS). */
    long rc = syscall(SYS_init_module, "", 0UL, "");
    line("kernel module load", "%s", rc == 0 ? "ok" : outcome(-1));
    char log[4096];
    int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof log);
    if (n >= 0) line("dmesg", "readable (%d bytes)", n);
    else line("dmesg", "%s", outcome(-1));
}

static void report_devices(void) {
    const char *disks[] = {"/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/mem", NULL};
    char found[256] = "";
    for (int i = 0; disks[i]; i++) {
        int fd = open(disks[i], O_RDONLY | O_CLOEXEC);
        char item[64];
        snprintf(item, sizeof item, "%s%s %s", found[0] ? ", " : "", disks[i] + 5, fd >= 0 ? "opened" : outcome(-1));
        strncat(found, item, sizeof found - strlen(found) - 1);
        if (fd >= 0) close(fd);
    }
    line("raw devices", "%s", found);
    /* A node for the first SCSI disk (block 8:0): whether one can be made, and whether
     * it then opens (a device cgroup or a missing disk stops that). Opened read-only
     * and closed at once; the node is removed. */
    const char *node = "/tmp/.hull-probe-node";
    unlink(node);
    int rc = mknod(node, S_IFBLK | 0600, makedev(8, 0));
    if (rc == 0) {
        int fd = open(node, O_RDONLY | O_CLOEXEC);
        line("mknod block 8:0 (sda)", "ok, open %s", fd >= 0 ? "ok" : outcome(-1));
        if (fd >= 0) close(fd);
        unlink(node);
    } else {
        line("mknod block 8:0 (sda)", "%s", outcome(-1));
    }
}

static void report_time_and_random(void) {
    char buf[128];
    if (read_text("/sys/devices/system/clocksource/clocksource0/current_clocksource", buf, sizeof buf) > 0)
        line("clocksource", "%s", buf);
    else
        line("clocksource", "%s", outcome(-1));
    unsigned char bytes[16];
    ssize_t n = getrandom(bytes, sizeof bytes, GRND_NONBLOCK);
    line("getrandom", "%s", n == (ssize_t)sizeof bytes ? "ok" : outcome(-1));
    int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
    line("/dev/hwrng", "%s", fd >= 0 ? "opened" : outcome(-1));
    if (fd >= 0) close(fd);
}

static void report_identity(void) {
    char status[4096];
    line("uid", "%d", getuid());
    if (read_text("/proc/self/status", status, sizeof status) > 0) {
        char *cap = strstr(status, "CapEff:");
        if (cap) { char v[32]; sscanf(cap + 7, "%31s", v); line("capabilities (effective)", "%s", v); }
        char *sec = strstr(status, "Seccomp:");
        if (sec) { char v[8]; sscanf(sec + 8, "%7s", v); line("seccomp mode", "%s", v); }
    }
}

static int syscalls(long n) {
    double t = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    double ns = now_ns() - t;
    printf("syscalls: %ld ns-per-call: %.1f\n", n, ns / (double)n);
    return 0;
}

static int fileio(long n) {
    char block[4096], back[4096];
    memset(block, 'h', sizeof block);
    char path[64];
    snprintf(path, sizeof path, ".hull-probe-io-%d", getpid());
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, block, sizeof block) != sizeof block || pread(fd, back, sizeof back, 0) != sizeof back) {
            perror("hull-probe --fileio");
            return 1;
        }
        close(fd);
        unlink(path);
    }
    double ns = now_ns() - t;
    printf("fileio: %ld us-per-file: %.1f\n", n, ns / 1000.0 / (double)n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--hello") == 0) { puts("hello"); return 0; }
    if (argc >= 3 && strcmp(argv[1], "--syscalls") == 0) return syscalls(atol(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "--fileio") == 0) return fileio(atol(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "--idle") == 0) {
        puts("ready");
        fflush(stdout);
        for (;;) pause();
    }
    if (argc >= 2) {
        fprintf(stderr, "usage: hull-probe [--hello | --syscalls N | --fileio N | --idle]\n");
        return 2;
    }
    report_kernel();
    report_pids();
    report_mounts();
    report_network();
    report_exposure();
    report_kernel_interfaces();
    report_devices();
    report_time_and_random();
    report_identity();
    return 0;
}
