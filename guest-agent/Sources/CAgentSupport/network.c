// The guest's network interfaces, by ioctl (the initramfs has no `ip`): link flags, MTU,
// one IPv4 address with its netmask, and the default route. Addresses are in network
// byte order. Each call returns 0 or -1 with errno.
#define _GNU_SOURCE
#include "CAgentSupport.h"

#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int control_socket(void) {
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int name_request(struct ifreq *request, const char *name) {
    memset(request, 0, sizeof *request);
    if (strlen(name) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strncpy(request->ifr_name, name, IFNAMSIZ - 1);
    return 0;
}

static int interface_ioctl(unsigned long command, struct ifreq *request) {
    int fd = control_socket();
    if (fd < 0) return -1;
    int result = ioctl(fd, command, request);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

int hull_net_link_up(const char *name) {
    struct ifreq request;
    if (name_request(&request, name) != 0) return -1;
    if (interface_ioctl(SIOCGIFFLAGS, &request) != 0) return -1;
    request.ifr_flags |= IFF_UP;
    return interface_ioctl(SIOCSIFFLAGS, &request);
}

int hull_net_set_mtu(const char *name, int mtu) {
    struct ifreq request;
    if (name_request(&request, name) != 0) return -1;
    request.ifr_mtu = mtu;
    return interface_ioctl(SIOCSIFMTU, &request);
}

static void set_inet(struct sockaddr *target, uint32_t address) {
    struct sockaddr_in inet = { .sin_family = AF_INET, .sin_addr.s_addr = address };
    memcpy(target, &inet, sizeof inet);
}

int hull_net_set_address(const char *name, uint32_t address, uint32_t netmask) {
    struct ifreq request;
    if (name_request(&request, name) != 0) return -1;
    set_inet(&request.ifr_addr, address);
    if (interface_ioctl(SIOCSIFADDR, &request) != 0) return -1;
    if (name_request(&request, name) != 0) return -1;
    set_inet(&request.ifr_netmask, netmask);
    return interface_ioctl(SIOCSIFNETMASK, &request);
}

int hull_net_add_default_route(const char *name, uint32_t gateway) {
    struct rtentry route;
    memset(&route, 0, sizeof route);
    set_inet(&route.rt_dst, 0);
    set_inet(&route.rt_genmask, 0);
    set_inet(&route.rt_gateway, gateway);
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    char device[IFNAMSIZ];
    if (strlen(name) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strncpy(device, name, IFNAMSIZ - 1);
    device[IFNAMSIZ - 1] = 0;
    route.rt_dev = device;
    int fd = control_socket();
    if (fd < 0) return -1;
    int result = ioctl(fd, SIOCADDRT, &route);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}
