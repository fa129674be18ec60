// The server's database survives kill -9 at any moment with nothing acknowledged
// lost. A real yellowtail-server process on loopback, a real SQLite file; clients
// (the same cores as the daemon, over real sockets) create networks, join, leave
// and rename as fast as the server answers, and the server is killed with SIGKILL
// at a random moment of each round, then started again on the same database. At
// the end every change the server acknowledged (a kOk reply) must be in the
// database, and every client must have kept its virtual IP.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "platform/asio_client_driver.h"
#include "platform/sqlite_storage.h"
#include "platform/system_random.h"

namespace yt {
namespace {

constexpr int kRounds = 8;
constexpr int kClients = 4;
const std::string kPassword = "pw";

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// One acknowledged change, in the order the acknowledgements arrived.
struct Change {
  enum Kind { kCreate, kJoin, kLeave, kRename } kind;
  int client = 0;
  std::string text;  // network name, or the new nickname
};

class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SystemRandom::init());
    dir_ = std::filesystem::temp_directory_path() / ("yt-durability-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    // The server's key, made once: the clients pin it.
    std::string command = std::string(YT_SERVER_BINARY) + " --key " + (dir_ / "server.key").string() +
                          " --print-public-key";
    FILE* p = ::popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char line[256] = {};
    ASSERT_NE(std::fgets(line, sizeof line, p), nullptr);
    ::pclose(p);
    auto key = key_from_hex(std::string(line).substr(0, 64));
    ASSERT_TRUE(key.has_value()) << line;
    server_key_ = *key;
    for (int i = 0; i < kClients; ++i) identities_.push_back(Identity::generate(rng_));
  }
  void TearDown() override {
    clients_.clear();
    kill_server();
    std::filesystem::remove_all(dir_);
  }

  void start_server() {
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string db = (dir_ / "server.db").string(), key = (dir_ / "server.key").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::freopen("/dev/null", "w", stdout);
      std::freopen((dir_ / "server.log").c_str(), "a", stderr);
      ::execl(YT_SERVER_BINARY, YT_SERVER_BINARY, "--listen", listen.c_str(), "--discovery", listen.c_str(), "--db",
              db.c_str(), "--key", key.c_str(), "--password-strength", "minimum", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 250 && !accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(accepts(port_)) << "the server did not come up";
  }
  void kill_server() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  SystemRandom rng_;
  boost::asio::io_context io_;
  PublicKey server_key_{};
  std::vector<Identity> identities_;
  std::vector<std::unique_ptr<AsioClientDriver>> clients_;
};

TEST_F(Durability, NothingAcknowledgedIsLostToKillDashNine) {
  std::mt19937 random(20261204);
  std::vector<Change> acked;
  // Changes in flight at a kill, with how many acknowledgements came before them.
  std::vector<std::pair<std::size_t, Change>> in_flight;
  std::map<int, Ipv4> virtual_ip;  // the first address each client got
  int kills_mid_request = 0;
  std::set<std::string> member_of[kClients];  // acknowledged state, for choosing leaves
  // Each login sends the nickname the client has (as the daemon's state keeps it):
  // the last acknowledged rename.
  std::vector<std::string> nick(kClients);
  for (int i = 0; i < kClients; ++i) nick[i] = "client-" + std::to_string(i);

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    start_server();
    clients_.clear();
    std::vector<bool> synced(kClients, false);
    // Requests in flight: request id -> the change it makes, per client.
    std::vector<std::map<std::uint32_t, Change>> pending(kClients);
    std::vector<Change> created_this_round;
    for (int i = 0; i < kClients; ++i) {
      ClientConfig config;
      config.server = Endpoint{Ipv4::from_octets(127, 0, 0, 1), port_};
      config.server_key = server_key_;
      config.nickname = nick[i];
      auto client = AsioClientDriver::create(io_, config, identities_[i], rng_,
                                             Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0});
      ASSERT_TRUE(client.ok()) << client.error();
      (*client)->set_event_handler([&, i](const ClientEvent& e) {
        if (auto* in = std::get_if<LoggedIn>(&e)) {
          auto [it, first] = virtual_ip.emplace(i, in->virtual_ip);
          EXPECT_EQ(it->second, in->virtual_ip) << "client " << i << " lost its virtual IP";
        } else if (std::holds_alternative<Synced>(e)) {
          synced[i] = true;
        } else if (auto* done = std::get_if<RequestDone>(&e)) {
          auto it = pending[i].find(done->request_id);
          if (it == pending[i].end()) return;
          if (done->code == ReplyCode::kOk) {
            acked.push_back(it->second);
            if (it->second.kind == Change::kCreate) created_this_round.push_back(it->second);
            // Leaves are of joined networks only: an owner's network stays.
            if (it->second.kind == Change::kJoin) member_of[i].insert(it->second.text);
            if (it->second.kind == Change::kLeave) member_of[i].erase(it->second.text);
            if (it->second.kind == Change::kRename) nick[i] = it->second.text;
          }
          pending[i].erase(it);
        }
      });
      (*client)->start();
      clients_.push_back(std::move(*client));
    }
    ASSERT_TRUE(run_until([&] { return std::all_of(synced.begin(), synced.end(), [](bool b) { return b; }); },
                          std::chrono::seconds(15)))
        << "clients did not log in after the restart";

