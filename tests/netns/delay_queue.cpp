// delay_queue: holds every packet an iptables NFQUEUE rule hands it for a fixed
// time, then lets it go on: a delay on one path inside a test's namespaces, where
// this kernel has no netem. Packets keep their order (one constant delay).
//
// Usage: delay_queue QUEUE DELAY_MS SECONDS
//   QUEUE     the --queue-num of the NFQUEUE rule
//   DELAY_MS  added to every packet (0..10000)
//   SECONDS   exits by itself after this long (1..3600), so a test that dies
//             cannot leave it behind; SIGTERM ends it at once
// Exit: 0 done, 1 netfilter refused (not root, no nfnetlink_queue), 2 bad usage.
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
// After the libc networking headers: the kernel's would redefine their structs.
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct Held {
  Clock::time_point release;
  std::uint32_t id;
};

std::deque<Held> held;
std::chrono::milliseconds delay{0};
volatile sig_atomic_t stop = 0;

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void*) {
  nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
  if (header) held.push_back({Clock::now() + delay, ntohl(header->packet_id)});
  return 0;
}

bool parse(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end && *end == '\0' && out >= min && out <= max;
}

}  // namespace

int main(int argc, char** argv) {
  long queue = 0, delay_ms = 0, seconds = 0;
  if (argc != 4 || !parse(argv[1], 0, 65535, queue) || !parse(argv[2], 0, 10000, delay_ms) ||
      !parse(argv[3], 1, 3600, seconds)) {
    std::fprintf(stderr, "usage: delay_queue QUEUE DELAY_MS SECONDS\n");
    return 2;
  }
  delay = std::chrono::milliseconds(delay_ms);
  signal(SIGTERM, [](int) { stop = 1; });
  signal(SIGINT, [](int) { stop = 1; });

  nfq_handle* h = nfq_open();
  if (!h) {
    std::perror("delay_queue: nfq_open");
    return 1;
  }
  nfq_q_handle* q = nfq_create_queue(h, static_cast<std::uint16_t>(queue), &on_packet, nullptr);
  if (!q || nfq_set_mode(q, NFQNL_COPY_META, 0) < 0) {
    std::perror("delay_queue: queue");
    nfq_close(h);
    return 1;
  }
  nfq_set_queue_maxlen(q, 8192);
  const int fd = nfq_fd(h);
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  char buffer[65536];
  std::fprintf(stderr, "delay_queue: queue %ld, %ld ms\n", queue, delay_ms);
  while (!stop && Clock::now() < end) {
    // Wake for the next release, the end, or a new packet.
    auto wake = end;
    if (!held.empty() && held.front().release < wake) wake = held.front().release;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait < 0 ? 0 : wait + 1)) > 0) {
      ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) nfq_handle_packet(h, buffer, static_cast<int>(n));
    }
    const auto now = Clock::now();
    while (!held.empty() && held.front().release <= now) {
      nfq_set_verdict(q, held.front().id, NF_ACCEPT, 0, nullptr);
      held.pop_front();
    }
  }
  for (const Held& packet : held) nfq_set_verdict(q, packet.id, NF_ACCEPT, 0, nullptr);  // nothing stranded
  nfq_destroy_queue(q);
  nfq_close(h);
  return 0;
}
