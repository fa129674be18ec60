// The server's admission control on real sockets (loopback): a legitimate login gets
// through while thousands of idle connections and a handshake flood are open, and
// running out of file descriptors pauses accept() instead of spinning on it. The
// server runs on a thread of its own, as it would in its own process, so the flood
// and the login compete for its time the way they would in production. Every wait
// is bounded and every socket is closed at the end.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

#include "platform/asio_client_driver.h"
#include "platform/asio_server_driver.h"
#include "platform/fd_limit.h"
#include "protocol/handshake.h"
#include "protocol/stream_framer.h"
#include "platform/system_random.h"
#include "server/core/memory_storage.h"

namespace yt {
namespace {

using namespace std::chrono_literals;
const Endpoint kLoopbackAny{Ipv4::from_octets(127, 0, 0, 1), 0};

// A blocking TCP connection to `to` from `from` (any port), or -1.
int connect_from(Ipv4 from, Endpoint to) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(from.value);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(to.port);
  remote.sin_addr.s_addr = htonl(to.ip.value);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SystemRandom::init());
    server_identity_ = Identity::generate(rng_);
    ServerConfig config;
    config.discovery_endpoints = {kLoopbackAny};
    config.password_strength = PwhashStrength::minimum();
    auto server = AsioServerDriver::create(server_io_, config, server_identity_, storage_, rng_, kLoopbackAny);
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(*server);
    server_->start();
    control_ = server_->control_endpoint();
  }
  void TearDown() override {
    stop_server_thread();
    for (int fd : fds_) ::close(fd);
    server_.reset();
  }

  void start_server_thread() {
    server_thread_ = std::thread([this] {
      auto work = boost::asio::make_work_guard(server_io_);
      server_io_.run();
    });
  }
  void stop_server_thread() {
    if (!server_thread_.joinable()) return;
    boost::asio::post(server_io_, [this] { server_io_.stop(); });
    server_thread_.join();
  }

  // Logs a fresh client in from 127.0.0.1; how long it took, or nullopt after 10 s.
  std::optional<std::chrono::milliseconds> timed_login() {
    boost::asio::io_context io;
    ClientConfig config;
    config.server = control_;
    config.server_key = server_identity_.public_key;
    config.nickname = "legit";
    SystemRandom rng;
    auto client = AsioClientDriver::create(io, config, Identity::generate(rng), rng, kLoopbackAny);
    EXPECT_TRUE(client.ok());
    bool logged_in = false;
    (*client)->set_event_handler([&](const ClientEvent& e) { logged_in |= std::holds_alternative<LoggedIn>(e); });
    auto start = std::chrono::steady_clock::now();
    (*client)->start();
    while (!logged_in && std::chrono::steady_clock::now() - start < 10s) io.run_for(5ms);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    (*client)->stop();
    return logged_in ? std::optional(took) : std::nullopt;
  }

  SystemRandom rng_;
  MemoryStorage storage_;
  Identity server_identity_;
  boost::asio::io_context server_io_;
  std::unique_ptr<AsioServerDriver> server_;
  std::thread server_thread_;
  Endpoint control_;
  std::vector<int> fds_;
};

TEST_F(AdmissionTest, ALegitimateLoginGetsInDuringAnIdleConnectionAndHandshakeFlood) {
  // Both ends of 2,000 connections live in this process, as does the flood.
  if (raise_fd_limit() < 6000) GTEST_SKIP() << "needs 6000 file descriptors (ulimit -Hn)";
  start_server_thread();

  // 2,000 idle connections from 100 addresses (20 each, under the per-address cap).
  for (int i = 0; i < 2000; ++i) {
    int fd = connect_from(Ipv4::from_octets(127, 0, 1, static_cast<std::uint8_t>(1 + i / 20)), control_);
    ASSERT_GE(fd, 0) << "idle connection " << i;
    fds_.push_back(fd);
  }

  // A flood of real, DH-costing msg1s from 127.0.0.2 on a thread of its own, one
  // connection each (the server closes every deferred one).
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread flood([&] {
    SeededRandom rng(42, 0);
    Identity flooder = Identity::generate(rng);
    auto end = std::chrono::steady_clock::now() + 15s;
    while (!stop && std::chrono::steady_clock::now() < end) {
      HandshakeInitiator initiator(flooder, server_identity_.public_key, as_bytes(std::string_view(kControlPrologue)),
                                   rng);
      auto msg1 = initiator.write_init(ByteView());
      ControlFrame frame;
      frame.type = ControlFrameType::kHandshakeInit;
      frame.body = msg1.value();
      Bytes bytes = *frame_for_stream(encode_control_frame(frame));
      int fd = connect_from(Ipv4::from_octets(127, 0, 0, 2), control_);
      if (fd < 0) continue;
      (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ::close(fd);
      ++sent;
    }
  });
  while (sent < 200) std::this_thread::sleep_for(1ms);  // the flood is on

  auto took = timed_login();
  stop = true;
  flood.join();
  stop_server_thread();
  ASSERT_TRUE(took) << "no login within 10 s";
  std::printf("login took %lld ms with 2000 idle connections and %d flood handshakes\n",
              static_cast<long long>(took->count()), sent.load());
  EXPECT_LT(*took, 2s);
  EXPECT_GT(server_->core().stats().handshakes_deferred, 0u);
  EXPECT_EQ(server_->core().stats().connections_refused, 0u);  // the idle ones were all under the caps
}

TEST_F(AdmissionTest, OutOfDescriptorsPausesAcceptInsteadOfSpinning) {
  // Connections wait in the listen backlog (the kernel completed them) while this
  // process may open almost no descriptor more: accept() fails with EMFILE.
  for (int i = 0; i < 40; ++i) {
    int fd = connect_from(Ipv4::from_octets(127, 0, 0, 1), control_);
    ASSERT_GE(fd, 0);
    fds_.push_back(fd);
  }
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit tight = saved;
  tight.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  // Take every descriptor left (holes included), then give back room for 5 accepts.
  std::vector<int> filler;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
  ASSERT_GE(filler.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ::close(filler.back());
    filler.pop_back();
  }
  double cpu_before = cpu_seconds();
  auto end = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < end) server_io_.run_for(10ms);
  double cpu = cpu_seconds() - cpu_before;
  for (int fd : filler) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

  std::printf("in 1 s out of descriptors: %llu accepted, %llu failed accepts, %.0f ms of CPU\n",
              static_cast<unsigned long long>(server_->core().stats().connections_accepted),
              static_cast<unsigned long long>(server_->accept_errors()), cpu * 1000);
  EXPECT_GE(server_->accept_errors(), 1u);
  EXPECT_LE(server_->accept_errors(), 10u);  // 50, 100, 200, 400 ms pauses
  EXPECT_LT(cpu, 0.3);                       // a spinning accept loop burns the whole second

  // With descriptors back, the pause ends and the waiting connections are taken.
  end = std::chrono::steady_clock::now() + 3s;
  while (server_->core().stats().connections_accepted < 40 && std::chrono::steady_clock::now() < end) {
    server_io_.run_for(10ms);
  }
  EXPECT_EQ(server_->core().stats().connections_accepted, 40u);
}

}  // namespace
}  // namespace yt