    // Changes as fast as the server takes them, until the kill.
    auto request = [&](int i, Change change) {
      AsioClientDriver& c = *clients_[i];
      Result<std::uint32_t, SendError> id = Err{SendError::kInvalidArgument};
      switch (change.kind) {
        case Change::kCreate: id = c.core().create_network(c.now(), change.text, kPassword); break;
        case Change::kJoin: id = c.core().join_network(c.now(), change.text, kPassword); break;
        case Change::kLeave: id = c.core().leave_network(c.now(), change.text); break;
        case Change::kRename: id = c.core().set_nickname(c.now(), change.text); break;
      }
      if (id.ok()) pending[i][*id] = change;
      c.pump();
    };
    const auto kill_after = std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 400)(random));
    const auto started = std::chrono::steady_clock::now();
    std::size_t joined_up_to = 0;
    int step = 0;
    for (;;) {
      // A few new requests whenever the clients have little in flight.
      for (int i = 0; i < kClients; ++i) {
        if (!pending[i].empty()) continue;
        const std::string tag = std::to_string(round) + "-" + std::to_string(step++);
        switch ((i + step) % 4) {
          case 0: request(i, {Change::kCreate, i, "net-" + tag}); break;
          case 1:
            if (joined_up_to < created_this_round.size()) {
              const Change& c = created_this_round[joined_up_to++];
              if (c.client != i) request(i, {Change::kJoin, i, c.text});
            }
            break;
          case 2:
            if (!member_of[i].empty()) request(i, {Change::kLeave, i, *member_of[i].begin()});
            break;
          case 3: request(i, {Change::kRename, i, "nick-" + tag}); break;
        }
      }
      // Out on the socket, and then (when it is time) the kill: with requests in
      // flight, the server dies during their transactions or just after.
      io_.poll();
      if (io_.stopped()) io_.restart();
      if (std::chrono::steady_clock::now() - started >= kill_after) break;
      io_.run_for(std::chrono::milliseconds(2));
      if (io_.stopped()) io_.restart();
    }
    for (const auto& p : pending) kills_mid_request += p.empty() ? 0 : 1;
    kill_server();
    // What was in flight may or may not be stored: it makes its target unknown
    // until a later acknowledged change settles it again.
    for (const auto& p : pending) {
      for (const auto& [id, change] : p) in_flight.push_back({acked.size(), change});
    }
    // Whatever was in flight has no verdict: it may or may not have been stored.
    run_until([] { return false; }, std::chrono::milliseconds(50));
  }
  clients_.clear();

  ASSERT_GT(acked.size(), static_cast<std::size_t>(kRounds));
  auto storage = SqliteStorage::open((dir_ / "server.db").string());
  ASSERT_TRUE(storage.ok()) << storage.error();
  // Replay the acknowledged changes in order: the database must hold their result.
  std::map<std::string, PublicKey> owner;
  std::map<std::pair<std::string, int>, bool> member;
  std::map<int, std::string> nickname;
  std::set<std::pair<std::string, int>> unknown_member;
  std::set<int> unknown_nickname;
  std::size_t next_in_flight = 0;
  for (std::size_t k = 0; k <= acked.size(); ++k) {
    for (; next_in_flight < in_flight.size() && in_flight[next_in_flight].first == k; ++next_in_flight) {
      const Change& c = in_flight[next_in_flight].second;
      if (c.kind == Change::kRename) {
        unknown_nickname.insert(c.client);
      } else if (c.kind != Change::kCreate) {
        unknown_member.insert({c.text, c.client});
      }
    }
    if (k == acked.size()) break;
    const Change& c = acked[k];
    unknown_member.erase({c.text, c.client});
    if (c.kind == Change::kRename) unknown_nickname.erase(c.client);
    switch (c.kind) {
      case Change::kCreate:
        owner[c.text] = identities_[c.client].public_key;
        member[{c.text, c.client}] = true;
        break;
      case Change::kJoin: member[{c.text, c.client}] = true; break;
      case Change::kLeave: member[{c.text, c.client}] = false; break;
      case Change::kRename: nickname[c.client] = c.text; break;
    }
  }
  for (const auto& [name, key] : owner) {
    auto found = (*storage)->find_network(name);
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value()) << "acknowledged network " << name << " is gone";
    EXPECT_EQ((*found)->owner, key);
  }
  for (const auto& [where, is_member] : member) {
    if (unknown_member.count(where)) continue;
    auto members = (*storage)->members(where.first);
    if (!members.ok()) continue;  // the network itself went with its last member's leave
    const bool stored = std::find(members->begin(), members->end(), identities_[where.second].public_key) !=
                        members->end();
    EXPECT_EQ(stored, is_member) << "client " << where.second << " in " << where.first;
  }
  for (const auto& [i, nick] : nickname) {
    auto record = (*storage)->find_client(identities_[i].public_key);
    ASSERT_TRUE(record.ok() && record->has_value());
    if (!unknown_nickname.count(i)) {
      EXPECT_EQ((*record)->nickname, nick);
    }
    EXPECT_EQ((*record)->virtual_ip, virtual_ip[i]);
  }
  std::printf("%zu acknowledged changes over %d kill -9 rounds (%d clients had a request in flight at a kill): "
              "all in the database\n",
              acked.size(), kRounds, kills_mid_request);
}

}  // namespace
}  // namespace yt
