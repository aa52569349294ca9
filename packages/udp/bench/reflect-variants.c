// reflect-variants: `blast reflect` (../../../shared/tools/blast.c) with the native addon's socket
// features switched on one by one, to separate what the kernel charges for them from what the
// Node/N-API path adds. Not part of `pnpm bench`; used for the profile in the benchmark report.
//
//   cc -O2 bench/reflect-variants.c -o /tmp/reflect-variants
//   /tmp/reflect-variants PORT FLAGS      (binds 127.0.0.1 only)
//
// FLAGS letters (x = none, i.e. plain blast reflect):
//   t  SO_TIMESTAMPNS (kernel receive timestamps, T2 taken from them)
//   m  IP_PKTINFO + IP_RECVTTL + IP_RECVTOS ancillary data on receive (TTL echoed)
//   s  IP_PKTINFO (ipi_spec_dst = the address the request came to) on every reply
//   e  the libuv pattern: epoll_wait, then recvmmsg(MSG_DONTWAIT) up to 16 rounds until a short batch
// "tmse" makes the same system calls, with the same options, as the native socket does per batch.
// Compare reflector CPU per packet (utime/stime from /proc/PID/stat) under the same `blast send`.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <errno.h>
#define BATCH 64
#define MAXPKT 2048
static uint64_t now_ns(void) { struct timespec t; clock_gettime(CLOCK_REALTIME, &t); return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec; }
static void put_ntp(uint8_t *p, uint64_t ns) { uint32_t sec = htonl((uint32_t)(ns / 1000000000ull + 2208988800ull)); uint32_t frac = htonl((uint32_t)(((ns % 1000000000ull) << 32) / 1000000000ull)); memcpy(p, &sec, 4); memcpy(p + 4, &frac, 4); }
int main(int argc, char **argv) {
  int port = atoi(argv[1]); const char *f = argc > 2 ? argv[2] : "";
  int T = !!strchr(f, 't'), M = !!strchr(f, 'm'), S = !!strchr(f, 's'), E = !!strchr(f, 'e');
  int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rb = 4 << 20; setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  if (T) setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (M) { setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one); setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one); setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one); }
  if (bind(fd, (struct sockaddr *)&a, sizeof a)) { perror("bind"); return 1; }
  static struct mmsghdr m[BATCH], tx[BATCH]; static struct iovec io[BATCH], tio[BATCH]; static uint8_t in[BATCH][MAXPKT], out[BATCH][MAXPKT]; static struct sockaddr_in from[BATCH];
  static uint64_t rctl[BATCH][32], tctl[BATCH][16];
  int ep = -1; if (E) { ep = epoll_create1(0); struct epoll_event ev = {.events = EPOLLIN}; epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev); }
  uint32_t seq = 0;
  for (;;) {
    if (E) { struct epoll_event ev; if (epoll_wait(ep, &ev, 1, -1) <= 0) continue; }
    for (int round = 0; round < (E ? 16 : 1); round++) {
      for (int i = 0; i < BATCH; i++) { io[i].iov_base = in[i]; io[i].iov_len = MAXPKT; memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; m[i].msg_hdr.msg_name = &from[i]; m[i].msg_hdr.msg_namelen = sizeof from[i]; if (T || M) { m[i].msg_hdr.msg_control = rctl[i]; m[i].msg_hdr.msg_controllen = sizeof rctl[i]; } }
      int n = recvmmsg(fd, m, BATCH, E ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
      if (n <= 0) break;
      uint64_t t2 = now_ns();
      for (int i = 0; i < n; i++) {
        struct in_addr dst = {0}; int ttl = 255;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c; c = CMSG_NXTHDR(&m[i].msg_hdr, c)) {
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
          else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) memcpy(&ttl, CMSG_DATA(c), 4);
          else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) { struct timespec ts; memcpy(&ts, CMSG_DATA(c), sizeof ts); t2 = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec; }
        }
        unsigned len = m[i].msg_len < 14 ? 14 : m[i].msg_len; unsigned olen = len < 41 ? 41 : len;
        uint8_t *o = out[i]; memset(o, 0, 41);
        uint32_t s = htonl(seq++); memcpy(o, &s, 4); o[12] = 0x80; o[13] = 1;
        put_ntp(o + 16, t2); memcpy(o + 24, in[i], 14); o[40] = (uint8_t)ttl;
        if (olen > 41) memcpy(o + 41, in[i] + 14, olen - 41);
        tio[i].iov_base = o; tio[i].iov_len = olen; memset(&tx[i], 0, sizeof tx[i]);
        tx[i].msg_hdr.msg_iov = &tio[i]; tx[i].msg_hdr.msg_iovlen = 1; tx[i].msg_hdr.msg_name = &from[i]; tx[i].msg_hdr.msg_namelen = m[i].msg_hdr.msg_namelen;
        if (S) { struct cmsghdr *c = (struct cmsghdr *)tctl[i]; c->cmsg_level = IPPROTO_IP; c->cmsg_type = IP_PKTINFO; c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo)); struct in_pktinfo pi = {0}; pi.ipi_spec_dst = dst; memcpy(CMSG_DATA(c), &pi, sizeof pi); tx[i].msg_hdr.msg_control = tctl[i]; tx[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo)); }
      }
      uint64_t t3 = now_ns(); for (int i = 0; i < n; i++) put_ntp(out[i] + 4, t3);
      sendmmsg(fd, tx, n, 0);
      if (E && n < BATCH) break;
    }
  }
}
