// turnaround-reflector: the C reference for the reflector turnaround T3 - T2, measured the way the
// native SessionReflector measures it (unlike `blast reflect`, which reads both times from
// CLOCK_REALTIME after recvmmsg() returns):
//
//   T2 = the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME), taken when the packet is
//        queued to the socket, before the process is woken;
//   T3 = clock_gettime(CLOCK_REALTIME) once per batch, just before sendmmsg().
//
// The loop sleeps like ours does: epoll_wait() on the socket (libuv's level-triggered poll), then
// recvmmsg(MSG_DONTWAIT) until a short batch. With --spin it never sleeps (recvmmsg(MSG_DONTWAIT)
// in a busy loop, one CPU at 100 %): the floor without any wake-up.
//
//   cc -O2 bench/turnaround-reflector.c -o $TMP/turnaround-reflector
//   $TMP/turnaround-reflector [--port 0] [--spin] [--max-seconds 120]
//
// Prints `listening 127.0.0.1:PORT` once bound. Replies are TWAMP Light (RFC 5357 §4.2.1,
// unauthenticated, 41 octets or the request's length), so the same SessionSender reads T3 - T2 from
// them. On SIGTERM/SIGINT (or after --max-seconds) prints one line
//   stats {"packets":N,"turnaroundUs":{p50,p99},"wakeUs":{p50,p99},"userUs":{p50,p99}}
// where wake = delivery - T2 (delivery: CLOCK_REALTIME right after recvmmsg() returned) and
// user = T3 - delivery, then exits. SIGUSR2 prints the same line and starts the samples again (to
// drop a warm-up). Samples are kept for the first 4 M packets (bounded).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXPKT 2048
#define MAX_SAMPLES (4u << 20)
#define NTP_UNIX_OFFSET 2208988800ull

static volatile sig_atomic_t stopping, sampling;
static void on_signal(int sig) {
  if (sig == SIGUSR2) sampling = 1;
  else stopping = 1;
}

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000ll + t->tv_nsec; }
static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return ts_ns(&t);
}
static void put_ntp(uint8_t *p, int64_t ns) {
  uint32_t sec = (uint32_t)((uint64_t)ns / 1000000000ull + NTP_UNIX_OFFSET);
  uint32_t frac = (uint32_t)((((uint64_t)ns % 1000000000ull) << 32) / 1000000000ull);
  sec = htonl(sec);
  frac = htonl(frac);
  memcpy(p, &sec, 4);
  memcpy(p + 4, &frac, 4);
}

// Samples in ns: T3 - T2, delivery - T2, T3 - delivery.
static int32_t *turn, *wake, *user;
static size_t samples;

static int cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}
static double pct(int32_t *v, size_t n, double p) {
  if (n == 0) return -1;
  size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
  return v[i] / 1000.0;
}
static void report(void) {
  qsort(turn, samples, sizeof *turn, cmp);
  qsort(wake, samples, sizeof *wake, cmp);
  qsort(user, samples, sizeof *user, cmp);
  printf("stats {\"packets\":%zu,\"turnaroundUs\":{\"p50\":%.2f,\"p99\":%.2f},\"wakeUs\":{\"p50\":%.2f,\"p99\":%.2f},\"userUs\":{\"p50\":%.2f,\"p99\":%.2f}}\n",
         samples, pct(turn, samples, 50), pct(turn, samples, 99), pct(wake, samples, 50), pct(wake, samples, 99), pct(user, samples, 50),
         pct(user, samples, 99));
  fflush(stdout);
}

