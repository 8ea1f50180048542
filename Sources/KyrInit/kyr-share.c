// kyr-share.so: the node-address share for sandboxes that keep their own network stack (gVisor's netstack, a Kata
// VM), preloaded by the runtime with KYR_SHARE=<node address>,<container address>,<low>-<high>.
//
// Spark's executors on YARN bind the NodeManager's address (`--hostname <NM host>`) and port 0. In a namespace whose
// Linux stack we configure, the node's address sits on `lo` with policy rules that keep every other port of it
// remote (docs/networking.md). An own stack honours none of that: an address on its interface is local for every
// port, so the sandbox could no longer reach the NodeManager or the shuffle service at that address, and runsc
// ignores the spec's `net.ipv4.ip_local_port_range`. So the node's address never enters the sandbox: a bind to it
// becomes a bind to the container's own address, port 0 becoming a free port of the container's block. The program
// still advertises the node's address with that port, and the node forwards `<node>:<block>` to the container
// (nftables map `shared`), as for every share. Connections to the node's address leave the sandbox as before.
//
// This is plumbing, not a boundary: the node's map only ever sends a container its own block, whatever runs inside.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct share { struct in_addr node, container; unsigned low, high; };

// Parses KYR_SHARE once per call (cheap, and a program that changes its environment gets what it asked for).
// Returns 0 when there is no share or the value is malformed: binds then pass through untouched.
static int read_share(struct share *out) {
    const char *value = getenv("KYR_SHARE");
    if (!value) return 0;
    char copy[96];
    if (strlen(value) >= sizeof copy) return 0;
    strcpy(copy, value);
    char *node = copy, *container = strchr(node, ','), *ports;
    if (!container) return 0;
    *container++ = '\0';
    if (!(ports = strchr(container, ','))) return 0;
    *ports++ = '\0';
    char *end = NULL;
    unsigned long low = strtoul(ports, &end, 10), high;
    if (end == ports || *end != '-') return 0;
    char *second = end + 1;
    high = strtoul(second, &end, 10);
    if (end == second || *end != '\0' || low == 0 || low > high || high > 65535) return 0;
    if (inet_pton(AF_INET, node, &out->node) != 1 || inet_pton(AF_INET, container, &out->container) != 1) return 0;
    out->low = (unsigned)low;
    out->high = (unsigned)high;
    return 1;
}

static int raw_bind(int fd, const struct sockaddr *address, socklen_t length) {
    return (int)syscall(SYS_bind, fd, address, length);
}

// The IPv4 address inside `address` (AF_INET, or AF_INET6 holding an IPv4-mapped address as Java's dual-stack
// sockets do) and where its port lives; NULL for anything else.
static struct in_addr *ipv4_of(struct sockaddr_storage *address, socklen_t length, in_port_t **port) {
    if (address->ss_family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in *in4 = (struct sockaddr_in *)address;
        *port = &in4->sin_port;
        return &in4->sin_addr;
    }
    if (address->ss_family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;
        if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return NULL;
        *port = &in6->sin6_port;
        return (struct in_addr *)&in6->sin6_addr.s6_addr[12];
    }
    return NULL;
}

int bind(int fd, const struct sockaddr *address, socklen_t length) {
    struct share share;
    struct sockaddr_storage copy;
    if (!address || length > sizeof copy || !read_share(&share)) return raw_bind(fd, address, length);
    memcpy(&copy, address, length);
    in_port_t *port = NULL;
    struct in_addr *ip = ipv4_of(&copy, length, &port);
    if (!ip || ip->s_addr != share.node.s_addr) return raw_bind(fd, address, length);
    *ip = share.container;
    if (*port != 0) return raw_bind(fd, (struct sockaddr *)&copy, length);
    // Port 0: the first free port of the block, starting at a pid-dependent offset so that concurrent binders
    // of one container rarely race for the same port (a lost race is just the next try).
    unsigned span = share.high - share.low + 1, start = (unsigned)getpid() % span;
    for (unsigned i = 0; i < span; i++) {
        *port = htons((in_port_t)(share.low + (start + i) % span));
        if (raw_bind(fd, (struct sockaddr *)&copy, length) == 0) return 0;
        if (errno != EADDRINUSE) return -1;
    }
    errno = EADDRINUSE;   // the block is full: what a full ephemeral range answers too
    return -1;
}
