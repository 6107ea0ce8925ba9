// Terminals, kernel modules, power and sockets: calls that are variadic (ioctl,
// syscall) or whose constants and structures Swift's Glibc module does not import.
#define _GNU_SOURCE
#include "CAgentSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <linux/vm_sockets.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int hull_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &size);
}

// Not grantpt/ptsname: in a static glibc those may reach for NSS (the "tty" group),
// and devpts already gives the slave to its opener.
int hull_open_pty(int *master, int *slave, unsigned short rows, unsigned short columns) {
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    int unlock = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0) goto fail;
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        unsigned int number;
        char path[32];
        if (ioctl(m, TIOCGPTN, &number) < 0) goto fail;
        snprintf(path, sizeof path, "/dev/pts/%u", number);
        s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0) goto fail;
    }
    if (rows != 0 && columns != 0 && hull_set_window_size(m, rows, columns) < 0) {
        int saved = errno;
        close(s);
        errno = saved;
        goto fail;
    }
    *master = m;
    *slave = s;
    return 0;
fail:;
    int saved = errno;
    close(m);
    errno = saved;
    return -1;
}

int hull_finit_module(int fd) {
    return (int)syscall(SYS_finit_module, fd, "", 0);
}

int hull_power_off(void) {
    sync();
    return reboot(RB_POWER_OFF);
}

int hull_vsock_accept_one(unsigned int port) {
    int listener = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return -1;
    struct sockaddr_vm address = {
        .svm_family = AF_VSOCK,
        .svm_port = port,
        .svm_cid = VMADDR_CID_ANY,
    };
    int connection = -1;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) == 0 && listen(listener, 1) == 0) {
        do {
            connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        } while (connection < 0 && errno == EINTR);
    }
    int saved = errno;
    close(listener);
    errno = saved;
    return connection;
}

int hull_cloexec_from(int first) {
    return (int)syscall(SYS_close_range, (unsigned int)first, ~0U, CLOSE_RANGE_CLOEXEC);
}

int hull_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

void hull_set_thread_name(const char *name) {
    char truncated[16];
    snprintf(truncated, sizeof truncated, "%s", name);
    (void)pthread_setname_np(pthread_self(), truncated);
}

int hull_open_in_root(int root_fd, const char *path) {
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}