int main(int argc, char **argv) {
  int port = 0, spin = 0, max_seconds = 120;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) max_seconds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--spin")) spin = 1;
    else {
      fprintf(stderr, "usage: turnaround-reflector [--port N] [--spin] [--max-seconds S]\n");
      return 2;
    }
  }
  if (max_seconds <= 0) max_seconds = 120;
  turn = calloc(MAX_SAMPLES, sizeof *turn);
  wake = calloc(MAX_SAMPLES, sizeof *wake);
  user = calloc(MAX_SAMPLES, sizeof *user);
  if (!turn || !wake || !user) return 1;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait() returns EINTR
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int on = 1, buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on)) {
    perror("SO_TIMESTAMPNS");
    return 1;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &alen)) {
    perror("bind");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
    perror("epoll");
    return 1;
  }
  printf("listening 127.0.0.1:%d %s\n", ntohs(a.sin_port), spin ? "spin" : "epoll");
  fflush(stdout);

  static struct mmsghdr rx[BATCH], tx[BATCH];
  static struct iovec rio[BATCH], tio[BATCH];
  static uint8_t in[BATCH][MAXPKT], out[BATCH][MAXPKT];
  static struct sockaddr_in from[BATCH];
  static char control[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  uint32_t seq = 0;
  const int64_t deadline = now_ns() + (int64_t)max_seconds * 1000000000ll;

  while (!stopping && now_ns() < deadline) {
    if (sampling) {
      sampling = 0;
      report();
      samples = 0;
    }
    if (!spin) {
      struct epoll_event got;
      const int r = epoll_wait(ep, &got, 1, 1000);  // a timeout only to notice the deadline
      if (r <= 0) continue;
    }
    for (;;) {
      for (int i = 0; i < BATCH; i++) {
        rio[i].iov_base = in[i];
        rio[i].iov_len = MAXPKT;
        memset(&rx[i], 0, sizeof rx[i]);
        rx[i].msg_hdr.msg_iov = &rio[i];
        rx[i].msg_hdr.msg_iovlen = 1;
        rx[i].msg_hdr.msg_name = &from[i];
        rx[i].msg_hdr.msg_namelen = sizeof from[i];
        rx[i].msg_hdr.msg_control = control[i];
        rx[i].msg_hdr.msg_controllen = sizeof control[i];
      }
      const int n = recvmmsg(fd, rx, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0) break;
      const int64_t delivered = now_ns();
      int64_t t2[BATCH];
      for (int i = 0; i < n; i++) {
        t2[i] = delivered;  // no timestamp: not expected with SO_TIMESTAMPNS
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&rx[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&rx[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            t2[i] = ts_ns(&t);
          }
        }
        const unsigned len = rx[i].msg_len < 14 ? 14 : rx[i].msg_len;
        const unsigned olen = len < 41 ? 41 : len;
        uint8_t *o = out[i];
        memset(o, 0, 41);
        const uint32_t s = htonl(seq++);
        memcpy(o, &s, 4);
        o[12] = 0x80;  // Error Estimate: S=1, multiplier 1
        o[13] = 1;
        put_ntp(o + 16, t2[i]);
        memcpy(o + 24, in[i], 4);        // sender sequence number
        memcpy(o + 28, in[i] + 4, 8);    // sender timestamp
        memcpy(o + 36, in[i] + 12, 2);   // sender error estimate
        o[40] = 255;                     // sender TTL (not read here)
        if (olen > 41) memcpy(o + 41, in[i] + 14, olen - 41);
        tio[i].iov_base = o;
        tio[i].iov_len = olen;
        memset(&tx[i], 0, sizeof tx[i]);
        tx[i].msg_hdr.msg_iov = &tio[i];
        tx[i].msg_hdr.msg_iovlen = 1;
        tx[i].msg_hdr.msg_name = &from[i];
        tx[i].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
      }
      // T3: one clock read for the whole sendmmsg(), as the native socket does.
      const int64_t t3 = now_ns();
      for (int i = 0; i < n; i++) put_ntp(out[i] + 4, t3);
      sendmmsg(fd, tx, (unsigned)n, 0);
      for (int i = 0; i < n && samples < MAX_SAMPLES; i++, samples++) {
        turn[samples] = (int32_t)(t3 - t2[i]);
        wake[samples] = (int32_t)(delivered - t2[i]);
        user[samples] = (int32_t)(t3 - delivered);
      }
      if (n < BATCH) break;
    }
  }
  report();
  return 0;
}
